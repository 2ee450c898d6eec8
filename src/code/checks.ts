// What can be known about a draft's code without the platform: the shape its runtime needs
// (Python: handler.py with a top-level `handler`; Rust: a crate with `#[ignite::main]`) and the
// platform's request limits. One function per runtime, pure over a CodeReader, shared by the
// program (a Draft fails the preview, naming the file and the fix) and the local Ignite
// (CompileDraft's shape check). No user code is run: Python source is parsed, never imported.
import { MAX_CODE_BYTES, MAX_DRAFT_FILES } from "../platform-limits.js";

/** The files of a draft as the platform will see them (a single file appears under its runtime's entry name). */
export interface CodeReader {
  /** Every file in the draft: posix paths relative to its root. */
  readonly paths: readonly string[];
  /** The file's text; undefined when the draft has no such file. */
  read(path: string): Promise<string | undefined>;
}

/** Something about the code that will certainly fail on the platform. */
export interface CodeFinding {
  /** The file it is about, relative to the draft root (e.g. "handler.py", "src/lib.rs"). */
  file: string;
  /** What is wrong. */
  problem: string;
  /** What to do. */
  fix: string;
}

/** The file a single-file draft is saved as (docs/contract.md "Code, drafts and hashes"). */
export const ENTRY_FILES = { python: "handler.py", rust: "src/lib.rs", deno: "main.ts", go: "main.go" } as const;

/** A reader over an in-memory map (tests, and single files). */
export function readerOf(files: Record<string, string>): CodeReader {
  return { paths: Object.keys(files).sort(), read: async (p) => files[p] };
}

// ---- Python ----------------------------------------------------------------------------------

/** What Python's own parser says about handler.py (see python-ast.ts); the text scan fills what it can. */
export interface PythonFacts {
  /** The interpreter that parsed the file ("3.11.2"); absent for the text scan. */
  python?: string;
  syntaxError?: { message: string; line?: number; column?: number };
  /** Whether a top-level `handler` is bound (def, class, assignment, import, in if/try/with/for bodies). */
  hasHandler: boolean;
  /** Its parameters, when the only top-level binding is a plain `def` (for the call-shape check). */
  handlerParams?: { positional: number; required: number; varargs: boolean };
  /** Where a `handler` was found nested instead ("class Api", "function main"). */
  nestedIn?: string;
  /** Top-level function names, for a "did you mean" hint. */
  functions: string[];
  /** `from x import *`, globals(), setattr(), exec(): a binding the parser cannot see may exist. */
  dynamic: boolean;
}

/**
 * The check when no Python interpreter is available: conservative. It reports a missing
 * handler only when the word `handler` appears nowhere in the file (a comment or a string
 * mentioning it is enough to pass), and cannot see syntax errors.
 */
export function scanPythonText(source: string): PythonFacts {
  const functions = [...source.matchAll(/^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
  return { hasHandler: /\bhandler\b/.test(source), functions, dynamic: false };
}

/** Python (3.x) parses `source`; undefined when no interpreter is available. */
export type PythonAnalyzer = (source: string) => Promise<PythonFacts | undefined>;

/**
 * A Python draft needs handler.py at its root with a top-level `handler(payload, ctx)`
 * (seed 000's "500 on every invoke" gotcha). `analyze` is Python's parser when the machine has
 * one; without it the text scan runs, which never reports syntax errors.
 */
export async function checkPythonCode(code: CodeReader, analyze?: PythonAnalyzer): Promise<CodeFinding | undefined> {
  const file = ENTRY_FILES.python;
  const source = code.paths.includes(file) ? await code.read(file) : undefined;
  if (source === undefined) {
    const nested = code.paths.filter((p) => p.endsWith(`/${file}`));
    return {
      file,
      problem: `not found at the top of the code${nested.length ? ` (found ${nested.slice(0, 3).join(", ")})` : ""}; the Python runtime loads \`handler\` from handler.py`,
      fix: nested.length
        ? `point \`code\` at the directory that holds handler.py (e.g. the folder of ${nested[0]})`
        : "add handler.py with `def handler(payload, ctx)` at the top of the code directory",
    };
  }
  const facts = (analyze && (await analyze(source))) || scanPythonText(source);
  const by = facts.python ? ` (checked with Python ${facts.python} on this machine, without running it)` : "";
  if (facts.syntaxError) {
    const e = facts.syntaxError;
    const where = e.line ? `line ${e.line}${e.column ? `, column ${e.column}` : ""}: ` : "";
    return {
      file,
      problem: `${where}${e.message}${by}; the runtime cannot import it, so every invoke would fail with 500`,
      fix: "fix the syntax error",
    };
  }
  if (!facts.hasHandler && !facts.dynamic) {
    const nested = facts.nestedIn ? `; \`handler\` is defined inside ${facts.nestedIn}, not at module level` : "";
    const others = facts.functions.length ? `; its top-level functions are ${facts.functions.slice(0, 5).join(", ")}` : "";
    return {
      file,
      problem: `has no top-level \`handler\`${nested}${others}; the runtime calls handler(payload, ctx), so every invoke would fail with 500`,
      fix: "define `def handler(payload, ctx)` at the top level of handler.py",
    };
  }
  const p = facts.handlerParams;
  if (p && !p.varargs && (p.positional < 2 || p.required > 2)) {
    return {
      file,
      problem: `\`handler\` takes ${p.required === p.positional ? p.positional : `${p.required} to ${p.positional}`} positional parameter${p.positional === 1 ? "" : "s"}, but the runtime calls handler(payload, ctx), so every invoke would fail with 500`,
      fix: "declare it as `def handler(payload, ctx)`",
    };
  }
  return undefined;
}

// ---- Rust ------------------------------------------------------------------------------------

export interface RustCrateCheck {
  /** What was checked, in order: the local Ignite writes these as compile log lines. */
  steps: string[];
  /** The crate's [package] name and version, once read. */
  pkg?: { name: string; version?: string };
  /** Set when the crate cannot build on the platform. */
  problem?: CodeFinding;
}

/** `#[ignite::main]` on an `async fn handler` (optionally `pub`), as seed 003's handler contract has it. */
const IGNITE_MAIN = /#\[\s*ignite\s*::\s*main\s*\]\s*(?:pub(?:\([^)]*\))?\s+)?async\s+fn\s+handler\s*\(/;

/**
 * A Rust draft is a crate: Cargo.toml with a [package] name, src/lib.rs, and the handler
 * annotated with #[ignite::main] (seed 003). A single file is saved as src/lib.rs and has no
 * Cargo.toml.
 */
export async function checkRustCrate(code: CodeReader): Promise<RustCrateCheck> {
  const steps: string[] = ["checking Cargo.toml"];
  const fail = (problem: CodeFinding): RustCrateCheck => ({ steps, problem });
  const cargo = await code.read("Cargo.toml");
  if (cargo === undefined) {
    return fail({
      file: "Cargo.toml",
      problem: "not found at the root of the draft",
      fix: "save the crate directory (the one holding Cargo.toml and src/), not a single file or a subfolder",
    });
  }
  const pkg = cargoPackage(cargo);
  if (!pkg) return fail({ file: "Cargo.toml", problem: "has no [package] section with a name", fix: 'add [package] with name = "<crate>", version and edition' });
  steps.push(`   package ${pkg.name}${pkg.version ? ` v${pkg.version}` : ""}`);
  steps.push("checking src/lib.rs");
  const lib = await code.read("src/lib.rs");
  if (lib === undefined) return { steps, pkg, problem: { file: "src/lib.rs", problem: "not found", fix: "put the handler in src/lib.rs next to Cargo.toml" } };
  if (!IGNITE_MAIN.test(lib)) {
    return {
      steps,
      pkg,
      problem: {
        file: "src/lib.rs",
        problem: "no `#[ignite::main]` attribute on an `async fn handler`",
        fix: "annotate `async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse>` with #[ignite::main]",
      },
    };
  }
  steps.push("   found #[ignite::main] async fn handler");
  return { steps, pkg };
}

/** Just enough TOML: the `name` and `version` string keys of the [package] table. */
export function cargoPackage(toml: string): { name: string; version?: string } | undefined {
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

// ---- any runtime -----------------------------------------------------------------------------

/**
 * The shape check of `runtime`: Python and Rust have one; Deno and Go have none (the
 * platform's pages do not pin their layout).
 */
export async function checkCodeShape(runtime: string, code: CodeReader, analyze?: PythonAnalyzer): Promise<CodeFinding | undefined> {
  if (runtime === "python") return checkPythonCode(code, analyze);
  if (runtime === "rust") return (await checkRustCrate(code)).problem;
  return undefined;
}

// ---- limits ----------------------------------------------------------------------------------

export interface SizedFile {
  path: string;
  size: number;
}

/** A top-level directory (with a trailing "/") or a file, with what it adds to the upload. */
export interface Contributor {
  path: string;
  bytes: number;
  files: number;
}

/** Which files exceed the platform's limits; `uploadBytes` is the exact size uploaded (file, or archive). */
export interface LimitFinding {
  limit: "files" | "bytes";
  /** The count or byte size found. */
  actual: number;
  /** The platform's limit. */
  max: number;
  /** The largest top-level directories and files, most first. */
  largest: Contributor[];
}

/**
 * The platform's limits on one SaveDraft: at most MAX_DRAFT_FILES files and MAX_CODE_BYTES of
 * code (the request limit, less the request's other fields). `uploadBytes` may be a lower bound
 * (before packing): a bound over the limit is over it for certain.
 */
export function checkCodeLimits(files: readonly SizedFile[], uploadBytes: number): LimitFinding | undefined {
  if (files.length > MAX_DRAFT_FILES) return { limit: "files", actual: files.length, max: MAX_DRAFT_FILES, largest: largestContributors(files, "files") };
  if (uploadBytes > MAX_CODE_BYTES) return { limit: "bytes", actual: uploadBytes, max: MAX_CODE_BYTES, largest: largestContributors(files, "bytes") };
  return undefined;
}

/** The top-level directories and files that weigh most, by bytes or by file count. */
export function largestContributors(files: readonly SizedFile[], by: "bytes" | "files", n = 3): Contributor[] {
  const groups = new Map<string, Contributor>();
  for (const f of files) {
    const slash = f.path.indexOf("/");
    const key = slash < 0 ? f.path : f.path.slice(0, slash + 1);
    const g = groups.get(key) ?? { path: key, bytes: 0, files: 0 };
    g.bytes += f.size;
    g.files += 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b[by] - a[by] || (a.path < b.path ? -1 : 1)).slice(0, n);
}

/** The tar archive of `files` is at least this big: a 512-byte header per file plus its data in 512-byte blocks. */
export function archiveSizeLowerBound(files: readonly SizedFile[]): number {
  return files.reduce((sum, f) => sum + 512 + Math.ceil(f.size / 512) * 512, 1024);
}
