/**
 * CompileDraft for Rust until the real build lands: a check of the package's shape, not a
 * build. It reads the draft tree and verifies what the platform's compile pod would need first
 * (Cargo.toml with a [package] name, src/lib.rs, a `#[ignite::main]` async fn handler), writing
 * log lines like a build would. Failures name the offending file and the fix.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
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
  const fail = (file: string, problem: string, fix: string): CompileOutcome => {
    const error = `${file}: ${problem}; ${fix}`;
    lines.push(`error: ${error}`, "compile failed");
    return { ok: false, lines, error };
  };

  lines.push(`compile: rust ${TRIPLES[target] ?? "unknown target"} (toolchain ${toolchain || "platform default"})`);
  lines.push("note: the local Ignite checks the package shape; it does not run cargo");

  lines.push("checking Cargo.toml");
  const cargo = await readText(path.join(treeDir, "Cargo.toml"));
  if (cargo === undefined) {
    return fail("Cargo.toml", "not found at the root of the draft", "save the crate directory (the one holding Cargo.toml) with --code ./");
  }
  const pkg = parsePackage(cargo);
  if (!pkg) {
    return fail("Cargo.toml", "has no [package] section with a name", 'add [package] with name = "<crate>", version and edition');
  }
  lines.push(`   package ${pkg.name}${pkg.version ? ` v${pkg.version}` : ""}`);

  lines.push("checking src/lib.rs");
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
  lines.push("   found #[ignite::main] async fn handler");
  lines.push(`   Finished release profile [optimized] target(s) for ${pkg.name}`);
  lines.push("compile succeeded");
  return { ok: true, lines };
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
