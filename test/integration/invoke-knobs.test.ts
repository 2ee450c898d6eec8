// What an app's config and the platform's knobs do to running pods (issue 12): an env change
// reaches the next request (pods are rolled), health_path gates readiness, and the cold-start
// budget (IGNITE_COLD_START_BUDGET_SECS) bounds the wait for a pod.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRuntimeOptions } from "../../src/emulator/runtime/options";
import { eventually, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";

let local: Local;
beforeAll(async () => {
  local = await startLocal({ coldStartBudgetMs: 4000 });
});
afterAll(async () => local?.stop());

const callApp = async (url: string, body = "") => {
  const res = await httpCall(local.emu.port, { host: hostOf(url), headers: { authorization: `Bearer ${local.emu.token}` }, body });
  return { status: res.status, text: res.body.toString() };
};

describe("config reaches running pods", () => {
  it("the first request after UpdateAppConfig of env sees the new env, on a warm app and on a reserved pod", async () => {
    const handler = "import os\ndef handler(payload, ctx):\n    return os.environ.get('GREETING', '-')\n";
    const url = (await local.deploy("env-roll", { "handler.py": handler }, { env: { GREETING: "hello" }, scaling: { reservedCapacity: 1 } })).publicUrls[0]!;
    expect((await callApp(url)).text).toBe("hello");
    for (const greeting of ["bonjour", "hallo"]) {
      await local.client.updateAppConfig({ organizationName: local.emu.org, appName: "env-roll", env: { GREETING: greeting }, updateMask: { paths: ["env"] } });
      expect((await callApp(url)).text).toBe(greeting);
    }
  });

  it("a scaling-only change keeps the running pod", async () => {
    const url = (await local.deploy("keep-pod", { "handler.py": "import os\ndef handler(p, c):\n    return str(os.getpid())\n" })).publicUrls[0]!;
    const pid = (await callApp(url)).text;
    await local.client.updateAppConfig({ organizationName: local.emu.org, appName: "keep-pod", scaling: { maxReplicas: 3 }, updateMask: { paths: ["scaling.max_replicas"] } });
    expect((await callApp(url)).text).toBe(pid);
  });
});

describe("health_path", () => {
  it("a pod is ready once GET <health_path> passes: failing probes are retried through the cold start", async () => {
    // The first two calls (the readiness probes) fail; the third passes; then requests flow.
    const handler = "n = 0\ndef handler(payload, ctx):\n    global n\n    n += 1\n    if n <= 2:\n        raise RuntimeError('not yet')\n    return {'calls': n}\n";
    const url = (await local.deploy("warming", { "handler.py": handler }, { healthPath: "/healthz" })).publicUrls[0]!;
    const res = await callApp(url);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ calls: 4 });
    await eventually(() => require("node:fs").readFileSync(local.logFile(`${local.emu.org}/warming`), "utf8").includes("health check GET /healthz answered 500"), "the failed probe in the app log");
  });

  it("a pod that never passes fails the waiting request with the probe's answer, and is not left running", async () => {
    const handler = "def handler(payload, ctx):\n    raise RuntimeError('broken')\n";
    const url = (await local.deploy("never-healthy", { "handler.py": handler }, { healthPath: "/ready" })).publicUrls[0]!;
    const res = await callApp(url);
    expect(res.status).toBeGreaterThanOrEqual(500);
    // Whichever deadline fires first (the probe loop's or the waiting request's), the answer names both.
    expect(JSON.parse(res.text).message).toContain("cold-start budget");
    expect(JSON.parse(res.text).message).toContain("GET /ready answered 500");
    const pods = async () =>
      (JSON.parse((await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" })).body.toString()).pods as Array<{ app: string }>).filter(
        (p) => p.app === `${local.emu.org}/never-healthy`,
      );
    await eventually(async () => (await pods()).length === 0 || undefined, "the unhealthy pod to be stopped");
  });
});

describe("the cold-start budget", () => {
  it("IGNITE_COLD_START_BUDGET_SECS sets it; a bad value is refused naming the variable", () => {
    expect(resolveRuntimeOptions({}, { IGNITE_COLD_START_BUDGET_SECS: "2.5" }).coldStartBudgetMs).toBe(2500);
    expect(resolveRuntimeOptions({}, {}).coldStartBudgetMs).toBe(600_000);
    expect(resolveRuntimeOptions({ coldStartBudgetMs: 10 }, { IGNITE_COLD_START_BUDGET_SECS: "3" }).coldStartBudgetMs).toBe(10);
    expect(() => resolveRuntimeOptions({}, { IGNITE_COLD_START_BUDGET_SECS: "soon" })).toThrow(/IGNITE_COLD_START_BUDGET_SECS must be a positive number of seconds/);
  });

  it("a pod not ready within the budget fails the call with 504 naming the budget and how to set it", async () => {
    const slow = await startLocal({ coldStartBudgetMs: 500 });
    try {
      const url = (await slow.deploy("slow-import", { "handler.py": "import time\ntime.sleep(3)\ndef handler(p, c):\n    return 'late'\n" })).publicUrls[0]!;
      const res = await httpCall(slow.emu.port, { host: hostOf(url), headers: { authorization: `Bearer ${slow.emu.token}` } });
      expect(res.status).toBe(504);
      expect(JSON.parse(res.body.toString()).message).toContain("cold-start budget (0.5 s; IGNITE_COLD_START_BUDGET_SECS or --cold-start-budget-secs sets it)");
    } finally {
      await slow.stop();
    }
  });
});
