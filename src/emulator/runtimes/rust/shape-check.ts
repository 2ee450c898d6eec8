/**
 * The fast first step of a Rust compile, before cargo: the crate has the shape the compile pod
 * needs (Cargo.toml with a [package] name, src/lib.rs, a `#[ignite::main]` async fn handler).
 * It is the same check the program runs before the preview (src/code/checks.ts), over the
 * draft's tree, so a failure here names the offending file and the fix in a second instead of
 * after a build, in the words the preview would have used.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { checkRustCrate, type CodeReader } from "../../../code/checks.js";
import { isMissingFile } from "../../fs-util.js";

export type ShapeOutcome =
  | { ok: true; /** The [package] name (the crate the wrapper depends on). */ packageName: string; version?: string }
  | { ok: false; /** What is wrong and how to fix it. */ error: string };

/** Checks the crate at `treeDir`, writing one log line per step through `log`. */
export async function checkRustPackage(treeDir: string, log: (line: string) => void): Promise<ShapeOutcome> {
  const checked = await checkRustCrate(treeReader(treeDir));
  checked.steps.forEach(log);
  if (checked.problem) {
    const { file, problem, fix } = checked.problem;
    const error = `${file}: ${problem}; ${fix}`;
    log(`error: ${error}`);
    return { ok: false, error };
  }
  return { ok: true, packageName: checked.pkg!.name, version: checked.pkg!.version };
}

/** The crate check reads only the files it names, so no listing is needed. */
function treeReader(treeDir: string): CodeReader {
  return {
    paths: [],
    async read(rel) {
      try {
        return await fs.readFile(path.join(treeDir, ...rel.split("/")), "utf8");
      } catch (err) {
        if (isMissingFile(err)) return undefined;
        throw err;
      }
    },
  };
}
