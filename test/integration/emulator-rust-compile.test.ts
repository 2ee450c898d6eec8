// CompileDraft against the local Ignite with real cargo: the seed's crate builds unchanged,
// cargo's lines stream through StreamCompileLogs, the artifact is stored with each version; a
// rustc error, an unknown toolchain, a missing target, the budget, the queue, a SaveDraft
// during a build, and a stop mid-build each end the compile as the platform page says.
import * as fs from "node:fs";
import * as path from "node:path";
import type { EmulatorOptions } from "../../src/emulator/index";
import { createClient, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { CompileState, ComputeService, Runtime, RustTarget, type CompileLogLine } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { FileStore } from "../../src/emulator/fs-store.js";
import { INTERRUPTED } from "../../src/emulator/compiler.js";
import { rustRuntime } from "../../src/emulator/runtimes/rust/index.js";
import { versionContext } from "../../src/emulator/runtimes/version-context.js";
import { tarGz } from "../support/archive.js";
import { startLocal, type Local } from "../support/local-ignite";
import { FrameWorker, REPO, testHost, TINY, wasmUnavailable } from "../support/rust.js";

const BUILD = 600_000;
const noWasm = wasmUnavailable();
if (noWasm) console.warn(`[emulator-rust-compile] wasm build case skipped: ${noWasm}`);
const SLOW = path.join(REPO, "test", "fixtures", "rust-slow-build");

/** The files of a crate directory (minus build output), with some replaced. */
function crateFiles(dir: string, replace: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== "target") walk(p);
      } else out[p] = fs.readFileSync(path.join(dir, p), "utf8");
    }
  };
  walk("");
  return { ...out, ...replace };
}

interface Harness {
  t: Local;
  api: () => Client<typeof ComputeService>;
  org: () => string;
  save(name: string, files: Record<string, string>, opts?: { target?: RustTarget; toolchain?: string }): Promise<string>;
  /** CompileDraft, then the whole log as followed live, each line with the state seen. */
  compile(name: string): Promise<CompileLogLine[]>;
  draft(name: string): Promise<NonNullable<Awaited<ReturnType<Client<typeof ComputeService>["getDraft"]>>["draft"]>>;
  /** The compile's work dir (where the slow crate's build script leaves its pid). */
  workDir(name: string): string;
}

async function harness(opts: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const t = await startLocal({}, opts);
  const api = () => createClient(ComputeService, t.transport);
  const org = () => t.emu.org;
  const h: Harness = {
    t,
    api,
    org,
    async save(name, files, o = {}) {
      if (!(await api().listApps({ organizationName: org() })).apps.some((a) => a.name === name)) {
        await api().createApp({ organizationName: org(), name, runtime: Runtime.RUST });
      }
      const archive = await tarGz(files);
      const saved = await api().saveDraft({
        organizationName: org(),
        appName: name,
        code: { source: { case: "compile", value: { runtime: { runtime: { case: "rust", value: { target: o.target ?? RustTarget.NATIVE, toolchain: o.toolchain ?? "" } } }, input: { case: "archive", value: archive } } } },
      });
      return saved.draft!.codeHash;
    },
    async compile(name) {
      await api().compileDraft({ organizationName: org(), appName: name });
      const lines: CompileLogLine[] = [];
      for await (const l of api().streamCompileLogs({ organizationName: org(), appName: name, follow: true })) lines.push(l);
      return lines;
    },
    async draft(name) {
      return (await api().getDraft({ organizationName: org(), appName: name })).draft!;
    },
    workDir: (name) => path.join(t.dataDir, "data-plane", "compile", org(), name),
  };
  return h;
}

/** Waits for the slow crate's build script to run; returns its pid. */
async function buildScriptPid(h: Harness, name: string): Promise<number> {
  const file = path.join(h.workDir(name), "build-script.pid");
  const deadline = Date.now() + 240_000;
  while (!fs.existsSync(file) || fs.readFileSync(file, "utf8") === "") {
    if (Date.now() > deadline) throw new Error(`the build script of ${name} never ran`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number(fs.readFileSync(file, "utf8"));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe("CompileDraft of a Rust draft runs cargo", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => h?.t.stop());

  it("builds the seed's tiny unchanged: cargo's lines stream while COMPILING, with paths relative to the draft; SUCCEEDED; the binary is stored with each version", async () => {
    await h.save("tiny", crateFiles(TINY));
    const lines = await h.compile("tiny");
    const text = lines.map((l) => l.line);
    // cargo's own lines, followed live (state COMPILING), naming the draft and the injected SDK.
    const own = lines.find((l) => /^\s+Compiling tiny v0\.1\.0 \(the draft\)$/.test(l.line) || /^\s+Fresh tiny/.test(l.line));
    expect(own?.state ?? text.join("\n")).toBe(CompileState.COMPILING);
    expect(text.some((l) => /^\s+Finished `release` profile \[optimized\] target\(s\) in /.test(l))).toBe(true);
    expect(text.some((l) => /^compile: x86_64-unknown-linux-gnu with rustc \d+\.\d+/.test(l))).toBe(true);
    expect(text.some((l) => /^artifact: static x86_64 Linux binary, \d+\.\d MB$/.test(l))).toBe(true);
    expect(text.join("\n")).not.toContain(h.t.dataDir);
    expect(lines.at(-1)).toMatchObject({ line: "compile succeeded", state: CompileState.SUCCEEDED });
    expect((await h.draft("tiny")).compileState).toBe(CompileState.SUCCEEDED);

    const v1 = await h.api().publishDraft({ organizationName: h.org(), appName: "tiny" });
    expect(v1.publishedVersion).toBe(1);
    // A one-line edit: version 2 runs a new binary, version 1 keeps its own.
    await h.save("tiny", crateFiles(TINY, { "src/lib.rs": fs.readFileSync(path.join(TINY, "src", "lib.rs"), "utf8").replace("Hello from Rust!", "Hello from v2!") }));
    const rebuild = await h.compile("tiny");
    expect(rebuild.at(-1)?.state).toBe(CompileState.SUCCEEDED);
    expect((await h.api().publishDraft({ organizationName: h.org(), appName: "tiny" })).publishedVersion).toBe(2);

    const store = h.t.emu.store;
    const answers: string[] = [];
    for (const v of [1, 2]) {
      // What a pod of version v is told, and the worker the Rust plug-in starts for it.
      const version = (await store.getVersion(`${h.org()}/tiny`, v))!;
      const ctx = await versionContext(store, `${h.org()}/tiny`, v, version);
      expect(ctx.artifactPath).toBe(await store.files.versionArtifact(`${h.org()}/tiny`, v));
      expect(fs.readFileSync(ctx.artifactPath!).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
      const { argv } = await rustRuntime.worker(ctx, testHost(h.t.dataDir), () => {});
      expect(argv).toEqual([ctx.artifactPath]);
      const w = new FrameWorker(argv, { IGNITE_FUNCTION_ID: `${h.org()}/tiny` });
      try {
        answers.push((await w.call(1, "")).json().message);
      } finally {
        w.kill();
      }
    }
    expect(answers).toEqual(["Hello from Rust!", "Hello from v2!"]);
  }, BUILD);

  it.skipIf(noWasm)("builds the seed's tiny unchanged for wasm: a wasm32-wasip2 component, precompiled for the runner", async () => {
    await h.save("tiny-wasm", crateFiles(TINY), { target: RustTarget.WASM });
    const text = (await h.compile("tiny-wasm")).map((l) => l.line);
    expect(text.at(-1)).toBe("compile succeeded");
    expect(text.some((l) => /^compile: wasm32-wasip2 with rustc /.test(l))).toBe(true);
    expect(text.some((l) => /^artifact: wasm32-wasip2 component, \d+\.\d MB$/.test(l))).toBe(true);
    expect(text).toContain("precompiled the component for Wasmtime (cold starts skip Cranelift)");
    await h.api().publishDraft({ organizationName: h.org(), appName: "tiny-wasm" });
    const artifact = (await h.t.emu.store.files.versionArtifact(`${h.org()}/tiny-wasm`, 1))!;
    expect(fs.readFileSync(artifact).subarray(0, 4).toString("latin1")).toBe("\0asm");
    expect(fs.readdirSync(path.join(h.t.dataDir, "data-plane", "rust", "wasm-precompiled")).some((f) => f.endsWith(".cwasm"))).toBe(true);
  }, BUILD);

  it("fails a rustc type error naming src/lib.rs and its line, and nothing can be published", async () => {
    const lib = 'use ignite::prelude::*;\n\n#[ignite::main]\nasync fn handler(_req: Request, _ctx: Context) -> Result<impl IntoResponse> {\n    let n: u32 = "not a number";\n    Ok(Response::text(n.to_string()))\n}\n';
    await h.save("typo", crateFiles(TINY, { "src/lib.rs": lib }));
    const lines = await h.compile("typo");
    expect(lines.at(-1)).toMatchObject({ line: "compile failed", state: CompileState.FAILED });
    expect(lines.map((l) => l.line)).toContain(" --> src/lib.rs:5:18");
    const draft = await h.draft("typo");
    expect(draft.compileState).toBe(CompileState.FAILED);
    expect(draft.compileError).toMatch(/^src\/lib\.rs:5:18: error\[E0308\]: mismatched types\n/);
    expect(draft.compileError).toContain('let n: u32 = "not a number";');
    await expect(h.api().publishDraft({ organizationName: h.org(), appName: "typo" })).rejects.toThrow(/compile failed/);
  }, BUILD);

  it("keeps the shape check as a fast first step, with its messages", async () => {
    await h.save("shapeless", crateFiles(TINY, { "src/lib.rs": "async fn handler() {}\n" }));
    const lines = await h.compile("shapeless");
    expect(lines.map((l) => l.line)).toContain("checking Cargo.toml");
    expect((await h.draft("shapeless")).compileError).toMatch(/^src\/lib\.rs: no `#\[ignite::main\]` attribute on an `async fn handler`; annotate/);
    expect(lines.some((l) => l.line.includes("cargo build"))).toBe(false);
  });

  it("fails a toolchain that is not installed, naming the installed ones", async () => {
    await h.save("pinned", crateFiles(TINY), { toolchain: "0.0.1" });
    await h.compile("pinned");
    const installed = spawnSync("rustup", ["toolchain", "list"], { encoding: "utf8" }).stdout.split("\n")[0]!.split(" ")[0]!;
    const err = (await h.draft("pinned")).compileError;
    expect(err).toMatch(/^toolchain "0\.0\.1" is not installed here \(installed: .*\); install it with `rustup toolchain install 0\.0\.1`/);
    expect(err).toContain(installed);
  });

  const lacking = spawnSync("rustup", ["toolchain", "list"], { encoding: "utf8" })
    .stdout.split("\n")
    .map((l) => l.split(" ")[0]!)
    .find((tc) => tc && !spawnSync("rustup", ["target", "list", "--installed", "--toolchain", tc], { encoding: "utf8" }).stdout.split("\n").includes("wasm32-wasip2"));
  if (!lacking) console.warn("[emulator-rust-compile] missing-target case skipped: every installed toolchain has wasm32-wasip2");
  it.skipIf(!lacking)(`fails a wasm build on a toolchain without wasm32-wasip2 (${lacking ?? "none here"}) with the command that installs it`, async () => {
    await h.save("no-target", crateFiles(TINY), { target: RustTarget.WASM, toolchain: lacking });
    await h.compile("no-target");
    expect((await h.draft("no-target")).compileError).toBe(
      `the wasm32-wasip2 target is not installed for toolchain ${lacking}; install it with \`rustup target add wasm32-wasip2 --toolchain ${lacking}\``,
    );
  });

  it("queues concurrent compiles (one at a time by default) and builds both", async () => {
    await h.save("first", crateFiles(TINY));
    await h.save("second", crateFiles(TINY));
    await h.api().compileDraft({ organizationName: h.org(), appName: "first" });
    const [first, second] = await Promise.all([h.compile("first").catch(() => []), h.compile("second")]);
    expect(second.map((l) => l.line)).toContain("waiting for 1 compile(s) ahead of it (compile concurrency 1)");
    expect(first.at(-1)?.state).toBe(CompileState.SUCCEEDED);
    expect(second.at(-1)?.state).toBe(CompileState.SUCCEEDED);
  }, BUILD);

  it("drops a compile superseded by a SaveDraft: its build is killed and the new draft is not compiled", async () => {
    await h.save("slow", crateFiles(SLOW));
    await h.api().compileDraft({ organizationName: h.org(), appName: "slow" });
    const pid = await buildScriptPid(h, "slow");
    const hash = await h.save("slow", crateFiles(TINY));
    expect(await gone(pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    const draft = await h.draft("slow");
    expect(draft.codeHash).toBe(hash);
    expect(draft.compileState).toBe(CompileState.NOT_COMPILED);
  }, BUILD);
});

describe("the compile budget", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ compileBudgetSecs: 15 });
  });
  afterAll(async () => h?.t.stop());

  it("fails a compile still running past it as timed out, with the log tail, and kills the build", async () => {
    await h.save("slow", crateFiles(SLOW));
    await h.api().compileDraft({ organizationName: h.org(), appName: "slow" });
    const pid = await buildScriptPid(h, "slow");
    const lines: CompileLogLine[] = [];
    for await (const l of h.api().streamCompileLogs({ organizationName: h.org(), appName: "slow", follow: true })) lines.push(l);
    expect(lines.at(-1)?.state).toBe(CompileState.FAILED);
    const draft = await h.draft("slow");
    expect(draft.compileError).toMatch(/^timed out after 15 s \(the compile budget: --compile-budget-secs, IGNITE_COMPILE_BUDGET_SECS\); the last lines of the log:\n {2}\| /);
    expect(draft.compileError).toMatch(/Compiling slow v0\.1\.0 \(the draft\)/);
    expect(await gone(pid)).toBe(true);
  }, BUILD);
});

describe("a compile cut short by a stop of the local Ignite", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => h?.t.stop());

  it("is FAILED as interrupted by stop(), its build killed, and stays so after a restart", async () => {
    await h.save("slow", crateFiles(SLOW));
    await h.api().compileDraft({ organizationName: h.org(), appName: "slow" });
    const pid = await buildScriptPid(h, "slow");
    await h.t.restart();
    expect(await gone(pid)).toBe(true);
    const draft = await h.draft("slow");
    expect(draft.compileState).toBe(CompileState.FAILED);
    expect(draft.compileError).toBe(INTERRUPTED);
  }, BUILD);

  it("is FAILED at start when a killed local Ignite left it COMPILING", async () => {
    await h.save("killed", crateFiles(TINY));
    await h.t.emu.stop();
    // What `kill -9` mid-compile leaves behind: a draft still COMPILING.
    const store = await FileStore.open(h.t.dataDir);
    const stored = (await store.getDraft(`${h.org()}/killed`))!;
    stored.draft.compileState = CompileState.COMPILING;
    await store.putDraftMeta(`${h.org()}/killed`, stored);
    await h.t.restart();
    const draft = await h.draft("killed");
    expect(draft.compileState).toBe(CompileState.FAILED);
    expect(draft.compileError).toBe(INTERRUPTED);
    // …and CompileDraft starts it again.
    expect((await h.compile("killed")).at(-1)?.state).toBe(CompileState.SUCCEEDED);
  }, BUILD);
});
