/**
 * The fast first step of a Rust compile, before cargo: the crate has the shape the compile pod
 * needs (Cargo.toml with a [package] name, src/lib.rs, a `#[ignite::main]` async fn handler).
 * A failure here names the offending file and the fix in a second instead of after a build.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { isNotFound } from "../../fs-util.js";

export type ShapeOutcome =
  | { ok: true; /** The [package] name (the crate the wrapper depends on). */ packageName: string; version?: string }
  | { ok: false; /** What is wrong and how to fix it. */ error: string };

/** Checks the crate at `treeDir`, writing one log line per step through `log`. */
export async function checkRustPackage(treeDir: string, log: (line: string) => void): Promise<ShapeOutcome> {
  const fail = (file: string, problem: string, fix: string): ShapeOutcome => {
    const error = `${file}: ${problem}; ${fix}`;
    log(`error: ${error}`);
    return { ok: false, error };
  };

  log("checking Cargo.toml");
  const cargo = await readText(path.join(treeDir, "Cargo.toml"));
  if (cargo === undefined) {
    return fail("Cargo.toml", "not found at the root of the draft", "save the crate directory (the one holding Cargo.toml) with --code ./");
  }
  const pkg = parsePackage(cargo);
  if (!pkg) {
    return fail("Cargo.toml", "has no [package] section with a name", 'add [package] with name = "<crate>", version and edition');
  }
  log(`   package ${pkg.name}${pkg.version ? ` v${pkg.version}` : ""}`);

  log("checking src/lib.rs");
  const lib = await readText(path.join(treeDir, "src", "lib.rs"));
  if (lib === undefined) {
    return fail("src/lib.rs", "not found", "put the handler in src/lib.rs next to Cargo.toml");
  }
  if (!/#\[\s*ignite\s*::\s*main\s*\]\s*(?:pub(?:\([^)]*\))?\s+)?async\s+fn\s+handler\s*\(/.test(lib)) {
    return fail(
      "src/lib.rs",
      "no `#[ignite::main]` attribute on an `async fn handler`",
      "annotate `async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse>` with #[ignite::main]",
    );
  }
  log("   found #[ignite::main] async fn handler");
  return { ok: true, packageName: pkg.name, version: pkg.version };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Just enough TOML: the `name` and `version` string keys of the [package] table. */
function parsePackage(toml: string): { name: string; version?: string } | undefined {
  let inPackage = false;
  let name: string | undefined;
  let version: string | undefined;
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    const table = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (table) {
      inPackage = table[1] === "package";
      continue;
    }
    if (!inPackage) continue;
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"$/.exec(line);
    if (kv?.[1] === "name") name = kv[2];
    if (kv?.[1] === "version") version = kv[2];
  }
  return name ? { name, version } : undefined;
}
