/**
 * Helpers of the Rust runtime tests: building a crate through the real compile pipeline,
 * speaking the worker frames of docs/pod-protocol.md to a worker process, and telling whether
 * the wasm tools exist on this machine (and if not, why).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { create } from "@bufbuild/protobuf";
import { CompileRuntimeSchema, RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { resolveRuntimeOptions } from "../../src/emulator/runtime/options.js";
import { compileRust } from "../../src/emulator/runtimes/rust/compile.js";
import type { RuntimeHost } from "../../src/emulator/runtimes/types.js";

export const REPO = path.resolve(__dirname, "..", "..");
export const TINY = path.join(REPO, "examples", "tiny", "app");
export const PROBE = path.join(REPO, "test", "fixtures", "rust-probe");

export function testHost(dataDir: string): RuntimeHost {
  return { options: resolveRuntimeOptions(), dataDir, log: () => {} };
}

/** Builds the crate at `crateDir` with the real pipeline (shape check, cargo); throws with the log on failure. */
export async function buildCrate(crateDir: string, target: "native" | "wasm", appId = "acme-corp/probe"): Promise<{ artifact: string; log: string[]; host: RuntimeHost }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-rust-build-"));
  const treeDir = path.join(work, "tree");
  fs.cpSync(crateDir, treeDir, { recursive: true });
  const host = testHost(path.join(work, "runtime"));
  const log: string[] = [];
  const result = await compileRust(
    {
      appId,
      treeDir,
      workDir: work,
      compileRuntime: create(CompileRuntimeSchema, { runtime: { case: "rust", value: { target: target === "wasm" ? RustTarget.WASM : RustTarget.NATIVE } } }),
      signal: new AbortController().signal,
      log: (l) => log.push(l),
    },
    host,
  );
  if (!result.ok) throw new Error(`build of ${crateDir} (${target}) failed: ${result.error}\n${log.join("\n")}`);
  return { artifact: result.artifact, log, host };
}

/** Why wasm cannot be tested here, or undefined when it can. */
export function wasmUnavailable(): string | undefined {
  const targets = spawnSync("rustup", ["target", "list", "--installed"], { encoding: "utf8" });
  if (targets.error || !targets.stdout.split("\n").includes("wasm32-wasip2")) {
    return "the wasm32-wasip2 target is not installed (rustup target add wasm32-wasip2)";
  }
  const python = resolveRuntimeOptions().rust.wasmtimePython;
  if (spawnSync(python, ["-c", "import wasmtime"]).status !== 0) {
    return `no Python with wasmtime at ${python} (node scripts/setup.js wasmtime)`;
  }
  return undefined;
}

export interface Answer {
  id: number;
  status: number;
  contentType: string;
  body: Buffer;
  json(): any;
  /** ms since the worker was spawned. */
  at: number;
}

/** A worker process spoken to with frames, as the pod agent does. */
export class FrameWorker {
  readonly proc: ChildProcessWithoutNullStreams;
  /** stdout bytes that were no frame (what user code printed). */
  stray = Buffer.alloc(0);
  stderr = "";
  readonly answers = new Map<number, Answer>();
  readonly started = performance.now();
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private readyAt: number | undefined;
  readonly exited: Promise<number | null>;

  constructor(argv: string[], env: Record<string, string> = {}) {
    this.proc = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, IGNITE_FUNCTION_ID: "acme-corp/probe", IGNITE_ORGANIZATION_ID: "acme-corp", ...env }, stdio: "pipe" });
    this.proc.stdout.on("data", (d: Buffer) => this.onData(d));
    this.proc.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString();
      this.wake();
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const at = this.buf.indexOf("IGN1");
      if (at !== 0) {
        const upto = at < 0 ? this.buf.length : at;
        this.stray = Buffer.concat([this.stray, this.buf.subarray(0, upto)]);
        this.buf = this.buf.subarray(upto);
        if (at < 0) break;
        continue;
      }
      if (this.buf.length < 13) break;
      const kind = String.fromCharCode(this.buf[4]!);
      const id = this.buf.readUInt32LE(5);
      const len = this.buf.readUInt32LE(9);
      if (this.buf.length < 13 + len) break;
      const payload = this.buf.subarray(13, 13 + len);
      this.buf = this.buf.subarray(13 + len);
      const at2 = performance.now() - this.started;
      if (kind === "Y") this.readyAt = at2;
      if (kind === "A") {
        const ctLen = payload.readUInt16LE(2);
        const body = Buffer.from(payload.subarray(4 + ctLen));
        this.answers.set(id, { id, status: payload.readUInt16LE(0), contentType: payload.subarray(4, 4 + ctLen).toString(), body, json: () => JSON.parse(body.toString()), at: at2 });
      }
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  private async until<T>(get: () => T | undefined, what: string, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** Resolves once the worker's stderr (the app log) contains `text`. */
  async logged(text: string): Promise<void> {
    await this.until(() => (this.stderr.includes(text) ? true : undefined), `${JSON.stringify(text)} on stderr`);
  }

  /** ms from spawn to the ready frame. */
  ready(): Promise<number> {
    return this.until(() => this.readyAt, "the ready frame");
  }

  send(id: number, body: unknown, executionId = `exec_${id}`): void {
    const b = (s: string, width: 1 | 2): Buffer => {
      const data = Buffer.from(s);
      const len = Buffer.alloc(width);
      if (width === 1) len.writeUInt8(data.length);
      else len.writeUInt16LE(data.length);
      return Buffer.concat([len, data]);
    };
    const payload = Buffer.concat([b("POST", 1), b("/", 2), b(executionId, 2), Buffer.from(typeof body === "string" ? body : JSON.stringify(body))]);
    const header = Buffer.alloc(13);
    header.write("IGN1", 0);
    header.write("Q", 4);
    header.writeUInt32LE(id, 5);
    header.writeUInt32LE(payload.length, 9);
    this.proc.stdin.write(Buffer.concat([header, payload]));
  }

  answer(id: number, ms?: number): Promise<Answer> {
    return this.until(() => this.answers.get(id), `the answer to request ${id}`, ms);
  }

  async call(id: number, body: unknown): Promise<Answer> {
    this.send(id, body);
    return this.answer(id);
  }

  /** Closes stdin (the lifeline) and resolves with the exit code. */
  async close(): Promise<number | null> {
    this.proc.stdin.end();
    return this.exited;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }
}
