// The naming rules live in one module (src/names.ts, issue 14); the program's checks and the
// local Ignite's validation both follow it, so a name one accepts the other accepts too.
import { describe, expect, it } from "vitest";
import { isAppName, isDnsLabel, isEnvName } from "../../src/names.js";
import { checkApp } from "../../src/resources/app.js";
import { dnsLabelProblem } from "../../src/resources/common.js";
import { validateAppName, validateEnv, validateOrgName } from "../../src/emulator/validation.js";

const accepts = (f: () => void): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

const labels = ["a", "acme-corp", "greet2", "0", "a".repeat(63), "a".repeat(64), "", "-a", "a-", "Acme", "a_b", "a.b", "a b", "ünï"];
const envNames = ["GREETING", "_x", "a1", "A_B_C", "1A", "A-B", "A.B", "", "Ä", "A B"];

describe("the naming rules", () => {
  it.each(labels)("the resources and the local Ignite agree on %j as an organization name", (name) => {
    expect(dnsLabelProblem(name) === undefined).toBe(isDnsLabel(name));
    expect(accepts(() => validateOrgName(name))).toBe(isDnsLabel(name));
  });

  it("allows dotted app names on the platform, single labels in the resources", () => {
    expect(isAppName("api.v2")).toBe(true);
    expect(accepts(() => validateAppName("api.v2"))).toBe(true);
    expect(dnsLabelProblem("api.v2")).toBeDefined();
    expect(isAppName(["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join("."))).toBe(true);
    expect(isAppName(["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(62)].join("."))).toBe(false);
    for (const name of ["", "a..b", ".a", "a."]) expect(accepts(() => validateAppName(name))).toBe(false);
  });

  it.each(envNames)("the resources and the local Ignite agree on %j as an environment variable name", (key) => {
    const failures = checkApp({ name: "greet", organization: "acme-corp", env: { [key]: "v" } }).failures ?? [];
    expect(failures.some((f) => f.property === `env.${key}`)).toBe(!isEnvName(key));
    expect(accepts(() => validateEnv({ [key]: "v" }))).toBe(isEnvName(key));
  });
});
