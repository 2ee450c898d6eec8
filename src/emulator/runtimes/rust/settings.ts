/**
 * Where the Rust runtime finds its tools and keeps its caches, with every default applied in
 * one place. Caches live outside the data dir (PULUMI_IGNITE_CACHE, as the Pulumi toolchain),
 * so every local Ignite on the machine, every test and every fresh data dir shares one warm
 * cargo target dir: a second app or a rebuild compiles in seconds.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, sourcePath } from "../../package-files.js";

/**
 * The pinned Wasmtime of the wasm runner (PyPI `wasmtime`), read from wasm-requirements.txt,
 * the one place it is written (scripts/setup.js installs from it).
 */
export const WASMTIME_VERSION = /^wasmtime==(\S+)$/m.exec(fs.readFileSync(shippedSource("wasm-requirements.txt"), "utf8"))![1]!;

export interface RustRuntimeOptions {
  /**
   * The cargo target dir shared by every build, one subdirectory per toolchain.
   * @default `$IGNITE_CARGO_TARGET_DIR`, else `<PULUMI_IGNITE_CACHE>/cargo-target`
   */
  cargoTargetDir?: string;
  /**
   * A Python that can `import wasmtime` (== WASMTIME_VERSION), for wasm pods.
   * @default `$IGNITE_WASMTIME_PYTHON`, else `<PULUMI_IGNITE_CACHE>/wasmtime-<version>/bin/python`
   */
  wasmtimePython?: string;
}

export interface ResolvedRustOptions {
  cargoTargetDir: string;
  wasmtimePython: string;
}

/** The venv scripts/setup.js creates for the wasm runner. */
export function wasmtimeVenv(env = process.env): string {
  return path.join(cacheDir(env), `wasmtime-${WASMTIME_VERSION}`);
}

export function resolveRustOptions(explicit: RustRuntimeOptions = {}, env = process.env): ResolvedRustOptions {
  return {
    cargoTargetDir: path.resolve(explicit.cargoTargetDir ?? env.IGNITE_CARGO_TARGET_DIR ?? path.join(cacheDir(env), "cargo-target")),
    wasmtimePython: explicit.wasmtimePython ?? env.IGNITE_WASMTIME_PYTHON ?? path.join(wasmtimeVenv(env), "bin", "python"),
  };
}

/** A file of this runtime shipped as source (tsc copies no .rs, .py or .txt). */
export function shippedSource(...rel: string[]): string {
  return sourcePath(["emulator/runtimes/rust", ...rel].join("/"));
}

/** The SDK crates' directory (holding ignite/ and ignite-macros/). */
export const sdkDir = (): string => shippedSource("sdk");

/** The wasm runner script. */
export const wasmRunner = (): string => shippedSource("wasm-runner.py");
