// Issue 10 (4): the resource options a dynamic provider must honour itself — customTimeouts
// (durations, deadlines) and ignoreChanges (property paths, leaving live values alone) — as
// tables.
import { describe, expect, it } from "vitest";
import { Deadline, ignoredPaths, optionInputs, parseDuration, parsePropertyPath, timeoutFailures, withIgnoredFromLive } from "../../src/resources/resource-options.js";

describe("parseDuration (Go durations, as customTimeouts take them)", () => {
  it.each<[string, number | undefined]>([
    ["5s", 5000],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["2m30s", 150_000],
    ["0", 0],
    ["5", undefined],
    ["5 minutes", undefined],
    ["s", undefined],
    ["", undefined],
    ["-5s", undefined],
  ])("%j → %j ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("optionInputs: the options a resource class passes to its provider", () => {
  it("nothing set: no internal inputs at all (resources keep exactly their inputs)", () => {
    expect(optionInputs(undefined)).toEqual({});
    expect(optionInputs({ protect: true, customTimeouts: {}, ignoreChanges: [] })).toEqual({});
  });
  it("timeouts in seconds; one that does not parse kept as given, for check to name", () => {
    expect(optionInputs({ customTimeouts: { create: "5s", update: "2m", delete: "" } })).toEqual({ __timeouts: { create: 5, update: 120 } });
    const bad = optionInputs({ customTimeouts: { create: "soon" } });
    expect(bad).toEqual({ __timeouts: { create: "soon" } });
    expect(timeoutFailures(bad.__timeouts)).toEqual([{ property: "customTimeouts.create", reason: expect.stringMatching(/must be a duration like "30s"/) }]);
  });
  it("ignored paths as given", () => {
    expect(optionInputs({ ignoreChanges: ["scaling", "env.API_KEY"] })).toEqual({ __ignoreChanges: ["scaling", "env.API_KEY"] });
  });
});

describe("parsePropertyPath", () => {
  it.each<[string, string[]]>([
    ["scaling", ["scaling"]],
    ["scaling.maxReplicas", ["scaling", "maxReplicas"]],
    ['env["API_KEY"]', ["env", "API_KEY"]],
    ['env["a.b"]', ["env", "a.b"]],
    ["ports[0]", ["ports", "0"]],
    ["*", ["*"]],
  ])("%s → %j", (path, segments) => {
    expect(parsePropertyPath(path)).toEqual(segments);
  });
});

describe("withIgnoredFromLive: what the provider makes the live resource look like", () => {
  const desired = { description: "mine", scaling: { maxReplicas: 2, reservedCapacity: 0 }, env: { A: "1", B: "2" } };
  const live = { description: "theirs", scaling: { maxReplicas: 4, reservedCapacity: 1 }, env: { A: "9", C: "3" } };
  it.each<[string[], object]>([
    [[], desired],
    [["scaling"], { ...desired, scaling: live.scaling }],
    [["scaling.maxReplicas"], { ...desired, scaling: { maxReplicas: 4, reservedCapacity: 0 } }],
    [["env.A"], { ...desired, env: { A: "9", B: "2" } }],
    [["env.B"], { ...desired, env: { A: "1" } }],
    [["description", "env"], { ...desired, description: "theirs", env: live.env }],
  ])("ignoring %j", (paths, expected) => {
    expect(withIgnoredFromLive(desired, live, ignoredPaths(paths))).toEqual(expected);
  });
  it("leaves its argument alone", () => {
    withIgnoredFromLive(desired, live, ignoredPaths(["scaling"]));
    expect(desired.scaling.maxReplicas).toBe(2);
  });
});

describe("Deadline", () => {
  it("without a custom timeout nothing is capped", () => {
    const d = new Deadline("create", undefined);
    expect(d.limited).toBe(false);
    expect(d.cap(30_000)).toBe(30_000);
    expect(d.signal()).toBeUndefined();
    expect(d.expired()).toBe(false);
  });
  it("with one, every wait gets at most what is left of that operation's timeout", () => {
    const d = new Deadline("update", { create: 600, update: 5 });
    expect(d.limited).toBe(true);
    expect(d.limitSecs).toBe(5);
    expect(d.cap(30_000)).toBeLessThanOrEqual(5000);
    expect(d.cap(1000)).toBe(1000);
    expect(d.signal()).toBeInstanceOf(AbortSignal);
  });
  it("a timeout that did not parse is no timeout (check has already failed on it)", () => {
    expect(new Deadline("create", { create: "soon" }).limited).toBe(false);
  });
});
