// The same behaviours for every runtime the local Ignite runs (docs/pod-protocol.md,
// "Conformance"): one sample app per runtime, answering the same operations, put through the
// three invocation surfaces, concurrency, errors, crashes, the lifeline, scale from zero and
// reserved capacity. A runtime whose tools are missing here fails, unless IGNITE_SKIP_RUNTIMES
// names it: then its tests are skipped and the reason is printed.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { podAgent } from "../../src/emulator/runtime/agent";
import { runtimeNamed } from "../../src/emulator/runtimes/index";
import { resolveRuntimeOptions } from "../../src/emulator/runtime/options";
import { alive, Conn, eventually, hostOf, httpCall, request, startLocal, type Local } from "../support/local-ignite";
import { conformanceSamples, type Sample } from "./runtime-samples";

const skipped = new Set((process.env.IGNITE_SKIP_RUNTIMES ?? "").split(",").map((s) => s.trim()).filter(Boolean));

interface Pod {
  app: string;
  pid: number;
  handedConnections: number;
  retiring: boolean;
}

for (const sample of conformanceSamples()) {
  const missing = sample.missing();
  const skip = missing !== undefined && skipped.has(sample.name);
  if (skip) console.warn(`runtime conformance: ${sample.name} skipped (IGNITE_SKIP_RUNTIMES): ${missing}`);

  describe.skipIf(skip)(`runtime conformance: ${sample.name}`, () => {
    let local: Local;
    let url: string;
    const app = `conf-${sample.name}`;
    const appId = () => `${local.emu.org}/${app}`;
    const call = async (op: object, headers: Record<string, string> = {}) => {
      const res = await httpCall(local.emu.port, {
        host: hostOf(url),
        headers: { authorization: `Bearer ${local.emu.token}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(op),
      });
      return { status: res.status, type: res.headers["content-type"], json: JSON.parse(res.body.toString() || "null") as Record<string, unknown> };
    };
    const pods = async (): Promise<Pod[]> =>
      (JSON.parse((await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" })).body.toString()) as { pods: Pod[] }).pods.filter(
        (p) => p.app === appId(),
      );

    beforeAll(async () => {
      expect(missing, `${sample.name} cannot run here: ${missing}`).toBeUndefined();
      local = await startLocal({ scaledownPeriodOverrideSecs: 0.5, autoscaleIntervalMs: 50 });
      url = (await sample.deploy(local, app)).publicUrls[0]!;
    }, 600_000);
    afterAll(async () => local?.stop());

    it("answers on the public URL with the handler's JSON, execution_id and function_id, and its pod takes the connection", async () => {
      const res = await call({ op: "echo", text: "hi" });
      expect(res.status).toBe(200);
      expect(res.type).toBe("application/json");
      expect(res.json).toMatchObject({ echo: "hi", function_id: appId() });
      expect(res.json.execution_id).toMatch(/^exec_[0-9A-Z]{26}$/);
      // A keep-alive connection is handed to the pod after its first request.
      const conn = new Conn(local.emu.port);
      for (let i = 0; i < 3; i++) {
        conn.send(request(hostOf(url), JSON.stringify({ op: "echo", text: `n${i}` }), { auth: local.emu.token }));
        expect(JSON.parse((await conn.read())!.body).echo).toBe(`n${i}`);
      }
      await eventually(async () => (await pods()).some((p) => p.handedConnections > 0), "the pod to hold the connection");
      conn.close();
    });

    it("answers Invoke with head, chunks and trailer, and InvokeAsync with an execution", async () => {
      const frames: string[] = [];
      let body = "";
      const stream = local.client.invoke({
        organizationName: local.emu.org,
        appName: app,
        body: Buffer.from(JSON.stringify({ op: "echo", text: "frames" })),
      });
      for await (const f of stream) {
        frames.push(f.frame.case ?? "?");
        if (f.frame.case === "chunk") body += Buffer.from(f.frame.value.data).toString();
        if (f.frame.case === "head") expect(f.frame.value.statusCode).toBe(200);
      }
      expect(frames[0]).toBe("head");
      expect(frames.at(-1)).toBe("trailer");
      expect(JSON.parse(body).echo).toBe("frames");

      const { executionId } = await local.client.invokeAsync({
        organizationName: local.emu.org,
        appName: app,
        body: Buffer.from(JSON.stringify({ op: "echo", text: "async" })),
      });
      const done = await eventually(async () => {
        const e = (await local.client.getExecution({ executionId })).execution!;
        return e.status === ExecutionStatus.COMPLETED ? e : undefined;
      }, "the execution to complete");
      expect(JSON.parse(Buffer.from(done.result).toString())).toMatchObject({ echo: "async", execution_id: executionId });
    });

    it.skipIf(!sample.concurrent)("serves concurrent requests concurrently (a waiting request is released by a later one)", async () => {
      const waiting = call({ op: "wait" });
      // The first request only ends once the second has run: no pod could serve them one by one.
      await eventually(async () => (await call({ op: "release" })).json.released === true || undefined, "the release to be served");
      expect((await waiting).json).toMatchObject({ waited: true });
    });

    it("answers a handler error with a 500 and a JSON error naming the execution", async () => {
      const res = await call({ op: "fail" });
      expect(res.status).toBe(500);
      expect(res.type).toBe("application/json");
      expect(String(res.json.error)).not.toBe("");
      expect(res.json.execution_id).toMatch(/^exec_/);
      expect((await call({ op: "echo", text: "after" })).status).toBe(200);
    });

    it(`a crash fails its request (${sample.crashStatus}) and the next request is served`, async () => {
      expect((await call({ op: "crash" })).status).toBe(sample.crashStatus);
      expect((await call({ op: "echo", text: "again" })).json.echo).toBe("again");
    });

    it("a worker dies with its agent, and an agent whose lifeline closes exits", async () => {
      const worker = Number((await call({ op: "pid" })).json.pid);
      const [pod] = await pods();
      expect(alive(worker)).toBe(true);
      process.kill(pod!.pid, "SIGKILL");
      await eventually(() => !alive(worker) || undefined, "the worker to die with its agent");

      // The lifeline, on its own: the agent started by hand exits when its stdin closes.
      const plugin = runtimeNamed(sample.plugin)!;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-lifeline-"));
      const workerCmd = await plugin.worker(
        {
          appId: appId(),
          version: 1,
          treeDir: await local.emu.store.files.versionTree(appId(), 1),
          compileRuntime: (await local.emu.store.getVersion(appId(), 1))?.runtime,
          artifactPath: sample.artifact?.(local, appId()),
        },
        { options: resolveRuntimeOptions(), dataDir: dir, log: () => undefined },
        () => undefined,
      );
      const agent = spawn(await podAgent(), ["--", ...workerCmd.argv], {
        cwd: await local.emu.store.files.versionTree(appId(), 1),
        env: { ...process.env, ...workerCmd.env, IGNITE_READY_FD: "3" },
        stdio: ["pipe", "ignore", "ignore", "pipe"],
      });
      const ready = await new Promise<string>((resolve) => agent.stdio[3]!.once("data", (d: Buffer) => resolve(d.toString())));
      expect(ready).toMatch(/^READY \d+\n$/);
      const exited = new Promise((resolve) => agent.once("exit", resolve));
      agent.stdin!.end();
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("wakes from zero with cold_start_ms > 0, and keeps reserved_capacity pods warm before any request", async () => {
      await eventually(async () => (await pods()).length === 0 || undefined, "the app to scale to zero");
      const { executionId } = await local.client.invokeAsync({ organizationName: local.emu.org, appName: app, body: Buffer.from('{"op":"echo","text":"cold"}') });
      const cold = await eventually(async () => {
        const e = (await local.client.getExecution({ executionId })).execution!;
        return e.status === ExecutionStatus.COMPLETED ? e : undefined;
      }, "the cold execution");
      expect(Number(cold.metrics!.coldStartMs)).toBeGreaterThan(0);

      await local.client.updateAppConfig({
        organizationName: local.emu.org,
        appName: app,
        scaling: { reservedCapacity: 1, maxReplicas: 2 },
        updateMask: { paths: ["scaling"] },
      });
      await eventually(async () => (await pods()).filter((p) => !p.retiring).length === 1 || undefined, "a reserved pod to start");
      const warm = await local.client.invokeAsync({ organizationName: local.emu.org, appName: app, body: Buffer.from('{"op":"echo","text":"warm"}') });
      const ran = await eventually(async () => {
        const e = (await local.client.getExecution({ executionId: warm.executionId })).execution!;
        return e.status === ExecutionStatus.COMPLETED ? e : undefined;
      }, "the warm execution");
      expect(Number(ran.metrics!.coldStartMs)).toBe(0);
    });
  });
}

export type { Sample };
