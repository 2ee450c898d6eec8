// The PublishedVersion's check and diff, as tables.
import { describe, expect, it } from "vitest";
import {
  checkPublishedVersion,
  pinFailures,
  diffPublishedVersion,
  type LiveVersions,
  type PublishedVersionOutputs,
} from "../../src/resources/published-version.js";
import { UNKNOWN } from "../../src/resources/common.js";

const H1 = `sha256:${"1".repeat(64)}`;
const H2 = `sha256:${"2".repeat(64)}`;

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
  ])("rejects %j, naming %s", (input, property) => {
    const r = checkPublishedVersion({ app: "acme-corp/greet", codeHash: H1, ...input });
    expect(r.failures!.map((f) => f.property)).toContain(property);
  });
});

describe("PublishedVersion diff", () => {
  const olds: PublishedVersionOutputs = { app: "acme-corp/greet", codeHash: H1, version: 1, activeVersion: 1, publicUrls: [], pinned: false };
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
  ])("%s", (_label, o, n, live, changes, replaces) => {
    const d = diffPublishedVersion(o, n as never, live);
    expect(d.changes).toBe(changes);
    expect(d.replaces).toEqual(replaces);
  });
});

// Issue 9: a pinned version that does not exist fails at preview.
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
});
