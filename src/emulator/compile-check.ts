/**
 * CompileDraft for Rust until the real build lands: a check of the package's shape, not a
 * build. It reads the draft tree and runs the same crate check the program runs before the
 * preview (src/code/checks.ts: Cargo.toml with a [package] name, src/lib.rs, a
 * `#[ignite::main]` async fn handler), writing log lines like a build would. Failures name the
 * offending file and the fix.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { checkRustCrate, type CodeReader } from "../code/checks.js";
import { RustTarget } from "../gen/dodil/ignite/v1/compute_pb.js";
import { isNotFound } from "./fs-util.js";

export interface CompileOutcome {
  ok: boolean;
  /** Log lines in order; the last one states the outcome. */
  lines: string[];
  /** Set when !ok: what is wrong and how to fix it. */
  error?: string;
}

const TRIPLES: Record<number, string> = {
  [RustTarget.NATIVE]: "x86_64-unknown-linux-gnu",
  [RustTarget.WASM]: "wasm32-wasip2",
};

export async function checkRustPackage(treeDir: string, target: RustTarget, toolchain: string): Promise<CompileOutcome> {
  const lines: string[] = [];
  lines.push(`compile: rust ${TRIPLES[target] ?? "unknown target"} (toolchain ${toolchain || "platform default"})`);
  lines.push("note: the local Ignite checks the package shape; it does not run cargo");

  const checked = await checkRustCrate(treeReader(treeDir));
  lines.push(...checked.steps);
  if (checked.problem) {
    const { file, problem, fix } = checked.problem;
    const error = `${file}: ${problem}; ${fix}`;
    lines.push(`error: ${error}`, "compile failed");
    return { ok: false, lines, error };
  }
  lines.push(`   Finished release profile [optimized] target(s) for ${checked.pkg!.name}`);
  lines.push("compile succeeded");
  return { ok: true, lines };
}

/** The crate check reads only the files it names, so no listing is needed. */
function treeReader(treeDir: string): CodeReader {
  return {
    paths: [],
    async read(rel) {
      try {
        return await fs.readFile(path.join(treeDir, ...rel.split("/")), "utf8");
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  };
}
