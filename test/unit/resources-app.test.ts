// The App's check (validation + effective scaling) and diff, as tables.
import { describe, expect, it } from "vitest";
import { adoptionChanges, checkApp, diffApp, inputsOf, platformFailures, updateMask, desiredConfig, configDrift, type AppInputs } from "../../src/resources/app.js";
import { UNKNOWN, type PlainApp } from "../../src/resources/common.js";

const base = { name: "greet", organization: "acme-corp" };

function checked(extra: Record<string, unknown> = {}): AppInputs {
  const r = checkApp({ ...base, ...extra });
  expect(r.failures).toEqual([]);
  return r.inputs!;
}

describe("App check", () => {
  it("applies every default, with the effective scaling the platform will hold", () => {
    expect(checked()).toEqual({
      appId: "acme-corp/greet",
      name: "greet",
      organization: "acme-corp",
      runtime: "python",
      description: "",
      resourceTier: "small",
      scaling: { reservedCapacity: 0, maxReplicas: 5, scaleMetric: "REQUEST_RATE", scaleThreshold: 10, scaledownPeriodSecs: 300 },
      env: {},
      ports: [80],
      allowUnauthenticated: false,
      healthPath: "",
      adopt: false,
    });
  });

  it.each([
    [{ maxReplicas: 3 }, { maxReplicas: 3 }],
    [{ maxReplicas: 50 }, { maxReplicas: 5 }],
    [{ scaleThreshold: 0 }, { scaleThreshold: 10 }],
    [{ scaleThreshold: 25 }, { scaleThreshold: 25 }],
    [{ scaledownPeriodSecs: 0 }, { scaledownPeriodSecs: 300 }],
    [{ scaledownPeriodSecs: 30 }, { scaledownPeriodSecs: 30 }],
    [{ scaleMetric: "CONCURRENCY" }, { scaleMetric: "CONCURRENCY" }],
    [{ reservedCapacity: 2, maxReplicas: 2 }, { reservedCapacity: 2, maxReplicas: 2 }],
  ])("scaling %j becomes %j", (input, expected) => {
    expect(checked({ scaling: input }).scaling).toMatchObject(expected);
  });

  it("takes the organization from the provider config when the program gives none", () => {
    const r = checkApp({ name: "greet" }, "other-org");
    expect(r.failures).toEqual([]);
    expect(r.inputs!.appId).toBe("other-org/greet");
  });

  it.each([
    [{ name: "Greet_App" }, "name"],
    [{ name: "" }, "name"],
    [{ organization: undefined }, "organization"],
    [{ organization: "acme corp" }, "organization"],
    [{ runtime: "java" }, "runtime"],
    [{ resourceTier: "huge" }, "resourceTier"],
    [{ scaling: { reservedCapacity: -1 } }, "scaling.reservedCapacity"],
    [{ scaling: { maxReplicas: 1.5 } }, "scaling.maxReplicas"],
    [{ scaling: { reservedCapacity: 4, maxReplicas: 2 } }, "scaling.reservedCapacity"],
    [{ scaling: { reservedCapacity: 6, maxReplicas: 10 } }, "scaling.reservedCapacity"],
    [{ scaling: { scaledownPeriodSecs: 10 } }, "scaling.scaledownPeriodSecs"],
    [{ scaling: { scaleMetric: "CPU" } }, "scaling.scaleMetric"],
    [{ scaling: { maxReplica: 3 } }, "scaling.maxReplica"],
    [{ env: { "1BAD": "x" } }, "env.1BAD"],
    [{ env: { PORT: 80 } }, "env.PORT"],
    [{ ports: [] }, "ports"],
    [{ ports: [0] }, "ports[0]"],
    [{ ports: [80, 80] }, "ports"],
    [{ allowUnauthenticated: "yes" }, "allowUnauthenticated"],
    [{ healthPath: "healthz" }, "healthPath"],
    [{ __timeouts: { create: "soon" } }, "customTimeouts.create"],
  ])("rejects %j, naming %s", (input, property) => {
    const r = checkApp({ ...base, ...input });
    expect(r.failures!.map((f) => f.property)).toContain(property);
    for (const f of r.failures!) expect(f.reason).toMatch(/`|organization/);
  });

  it("leaves unknown values (preview) unvalidated", () => {
    const r = checkApp({ ...base, description: UNKNOWN, scaling: { maxReplicas: UNKNOWN } });
    expect(r.failures).toEqual([]);
    expect(r.inputs!.scaling.maxReplicas).toBe(UNKNOWN);
  });
});

describe("App diff", () => {
  const desired = checked({ scaling: { maxReplicas: 3 }, env: { A: "1" } });
  const live: PlainApp = {
    ...desired,
    activeVersion: 1,
    latestVersion: 1,
    publicUrls: ["http://greet-acme-corp.ignite.localhost"],
  };

  it.each<[string, Partial<AppInputs>, Partial<PlainApp>, { changes: boolean; replaces: string[]; deleteBeforeReplace?: boolean }]>([
    ["nothing differs", {}, {}, { changes: false, replaces: [] }],
    ["scaling changed in the program", { scaling: { ...desired.scaling, maxReplicas: 4 } }, {}, { changes: true, replaces: [] }],
    ["scaling changed out of band", {}, { scaling: { ...desired.scaling, maxReplicas: 1 } }, { changes: true, replaces: [] }],
    ["env changed", { env: { A: "2" } }, {}, { changes: true, replaces: [] }],
    ["description changed", { description: "x" }, {}, { changes: true, replaces: [] }],
    ["ports changed", { ports: [80, 8080] }, {}, { changes: true, replaces: [] }],
    ["auth changed", { allowUnauthenticated: true }, {}, { changes: true, replaces: [] }],
    ["tier changed", { resourceTier: "large" }, {}, { changes: true, replaces: [] }],
    ["adopt changed", { adopt: true }, {}, { changes: false, replaces: [] }],
    ["name changed", { name: "greet2", appId: "acme-corp/greet2" }, {}, { changes: true, replaces: ["name"], deleteBeforeReplace: false }],
    ["organization changed", { organization: "b", appId: "b/greet" }, {}, { changes: true, replaces: ["organization"], deleteBeforeReplace: false }],
    ["runtime changed", { runtime: "deno" }, {}, { changes: true, replaces: ["runtime"], deleteBeforeReplace: true }],
  ])("%s", (_label, newer, liveChange, expected) => {
    const d = diffApp(desired, { ...desired, ...newer }, { ...live, ...liveChange });
    expect({ changes: d.changes, replaces: d.replaces }).toEqual({ changes: expected.changes, replaces: expected.replaces });
    if (expected.deleteBeforeReplace !== undefined) expect(d.deleteBeforeReplace).toBe(expected.deleteBeforeReplace);
  });

  it("replaces an app deleted outside Pulumi, deleting the old record first, and says why", () => {
    const d = diffApp(desired, desired, undefined);
    expect(d).toMatchObject({ changes: true, replaces: ["appId"], deleteBeforeReplace: true });
    expect(d.notes.join()).toMatch(/no longer exists/);
  });

  it("notes config changed outside Pulumi", () => {
    const d = diffApp(desired, desired, { ...live, description: "edited" });
    expect(d.notes.join()).toMatch(/app acme-corp\/greet: changed outside Pulumi: description "edited" → "" \(live → this program\); `pulumi up` sets it back/);
  });
});

// Issue 9: what the platform already says about creating an App is said at preview.
describe("App platformFailures (check, against the live app)", () => {
  const desired = checked();
  const liveApp = (extra: Partial<PlainApp> = {}): PlainApp => ({
    appId: "acme-corp/greet",
    organization: "acme-corp",
    name: "greet",
    runtime: "python",
    description: "",
    resourceTier: "small",
    scaling: desired.scaling,
    env: {},
    ports: [80],
    allowUnauthenticated: false,
    healthPath: "",
    activeVersion: 0,
    latestVersion: 0,
    publicUrls: [],
    ...extra,
  });
  it.each<[string, Partial<AppInputs>, Partial<AppInputs>, PlainApp | undefined, string[]]>([
    ["a free name", {}, {}, undefined, []],
    ["a name taken by an app this stack does not manage", {}, {}, liveApp({ latestVersion: 1, activeVersion: 1 }), ["name"]],
    ["a taken name whose app differs only in description", {}, {}, liveApp({ description: "theirs" }), ["name"]],
    ["our own interrupted create (empty, identical): taken over by create", {}, {}, liveApp(), []],
    ["an app this stack manages (same app id in the old inputs)", { appId: "acme-corp/greet" }, {}, liveApp({ latestVersion: 3 }), []],
    ["a rename onto a taken name", { appId: "acme-corp/old" }, {}, liveApp({ latestVersion: 1 }), ["name"]],
    ["adopt of an app that exists", {}, { adopt: true }, liveApp({ latestVersion: 4, description: "x" }), []],
    ["adopt of an app that does not exist", {}, { adopt: true }, undefined, ["adopt"]],
    ["adopt of an app with another runtime", {}, { adopt: true, runtime: "rust" }, liveApp(), ["runtime"]],
  ])("%s", (_name, olds, news, live, properties) => {
    const failures = platformFailures(olds, { ...desired, ...news }, live);
    expect(failures.map((f) => f.property)).toEqual(properties);
    for (const f of failures) expect(f.reason).not.toMatch(/^ignite: /);
  });

  it("the taken-name message explains the risk and the choices, not only adopt", () => {
    const [f] = platformFailures({}, desired, liveApp({ latestVersion: 2, activeVersion: 2 }));
    expect(f!.reason).toMatch(/this stack does not manage it .* may belong to another stack or team.*another `name`.*`adopt: true`.*DeleteApp/);
  });
});

describe("App check refuses a create-first replacement (issue 9)", () => {
  it("`deleteBeforeReplace: false` (passed on by the App) fails, naming the option", () => {
    const r = checkApp({ ...base, deleteBeforeReplace: false });
    expect(r.failures).toEqual([{ property: "deleteBeforeReplace", reason: expect.stringMatching(/cannot work for an App/) }]);
    expect(r.inputs).not.toHaveProperty("deleteBeforeReplace");
  });
});

// Issue 10 (4): ignoreChanges is respected in the live diff too.
describe("App diff and update with ignoreChanges", () => {
  const desired = checked({ scaling: { maxReplicas: 2 }, description: "mine" });
  const live: PlainApp = { ...desired, activeVersion: 1, latestVersion: 1, publicUrls: [] };
  const drifted: PlainApp = { ...live, scaling: { ...live.scaling, maxReplicas: 4 } };
  const ignoring = (...paths: string[]) => ({ ...desired, __ignoreChanges: paths });

  it.each<[string, AppInputs, PlainApp, boolean]>([
    ["scaling changed out of band, not ignored: set back", desired, drifted, true],
    ["scaling changed out of band, ignoreChanges: [\"scaling\"]: left alone", ignoring("scaling"), drifted, false],
    ["…ignoring only scaling.maxReplicas", ignoring("scaling.maxReplicas"), drifted, false],
    ["…ignoring another scaling field", ignoring("scaling.reservedCapacity"), drifted, true],
    ["description changed out of band while scaling is ignored", ignoring("scaling"), { ...drifted, description: "theirs" }, true],
    ["env changed out of band, ignoreChanges: [\"env\"]", ignoring("env"), { ...live, env: { EXTRA: "1" } }, false],
  ])("%s", (_label, news, l, changes) => {
    expect(diffApp(desired, news, l).changes).toBe(changes);
  });

  it("an update keeps ignored fields as they are live: the mask leaves them out", () => {
    const news = { ...ignoring("scaling"), description: "new" };
    const d = desiredConfig(news, { ...drifted, description: "mine" });
    expect(d.scaling.maxReplicas).toBe(4);
    const fields = configDrift(d, { ...drifted, description: "mine" });
    expect(updateMask(d, { ...drifted, description: "mine" }, fields)).toEqual(["description"]);
  });

  it("ignoring one scaling field names only the other scaling fields that differ", () => {
    const news = { ...ignoring("scaling.maxReplicas"), scaling: { ...desired.scaling, reservedCapacity: 1 } };
    const d = desiredConfig(news, drifted);
    expect(updateMask(d, drifted, configDrift(d, drifted))).toEqual(["scaling.reserved_capacity"]);
  });

  it("healthPath is a config field, updated in place with mask health_path", () => {
    const news = checked({ scaling: { maxReplicas: 2 }, description: "mine", healthPath: "/healthz" });
    expect(diffApp(desired, news, live)).toMatchObject({ changes: true, replaces: [] });
    expect(updateMask(news, live, configDrift(news, live))).toEqual(["health_path"]);
  });

  it("a drift note shows the live value and the program's", () => {
    expect(diffApp(desired, desired, drifted).notes.join()).toMatch(/scaling\.maxReplicas 4 → 2/);
  });
});

describe("App read: the inputs describing the live app", () => {
  const desired = checked({ env: { A: "1" } });
  it("each config field as it is live; an env variable this stack did not set is kept secret", () => {
    const outs = { ...desired, scaling: { ...desired.scaling, maxReplicas: 4 }, env: { A: "2", ADDED: "s3cret" } };
    const inputs = inputsOf(outs, { A: "1" });
    expect(inputs.scaling).toMatchObject({ maxReplicas: 4 });
    expect(inputs.env).toEqual({ A: "2", ADDED: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cret" } });
    expect(inputs).not.toHaveProperty("adopting");
  });
});

describe("App adoption, as the preview shows it", () => {
  it("lists what UpdateAppConfig will change, env by name only", () => {
    const i = checked({ description: "managed now", env: { API_KEY: "new-secret" } });
    const live: PlainApp = { ...i, description: "made by hand", env: { API_KEY: "old-secret", OLD: "x" }, activeVersion: 2, latestVersion: 2, publicUrls: [] };
    const changes = adoptionChanges(i, live);
    expect(changes).toEqual(['description: "made by hand" → "managed now"', "env (API_KEY changed, OLD removed)"]);
    expect(changes.join()).not.toMatch(/secret/);
  });
});
