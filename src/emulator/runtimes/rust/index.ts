/**
 * The Rust runtime (seed 003): CompileDraft builds the crate with cargo (compile.ts) into the
 * artifact stored with the version; a pod runs it behind the pod agent —
 *
 *   native → the version's static binary itself is the worker;
 *   wasm   → wasm-runner.py, on a Python with the PyPI package `wasmtime`, runs the
 *            version's component.
 *
 * Both speak the worker frames of docs/pod-protocol.md through the SDK's `#[ignite::main]`.
 * Stdout is the framing channel, so a `println!()` is a framing error whose hint says to log
 * with `eprintln!()`, as the seed's gotcha table does.
 */
import * as fs from "node:fs";
import { Runtime } from "../../../gen/dodil/ignite/v1/compute_pb.js";
import { FailedPreconditionError } from "../../errors.js";
import type { RuntimeHost, RuntimePlugin, VersionContext, WorkerCommand } from "../types.js";
import { compileRust, rustSettingsOf, wasmCacheDir } from "./compile.js";
import { WASMTIME_VERSION, wasmRunner } from "./settings.js";

export const STDOUT_HINT = "log with eprintln!(), not println!()";

export const rustRuntime: RuntimePlugin = {
  name: "rust",
  runtime: Runtime.RUST,
  entryFile: "src/lib.rs",
  compile: compileRust,
  worker: async (version, host) => rustWorker(version, host),
};

function rustWorker(version: VersionContext, host: RuntimeHost): WorkerCommand {
  const artifact = version.artifactPath;
  if (!artifact || !fs.existsSync(artifact)) {
    throw new FailedPreconditionError(
      `version ${version.version} of ${version.appId} has no compiled artifact; run CompileDraft and publish again`,
    );
  }
  const { target } = rustSettingsOf(version.compileRuntime);
  if (target === "native") return { argv: [artifact], mode: "native", stdoutHint: STDOUT_HINT };
  const python = host.options.rust.wasmtimePython;
  if (!fs.existsSync(python)) {
    throw new FailedPreconditionError(
      `${version.appId} is a wasm app: it runs under Wasmtime from a Python with wasmtime==${WASMTIME_VERSION}, and ${python} does not exist; ` +
        "set it up with `node scripts/setup.js wasmtime` (or point IGNITE_WASMTIME_PYTHON at such a Python)",
    );
  }
  return { argv: [python, "-I", wasmRunner(), artifact, "--cache-dir", wasmCacheDir(host)], mode: "wasm", stdoutHint: STDOUT_HINT };
}
