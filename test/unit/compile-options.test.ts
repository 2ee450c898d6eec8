// The compile budget and queue limit: defaults, IGNITE_COMPILE_BUDGET_SECS, explicit options.
import { afterEach, describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/emulator/options.js";

describe("compile options", () => {
  const saved = process.env.IGNITE_COMPILE_BUDGET_SECS;
  afterEach(() => {
    if (saved === undefined) delete process.env.IGNITE_COMPILE_BUDGET_SECS;
    else process.env.IGNITE_COMPILE_BUDGET_SECS = saved;
  });

  it("default to the platform's 2400 s budget and one compile at a time", () => {
    delete process.env.IGNITE_COMPILE_BUDGET_SECS;
    expect(resolveOptions({ dataDir: "/d" })).toMatchObject({ compileBudgetSecs: 2400, compileConcurrency: 1 });
  });

  it("take the budget from IGNITE_COMPILE_BUDGET_SECS, and an explicit option over it", () => {
    process.env.IGNITE_COMPILE_BUDGET_SECS = "30";
    expect(resolveOptions({ dataDir: "/d" }).compileBudgetSecs).toBe(30);
    expect(resolveOptions({ dataDir: "/d", compileBudgetSecs: 5, compileConcurrency: 2 })).toMatchObject({ compileBudgetSecs: 5, compileConcurrency: 2 });
  });

  it("refuse a budget that is no positive number, naming where it came from", () => {
    process.env.IGNITE_COMPILE_BUDGET_SECS = "soon";
    expect(() => resolveOptions({ dataDir: "/d" })).toThrow(/IGNITE_COMPILE_BUDGET_SECS must be a number, got "soon"/);
    expect(() => resolveOptions({ dataDir: "/d", compileBudgetSecs: 0 })).toThrow(/compileBudgetSecs must be > 0/);
    expect(() => resolveOptions({ dataDir: "/d", compileBudgetSecs: 1, compileConcurrency: 0 })).toThrow(/compileConcurrency must be > 0/);
  });
});
