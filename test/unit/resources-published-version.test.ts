// The PublishedVersion's check and diff, as tables.
import { describe, expect, it } from "vitest";
import {
  checkPublishedVersion,
  foreignCodeFailures,
  inputsOf,
  pinFailures,
  planRelease,
  diffPublishedVersion,
  recordedVersions,
  type LiveVersions,
  type PublishedVersionOutputs,
} from "../../src/resources/published-version.js";
import { UNKNOWN } from "../../src/resources/common.js";

const H1 = `sha256:${"1".repeat(64)}`;
const H2 = `sha256:${"2".repeat(64)}`;
const H3 = `sha256:${"3".repeat(64)}`;

describe("PublishedVersion check", () => {
  it("accepts an app, a code hash and an optional pin", () => {
    expect(checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1 }).failures).toEqual([]);
    expect(checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, version: 2 }).inputs).toMatchObject({ version: 2 });
  });

  it.each([
    [{ app: "nope" }, "app"],
    [{ codeHash: "" }, "codeHash"],
    [{ codeHash: "md5:1" }, "codeHash"],
    [{ version: 0 }, "version"],
    [{ version: 1.5 }, "version"],
    [{ healthCheck: { path: "healthz" } }, "healthCheck.path"],
    [{ healthCheck: { attempts: 0 } }, "healthCheck.attempts"],
    [{ expectCodeHash: "abc" }, "expectCodeHash"],
    [{ expectCodeHash: H2 }, "expectCodeHash"],
    [{ __timeouts: { create: "5 minutes" } }, "customTimeouts.create"],
  ])("rejects %j, naming %s", (input, property) => {
    const r = checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, ...input });
    expect(r.failures!.map((f) => f.property)).toContain(property);
  });

  it("defaults the health check and keeps the expectation and options", () => {
    const r = checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, healthCheck: {}, expectCodeHash: H1, __timeouts: { create: 5 }, __ignoreChanges: ["version"] });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({
      app: "acme-corp/greet",
      codeHash: H1,
      healthCheck: { method: "GET", headers: {}, timeoutSecs: 120, attempts: 3, via: "auto" },
      expectCodeHash: H1,
      __timeouts: { create: 5 },
      __ignoreChanges: ["version"],
    });
  });

  it("code that is not the verified code fails `expectCodeHash` with the program's message (naming files)", () => {
    const r = checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, expectCodeHash: H2, __expectation: "the files that differ: changed handler.py" });
    expect(r.failures).toEqual([{ property: "expectCodeHash", reason: "the files that differ: changed handler.py" }]);
    // Pinned, the pinned version's code is compared instead (pinFailures, against the live versions).
    expect(checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, expectCodeHash: H2, version: 1 }).failures).toEqual([]);
    // Not known yet (a preview where the other stack's output is unknown): nothing to compare.
    expect(checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, expectCodeHash: UNKNOWN }).failures).toEqual([]);
  });
});

// Issue 10 (2): versions mean releases.
describe("planRelease: re-activate a version carrying the code instead of publishing a duplicate", () => {
  const live = (active: number, ...hashes: string[]): LiveVersions => ({ activeVersion: active, versions: hashes.map((codeHash, i) => ({ version: i + 1, codeHash })) });
  it.each<[string, { codeHash: string; version?: number }, LiveVersions, ReturnType<typeof planRelease>]>([
    ["the active version carries the code", { codeHash: H2 }, live(2, H1, H2), { action: "none" }],
    ["no version carries it: publish", { codeHash: H3 }, live(2, H1, H2), { action: "publish" }],
    ["nothing published yet: publish", { codeHash: H1 }, live(0), { action: "publish" }],
    ["rolled back outside Pulumi: activate the version carrying it", { codeHash: H2 }, live(1, H1, H2), { action: "activate", version: 2, because: "carries the code" }],
    ["code reverted to an older version's: activate it", { codeHash: H1 }, live(2, H1, H2), { action: "activate", version: 1, because: "carries the code" }],
    ["several versions carry it: the newest", { codeHash: H1 }, live(2, H1, H2, H1), { action: "activate", version: 3, because: "carries the code" }],
    ["pinned elsewhere", { codeHash: H2, version: 1 }, live(2, H1, H2), { action: "activate", version: 1, because: "pinned" }],
    ["pinned to the active version", { codeHash: H2, version: 2 }, live(2, H1, H2), { action: "none" }],
    ["un-pinned after a pin: re-activate, not publish", { codeHash: H2 }, live(1, H1, H2), { action: "activate", version: 2, because: "carries the code" }],
  ])("%s", (_label, i, l, expected) => {
    expect(planRelease(i, l)).toEqual(expected);
  });
});

describe("foreignCodeFailures: a codeHash no Draft here computed, that the app does not hold", () => {
  const i = { app: "acme-corp/greet", codeHash: H2, __undeclaredCode: true };
  const v1: LiveVersions = { activeVersion: 1, versions: [{ version: 1, codeHash: H1 }] };
  it.each<[string, Record<string, unknown>, LiveVersions | undefined, string | undefined, string[]]>([
    ["from a Draft of this program: not checked", { __undeclaredCode: undefined }, v1, undefined, []],
    ["held by no version and not in the draft", {}, v1, H1, ["codeHash"]],
    ["the app does not exist", {}, undefined, undefined, ["codeHash"]],
    ["a version holds it", {}, { activeVersion: 1, versions: [{ version: 1, codeHash: H2 }] }, undefined, []],
    ["the draft holds it (saved by another program)", {}, v1, H2, []],
    ["pinned: the code is not used", { version: 1 }, v1, H1, []],
  ])("%s", (_label, extra, live, draft, properties) => {
    const failures = foreignCodeFailures({ ...i, ...extra } as never, live, draft);
    expect(failures.map((f) => f.property)).toEqual(properties);
    for (const f of failures) expect(f.reason).toMatch(/expectCodeHash/);
  });
});

describe("PublishedVersion read: the inputs describing the live state", () => {
  const outs: PublishedVersionOutputs = { app: "acme-corp/greet", codeHash: H1, draftCodeHash: H2, version: 1, activeVersion: 1, publicUrls: [], pinned: false, __timeouts: { update: 60 } };
  it("unpinned: codeHash is the active code, so a refreshed preview shows it old → new", () => {
    expect(inputsOf(outs)).toEqual({ app: "acme-corp/greet", codeHash: H1, __timeouts: { update: 60 } });
  });
  it("pinned: the pin is the active version, codeHash the program's", () => {
    expect(inputsOf({ ...outs, pinned: true, activeVersion: 3, version: 3 })).toEqual({ app: "acme-corp/greet", codeHash: H2, version: 3, __timeouts: { update: 60 } });
  });
});

describe("PublishedVersion diff", () => {
  const olds: PublishedVersionOutputs = { app: "acme-corp/greet", codeHash: H1, draftCodeHash: H1, version: 1, activeVersion: 1, publicUrls: [], pinned: false };
  const v1: LiveVersions = { activeVersion: 1, versions: [{ version: 1, codeHash: H1 }] };
  const v2: LiveVersions = { activeVersion: 2, versions: [{ version: 1, codeHash: H1 }, { version: 2, codeHash: H2 }] };

  it.each<[string, PublishedVersionOutputs, Record<string, unknown>, LiveVersions | undefined, boolean, string[] | undefined]>([
    ["the active version carries the code", olds, { app: olds.app, codeHash: H1 }, v1, false, undefined],
    ["new code", olds, { app: olds.app, codeHash: H2 }, v1, true, undefined],
    ["new code that is already active", olds, { app: olds.app, codeHash: H2 }, v2, false, undefined],
    ["moved out of band to other code", olds, { app: olds.app, codeHash: H1 }, v2, true, undefined],
    ["pinned to the active version", olds, { app: olds.app, codeHash: H2, version: 2 }, v2, false, undefined],
    ["pinned to another version (rollback)", olds, { app: olds.app, codeHash: H2, version: 1 }, v2, true, undefined],
    ["the app is gone", olds, { app: olds.app, codeHash: H1 }, undefined, true, undefined],
    ["the app changed", olds, { app: "acme-corp/x", codeHash: H1 }, v1, true, ["app"]],
    ["the code hash is not known yet", olds, { app: olds.app, codeHash: UNKNOWN }, v1, true, undefined],
    ["moved out of band, ignoreChanges: [\"version\"]", olds, { app: olds.app, codeHash: H1, __ignoreChanges: ["version"] }, v2, false, undefined],
    ["new code despite ignoreChanges: [\"version\"] (a program change is still made)", olds, { app: olds.app, codeHash: H2, __ignoreChanges: ["version"] }, v1, true, undefined],
    ["only the health check changed", olds, { app: olds.app, codeHash: H1, healthCheck: { attempts: 5 } }, v1, false, undefined],
    ["state written before draftCodeHash existed", { ...olds, draftCodeHash: undefined as never }, { app: olds.app, codeHash: H1 }, v1, false, undefined],
  ])("%s", (_label, o, n, live, changes, replaces) => {
    const d = diffPublishedVersion(o, n as never, live);
    expect(d.changes).toBe(changes);
    expect(d.replaces).toEqual(replaces);
  });

  it("says a version moved outside Pulumi will be made active again, not published", () => {
    const d = diffPublishedVersion({ ...olds, codeHash: H2, draftCodeHash: H2, version: 2, activeVersion: 2 }, { app: olds.app, codeHash: H2 } as never, { ...v2, activeVersion: 1 });
    expect(d.notes.join()).toMatch(/moved to version 1 outside Pulumi; version 2, which carries the planned code, will be made active again/);
  });
});

// Issue 9: a pinned version that does not exist fails at preview.
describe("recordedVersions: when the app's metadata vouches for the state's active version", () => {
  const olds = { app: "acme-corp/greet", codeHash: H1, draftCodeHash: H1, version: 2, activeVersion: 2, publicUrls: [], pinned: false, appCreateTimeMs: 1700 } as PublishedVersionOutputs;
  const app = (over: Record<string, unknown> = {}) => ({ activeVersion: 2, createTimeMs: 1700n, ...over }) as never;

  it("the same app (create time) at the same active version: that version, with the code the state recorded", () => {
    expect(recordedVersions(olds, app())).toEqual({ activeVersion: 2, versions: [{ version: 2, codeHash: H1 }] });
  });

  it.each([
    ["another app of that name (created again)", olds, app({ createTimeMs: 1800n })],
    ["another active version", olds, app({ activeVersion: 3 })],
    ["nothing active", { ...olds, activeVersion: 0 }, app({ activeVersion: 0 })],
    ["a platform that does not say when the app was created", olds, app({ createTimeMs: 0n })],
    ["state written before the create time was kept", { ...olds, appCreateTimeMs: undefined }, app()],
  ])("nothing when it cannot: %s", (_, o, a) => {
    expect(recordedVersions(o as PublishedVersionOutputs, a)).toBeUndefined();
  });
});

describe("PublishedVersion pinFailures (check, against the live versions)", () => {
  const pinned = (version?: number) => ({ app: "acme-corp/greet", codeHash: H1, ...(version === undefined ? {} : { version }) });
  const v12: LiveVersions = { activeVersion: 2, versions: [{ version: 1, codeHash: H1 }, { version: 2, codeHash: H2 }] };
  it.each<[string, ReturnType<typeof pinned>, LiveVersions | undefined, RegExp | undefined]>([
    ["unpinned: nothing to check", pinned(), undefined, undefined],
    ["a pin that exists", pinned(1), v12, undefined],
    ["a pin that does not exist", pinned(99), v12, /`version` 99 does not exist for app acme-corp\/greet \(published versions: 1, 2\)/],
    ["a pin on an app with no versions yet", pinned(1), { activeVersion: 0, versions: [] }, /published versions: none yet/],
    ["a pin on an app that does not exist yet", pinned(1), undefined, /cannot be pinned: app acme-corp\/greet does not exist yet.*Remove `version` to publish the Draft's code as version 1/],
  ])("%s", (_name, inputs, live, expected) => {
    const failures = pinFailures(inputs, live);
    if (!expected) expect(failures).toEqual([]);
    else {
      expect(failures.map((f) => f.property)).toEqual(["version"]);
      expect(failures[0]!.reason).toMatch(expected);
    }
  });

  it("a pin whose code is not the verified code fails `expectCodeHash`", () => {
    expect(pinFailures({ ...pinned(1), expectCodeHash: H1 }, v12)).toEqual([]);
    const [f] = pinFailures({ ...pinned(1), expectCodeHash: H2 }, v12);
    expect(f).toMatchObject({ property: "expectCodeHash", reason: expect.stringMatching(/`version` 1 of acme-corp\/greet carries sha256:1{64}, not the verified code/) });
  });
});
