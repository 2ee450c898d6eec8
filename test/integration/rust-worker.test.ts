// Compiled Rust workers spoken to directly with the frames of docs/pod-protocol.md, as the pod
// agent does: the seed's `tiny` and a probe app, built by the real compile pipeline, natively
// and (where the wasm32-wasip2 target and the runner's Wasmtime exist) as a wasm component
// under wasm-runner.py.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { rustRuntime } from "../../src/emulator/runtimes/rust/index.js";
import type { RuntimeHost } from "../../src/emulator/runtimes/types.js";
import { create } from "@bufbuild/protobuf";
import { CompileRuntimeSchema, RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { buildCrate, FrameWorker, PROBE, TINY, wasmUnavailable } from "../support/rust.js";

const BUILD = 600_000;
const noWasm = wasmUnavailable();
if (noWasm) console.warn(`[rust-worker] wasm cases skipped: ${noWasm}`);

describe.each([
  { target: "native" as const, skip: undefined },
  { target: "wasm" as const, skip: noWasm },
])("a Rust worker ($target)", ({ target, skip }) => {
  const workers: FrameWorker[] = [];
  let tiny: string[];
  let probe: string[];

  /** The argv the plug-in gives the pod agent for this artifact. */
  const argvFor = async (artifact: string, host: RuntimeHost): Promise<string[]> => {
    const compileRuntime = create(CompileRuntimeSchema, { runtime: { case: "rust", value: { target: target === "wasm" ? RustTarget.WASM : RustTarget.NATIVE } } });
    const cmd = await rustRuntime.worker({ appId: "acme-corp/probe", version: 1, treeDir: PROBE, compileRuntime, artifactPath: artifact }, host, () => {});
    expect(cmd.mode).toBe(target);
    expect(cmd.stdoutHint).toBe("log with eprintln!(), not println!()");
    return cmd.argv;
  };
  const start = (argv: string[], env: Record<string, string> = {}): FrameWorker => {
    const w = new FrameWorker(argv, env);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    if (skip) return;
    const t = await buildCrate(TINY, target, "acme-corp/tiny");
    tiny = await argvFor(t.artifact, t.host);
    const p = await buildCrate(PROBE, target);
    probe = await argvFor(p.artifact, p.host);
  }, BUILD);
  afterEach(() => {
    workers.splice(0).forEach((w) => w.kill());
  });

  it.skipIf(skip)("the seed's tiny says ready, then answers the seed's JSON with the execution and function ids", async () => {
    const w = start(tiny, { IGNITE_FUNCTION_ID: "acme-corp/tiny" });
    const readyMs = await w.ready();
    console.log(`[rust-worker] ${target} tiny: ready ${readyMs.toFixed(1)} ms after spawn`);
    const a = await w.call(1, { message: "hi there" });
    expect(a.status).toBe(200);
    expect(a.contentType).toBe("application/json");
    expect(a.json()).toEqual({ message: "hi there", execution_id: "exec_1", function_id: "acme-corp/tiny" });
    const b = await w.call(2, "");
    expect(b.json().message).toBe("Hello from Rust!");
    expect(w.stray.length).toBe(0);
  });

  it.skipIf(skip || target === "wasm")("serves concurrent requests concurrently: two 300 ms handlers finish well under 600 ms", async () => {
    const w = start(probe);
    await w.ready();
    const t0 = performance.now() - w.started;
    w.send(1, { action: "sleep", ms: 300 });
    w.send(2, { action: "sleep", ms: 300 });
    const [a, b] = await Promise.all([w.answer(1), w.answer(2)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const took = Math.max(a.at, b.at) - t0;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(550);
  });

  it.skipIf(skip || target === "native")("serves requests one at a time, each answered", async () => {
    const w = start(probe);
    await w.ready();
    const t0 = performance.now() - w.started;
    w.send(1, { action: "sleep", ms: 200 });
    w.send(2, { action: "sleep", ms: 200 });
    const [a, b] = await Promise.all([w.answer(1), w.answer(2)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(Math.max(a.at, b.at) - t0).toBeGreaterThanOrEqual(390);
  });

  it.skipIf(skip)("answers a panic with a 500 naming it, and serves the next request", async () => {
    const w = start(probe);
    await w.ready();
    // The next request is already waiting when the handler panics.
    w.send(1, { action: "panic" });
    w.send(2, { action: "echo" });
    const a = await w.answer(1);
    expect(a.status).toBe(500);
    expect(a.json()).toEqual({ error: "handler panicked: boom on purpose; see the app logs", execution_id: "exec_1" });
    const b = await w.answer(2);
    expect(b.status).toBe(200);
    expect(b.json()).toMatchObject({ action: "echo", execution_id: "exec_2", function_id: "acme-corp/probe", organization_id: "acme-corp" });
    await w.logged("boom on purpose");
    if (target === "wasm") await w.logged("; starting a new one");
    expect(w.proc.exitCode).toBeNull();
  });

  it.skipIf(skip)("answers an Err with a 500 carrying its message and the execution id", async () => {
    const w = start(probe);
    await w.ready();
    const a = await w.call(7, { action: "error" });
    expect(a.status).toBe(500);
    expect(a.contentType).toBe("application/json");
    expect(a.json()).toEqual({ error: "failed on purpose", execution_id: "exec_7" });
  });

  it.skipIf(skip)("lets a println! out on stdout only between frames, where the agent sees it as no frame", async () => {
    const w = start(probe);
    await w.ready();
    const a = await w.call(1, { action: "print" });
    expect(a.status).toBe(200);
    expect(w.stray.toString()).toBe("hello from println\n");
    const b = await w.call(2, { action: "log" });
    expect(b.status).toBe(200);
    await w.logged("hello from eprintln");
    expect(w.stray.toString()).toBe("hello from println\n");
  });

  it.skipIf(skip)("sends text as UTF-8, bytes verbatim, and gives the handler the app's env", async () => {
    const w = start(probe, { GREETING: "Hello" });
    await w.ready();
    const text = await w.call(1, { action: "text" });
    expect([text.contentType, text.body.toString()]).toEqual(["text/plain; charset=utf-8", "plain text"]);
    const bytes = await w.call(2, { action: "bytes" });
    expect([bytes.contentType, [...bytes.body]]).toEqual(["application/octet-stream", [0, 1, 255]]);
    expect((await w.call(3, { action: "env" })).json()).toEqual({ greeting: "Hello" });
  });

  it.skipIf(skip)("reads a request body larger than a pipe's buffer", async () => {
    const w = start(probe);
    await w.ready();
    const a = await w.call(1, { action: "big", pad: "x".repeat(1 << 20) });
    expect(a.status).toBe(200);
    expect(a.json().action).toBe("big");
  });

  it.skipIf(skip)("exits 0 when its stdin ends", async () => {
    const w = start(probe);
    await w.ready();
    expect(await w.close()).toBe(0);
  });
});
