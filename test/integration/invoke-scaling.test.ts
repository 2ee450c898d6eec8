// Cold starts and the scaling emulation (seed 000 "Cold start + scaling", seed 002 "Cold
// starts vs warm pods" and "Scaling configuration"), with the platform's periods shrunk by
// the runtime's timeScale: scaledown 30 s → 0.6 s, the 1-minute window → 1.2 s. Every wait
// polls for a state; nothing asserts on elapsed time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScaleMetric } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { alive, eventually, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";

let local: Local;
const ORG = "acme-corp";
const PID_HANDLER = [
  "import os, time",
  "def handler(payload, ctx):",
  "    gate = payload.decode()",
  "    while gate and not os.path.exists(gate):",
  "        time.sleep(0.01)",
  "    return {'pid': os.getpid()}",
].join("\n");

beforeAll(async () => {
  local = await startLocal({ timeScale: 0.02, autoscaleIntervalMs: 50 });
});
afterAll(async () => local?.stop());

async function call(app: string, body = "") {
  const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: app, body: Buffer.from(body) });
  let last;
  for await (const w of local.client.watchExecution({ executionId })) last = w.execution!;
  return { pid: JSON.parse(Buffer.from(last!.result).toString()).pid as number, metrics: last!.metrics!, execution: last! };
}

const fast = { scaledownPeriodSecs: 30 };

describe("cold and warm calls", () => {
  it("the first call to a scaled-to-zero app waits for a pod (cold_start_ms > 0); the next is warm (0)", async () => {
    await local.deploy("coldwarm", { "handler.py": PID_HANDLER }, { scaling: fast });
    const cold = await call("coldwarm");
    expect(cold.metrics.coldStartMs).toBeGreaterThan(0n);
    expect(cold.metrics.billedDurationMs).toBe(cold.metrics.executionMs + cold.metrics.coldStartMs);
    const warm = await call("coldwarm");
    expect(warm.metrics.coldStartMs).toBe(0n);
    expect(warm.metrics.billedDurationMs).toBe(warm.metrics.executionMs);
    expect(warm.pid).toBe(cold.pid);
  });
});

describe("scale-down and reserved capacity", () => {
  it("scales an idle app to zero after scaledown_period_secs while reserved pods stay warm", async () => {
    await local.deploy("idle", { "handler.py": PID_HANDLER }, { scaling: fast });
    await local.deploy("reserved", { "handler.py": PID_HANDLER }, { scaling: { ...fast, reservedCapacity: 1 } });
    const idle = await call("idle");
    await eventually(() => !alive(idle.pid), "the idle app's pod to be torn down");

    // By now the reserved pod has been up for longer than the period, untouched: it is warm.
    const first = await call("reserved");
    expect(first.metrics.coldStartMs).toBe(0n);
    // A full idle period later (the idle app, called now, is torn down again) the reserved pod is still up.
    const idleAgain = await call("idle");
    await eventually(() => !alive(idleAgain.pid), "a second idle teardown");
    expect(alive(first.pid)).toBe(true);
    const again = await call("reserved");
    expect(again.metrics.coldStartMs).toBe(0n);
    expect(again.pid).toBe(first.pid);

    // Woken again, the idle app pays a cold start on a new pod.
    const woken = await call("idle");
    expect(woken.metrics.coldStartMs).toBeGreaterThan(0n);
    expect(woken.pid).not.toBe(idleAgain.pid);
  });
});

describe("reserved capacity across a restart", () => {
  it("the local Ignite started again on the same data warms reserved pods before any request", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-reserved-restart-"));
    const pods = async (l: Local) =>
      (JSON.parse((await httpCall(l.emu.port, { method: "GET", path: "/_ignite/pods" })).body.toString()) as { pods: Array<{ app: string; pid: number }> }).pods;
    try {
      const first = await startLocal({}, { dataDir });
      await first.deploy("kept-warm", { "handler.py": PID_HANDLER }, { scaling: { reservedCapacity: 1 } });
      const before = await eventually(async () => (await pods(first)).find((p) => p.app === `${ORG}/kept-warm`), "the reserved pod");
      await first.emu.stop();
      expect(alive(before.pid)).toBe(false);

      const second = await startLocal({}, { dataDir });
      try {
        const after = await eventually(async () => (await pods(second)).find((p) => p.app === `${ORG}/kept-warm`), "the reserved pod after the restart");
        expect(after.pid).not.toBe(before.pid);
      } finally {
        await second.emu.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("scale-up by the autoscaler formula", () => {
  it("CONCURRENCY: ceil(in-flight per pod / threshold), clamped to max_replicas, then back to zero", async () => {
    await local.deploy("busy", { "handler.py": PID_HANDLER }, {
      scaling: { ...fast, scaleMetric: ScaleMetric.CONCURRENCY, scaleThreshold: 1, maxReplicas: 2 },
    });
    const gate = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ignite-gate-")), "open");
    const slow = Array.from({ length: 4 }, () => call("busy", gate));
    // 4 in flight on 1 pod with threshold 1 wants 4 replicas; max_replicas caps it at 2.
    const pids = new Set<number>();
    await eventually(async () => {
      pids.add((await call("busy")).pid);
      return pids.size >= 2 || undefined;
    }, "a second replica");
    for (let i = 0; i < 10; i++) pids.add((await call("busy")).pid);
    expect(pids.size).toBe(2);
    fs.writeFileSync(gate, "");
    const done = await Promise.all(slow);
    expect(done.every((d) => d.execution.statusCode === 200)).toBe(true);
    await eventually(() => [...pids].every((pid) => !alive(pid)), "scale to zero after traffic stops");
  });
});

describe("standby agents (the platform's agent is already on the node)", () => {
  it("a cold start takes the agent that was waiting, and another one waits for the next", async () => {
    const l = await startLocal({ scaledownPeriodOverrideSecs: 0.3, autoscaleIntervalMs: 50 });
    try {
      const view = async () =>
        JSON.parse((await httpCall(l.emu.port, { method: "GET", path: "/_ignite/pods" })).body.toString()) as {
          pods: Array<{ app: string; pid: number }>;
          standbyAgent: { pid: number } | null;
        };
      const url = (await l.deploy("standby", { "handler.py": "def handler(p, c):\n    return 'up'\n" })).publicUrls[0]!;
      const waiting = await eventually(async () => (await view()).standbyAgent?.pid, "a standby agent");
      expect(alive(waiting)).toBe(true);
      const res = await httpCall(l.emu.port, { host: hostOf(url), headers: { authorization: `Bearer ${l.emu.token}` } });
      expect(res.body.toString()).toBe("up");
      // The pod is the agent that was waiting (its pid), not one spawned for the request.
      expect((await view()).pods.map((p) => p.pid)).toEqual([waiting]);
      const next = await eventually(async () => (await view()).standbyAgent?.pid, "the next standby agent");
      expect(next).not.toBe(waiting);
    } finally {
      await l.stop();
    }
  });
});
