// Issue 10 (1): the health gate's inputs, verdict and attempt loop, with a fake app (the real
// calls are tested end to end in test/e2e/health-gate.test.ts).
import { describe, expect, it } from "vitest";
import { Failures } from "../../src/resources/common.js";
import { checkHealthCheck, judge, NoAnswerError, runHealthCheck, type AppAnswer, type AppCall, type HealthCheck } from "../../src/resources/health-check.js";
import { Deadline } from "../../src/resources/resource-options.js";

function checked(v: unknown): { check: HealthCheck | undefined; failures: string[] } {
  const f = new Failures();
  const check = checkHealthCheck(v, f);
  return { check, failures: f.list.map((x) => x.property) };
}

describe("checkHealthCheck", () => {
  it("absent: no health check", () => {
    expect(checked(undefined)).toEqual({ check: undefined, failures: [] });
  });
  it("empty: the defaults (the path is left to the App's healthPath, known at up)", () => {
    expect(checked({})).toEqual({ check: { method: "GET", headers: {}, timeoutSecs: 120, attempts: 3, via: "auto" }, failures: [] });
  });
  it("every field", () => {
    const v = { path: "/healthz?deep=1", method: "POST", body: "{}", headers: { "content-type": "application/json" }, expectStatus: [200, 204], expectBodyContains: "ok", timeoutSecs: 30, attempts: 5, via: "invoke" };
    expect(checked(v)).toEqual({ check: v, failures: [] });
  });
  it.each<[unknown, string]>([
    [5, "healthCheck"],
    [{ path: "healthz" }, "healthCheck.path"],
    [{ method: "FETCH" }, "healthCheck.method"],
    [{ body: 5 }, "healthCheck.body"],
    [{ headers: { Authorization: "Bearer x" } }, "healthCheck.headers.Authorization"],
    [{ headers: { "bad header": "x" } }, "healthCheck.headers.bad header"],
    [{ expectStatus: 99 }, "healthCheck.expectStatus"],
    [{ expectStatus: [] }, "healthCheck.expectStatus"],
    [{ timeoutSecs: 0 }, "healthCheck.timeoutSecs"],
    [{ attempts: 1.5 }, "healthCheck.attempts"],
    [{ via: "carrier-pigeon" }, "healthCheck.via"],
    [{ retries: 3 }, "healthCheck.retries"],
  ])("rejects %j, naming %s", (v, property) => {
    expect(checked(v).failures).toContain(property);
  });
});

describe("judge", () => {
  it.each<[Partial<HealthCheck>, number, string, boolean]>([
    [{}, 200, "", true],
    [{}, 204, "", true],
    [{}, 301, "", false],
    [{}, 500, "", false],
    [{ expectStatus: [404] }, 404, "", true],
    [{ expectStatus: [200] }, 201, "", false],
    [{ expectBodyContains: '"ok": true' }, 200, '{"ok": true}', true],
    [{ expectBodyContains: '"ok": true' }, 200, '{"ok": false}', false],
  ])("%j, %i %j → healthy %s", (check, status, body, healthy) => {
    expect(judge(check, { status, body }) === undefined).toBe(healthy);
  });
});

describe("runHealthCheck", () => {
  const target = { org: "acme-corp", name: "greet", url: "http://greet-acme-corp.ignite.localhost:7700", path: "/healthz" };
  const check: HealthCheck = { method: "GET", headers: {}, timeoutSecs: 120, attempts: 3, via: "auto" };
  const answer = (status: number, body = ""): AppAnswer => ({ via: "publicUrl", target: "GET http://…/healthz", status, body });
  const script = (...steps: (AppAnswer | Error)[]) => {
    const calls: AppCall[] = [];
    const call = async (req: AppCall) => {
      calls.push(req);
      const step = steps.shift()!;
      if (step instanceof Error) throw step;
      return step;
    };
    return { calls, call };
  };
  const noSleep = async () => {};

  it("healthy at once: one call, through the public URL with the path", async () => {
    const s = script(answer(200));
    expect(await runHealthCheck(s.call, target, check, new Deadline("create", undefined), noSleep)).toMatchObject({ healthy: true, attempts: 1 });
    expect(s.calls).toEqual([expect.objectContaining({ url: target.url, path: "/healthz", method: "GET", via: "auto" })]);
  });

  it("a cold start that fails once, then answers: healthy on attempt 2", async () => {
    const s = script(new NoAnswerError("GET …", "the connection broke"), answer(200));
    expect(await runHealthCheck(s.call, target, check, new Deadline("create", undefined), noSleep)).toMatchObject({ healthy: true, attempts: 2 });
  });

  it("broken: every attempt made, the last status and body reported", async () => {
    const s = script(answer(500, "a"), answer(500, "b"), answer(500, '{"error": "handler.py failed to import"}'));
    const r = await runHealthCheck(s.call, target, check, new Deadline("update", undefined), noSleep);
    expect(r).toMatchObject({ healthy: false, attempts: 3, status: 500, body: '{"error": "handler.py failed to import"}', timedOut: false });
    expect(s.calls).toHaveLength(3);
  });

  it("each attempt gets the time left, never more than the custom timeout allows", async () => {
    const s = script(answer(200));
    await runHealthCheck(s.call, target, check, new Deadline("create", { create: 5 }), noSleep);
    expect(s.calls[0]!.timeoutMs).toBeLessThanOrEqual(5000);
  });

  it("errors other than a missing answer are not swallowed", async () => {
    const s = script(new TypeError("bug"));
    await expect(runHealthCheck(s.call, target, check, new Deadline("create", undefined), noSleep)).rejects.toThrow("bug");
  });
});
