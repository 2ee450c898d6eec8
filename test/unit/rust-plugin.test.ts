// The Rust plug-in's worker(): which process a pod runs for a version, and the errors that say
// what is missing instead of starting a pod that cannot work.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CompileRuntimeSchema, RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { resolveRuntimeOptions } from "../../src/emulator/runtime/options.js";
import { rustRuntime } from "../../src/emulator/runtimes/rust/index.js";
import type { VersionContext } from "../../src/emulator/runtimes/types.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-rust-plugin-"));
const artifact = path.join(dir, "artifact");
fs.writeFileSync(artifact, "");
const version = (target: RustTarget): VersionContext => ({
  appId: "acme-corp/tiny",
  version: 3,
  treeDir: dir,
  compileRuntime: create(CompileRuntimeSchema, { runtime: { case: "rust", value: { target } } }),
  artifactPath: artifact,
});
const host = (wasmtimePython: string) => ({ options: resolveRuntimeOptions({ rust: { wasmtimePython } }), dataDir: path.join(dir, "rt"), log: () => {} });

describe("the Rust plug-in's worker", () => {
  it("is the version's binary itself for native, with the eprintln hint for framing errors", async () => {
    expect(await rustRuntime.worker(version(RustTarget.NATIVE), host("/nope"), () => {})).toEqual({
      argv: [artifact],
      mode: "native",
      stdoutHint: "log with eprintln!(), not println!()",
    });
  });

  it("is the wasm runner on the Wasmtime Python for wasm, with the precompiled cache", async () => {
    const python = process.execPath; // any existing file stands in for the venv's python
    const cmd = await rustRuntime.worker(version(RustTarget.WASM), host(python), () => {});
    expect(cmd.mode).toBe("wasm");
    expect(cmd.argv.slice(0, 2)).toEqual([python, "-I"]);
    expect(cmd.argv[2]).toMatch(/src\/emulator\/runtimes\/rust\/wasm-runner\.py$/);
    expect(cmd.argv.slice(3)).toEqual([artifact, "--cache-dir", path.join(dir, "rt", "wasm-precompiled")]);
  });

  it("fails a wasm version without the runner's Python, naming the set-up command", async () => {
    await expect(rustRuntime.worker(version(RustTarget.WASM), host("/nowhere/python"), () => {})).rejects.toThrow(
      /acme-corp\/tiny is a wasm app: it runs under Wasmtime from a Python with wasmtime==50\.0\.1, and \/nowhere\/python does not exist; set it up with `node scripts\/setup\.js wasmtime`/,
    );
  });

  it("fails a version without its compiled artifact", async () => {
    await expect(rustRuntime.worker({ ...version(RustTarget.NATIVE), artifactPath: undefined }, host("/nope"), () => {})).rejects.toThrow(
      "version 3 of acme-corp/tiny has no compiled artifact; run CompileDraft and publish again",
    );
  });
});
