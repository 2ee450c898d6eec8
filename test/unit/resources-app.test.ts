// The App's check (validation + effective scaling) and diff, as tables.
import { describe, expect, it } from "vitest";
import { checkApp, diffApp, platformFailures, type AppInputs } from "../../src/resources/app.js";
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
    expect(d.notes.join()).toMatch(/description changed outside Pulumi/);
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
