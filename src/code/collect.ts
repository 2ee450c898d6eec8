// collectCodeSet: what the Draft resource uploads. Selects files (a single file, or a
// directory filtered by include globs, exclude patterns, .igniteignore and built-in
// excludes), hashes each one, and computes the code hash of the archive they pack into.
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import { glob } from "glob";
import * as messages from "../messages.js";
import { MAX_CODE_BYTES } from "../platform-limits.js";
import { checkCodeLimits, type LimitFinding } from "./checks.js";
import { hashArchive, hashFile, slicer, type SourceFile } from "./hash.js";
import { BUILTIN_EXCLUDES, compileIgnore, IGNORE_FILE, IgnoreMatcher } from "./ignore.js";
import { tarSize } from "./tar.js";

/** One file of a code set. */
export interface CodeEntry {
  /** Posix path relative to the code directory (the file's own name for a single file). */
  path: string;
  size: number;
  /** Lowercase hex sha256 of the content. */
  sha256: string;
  /** 0o644, or 0o755 when any execute bit is set: the only mode bits that travel. */
  mode: number;
}

export interface CodeSet {
  /** "file": uploaded as CompileSource.source_code; "directory": as a tar archive. */
  kind: "file" | "directory";
  /** Absolute path of the file or directory. */
  root: string;
  /** The path as the program gave it, for messages (e.g. "./greet"). */
  source: string;
  /** Sorted by path (bytewise). */
  entries: CodeEntry[];
  /** Relative path → "sha256:<hex>", keys sorted: what a reviewer sees in a diff. */
  manifest: Record<string, string>;
  /** "sha256:<hex>" of the exact bytes uploaded; equals the platform's Draft.code_hash. */
  codeHash: string;
  /** The selection, so the set can be collected again identically (see verifyCodeSet). */
  selection: { include: string[]; exclude: string[] };
  /**
   * The exact bytes `codeHash` was computed from, when collected with `keepBytes: true`;
   * verifyCodeSet then hands them back instead of reading and packing the files again.
   */
  bytes?: Buffer;
}

export interface CollectOptions {
  /** A file or a directory, relative to `cwd`. */
  path: string;
  /** Globs selecting files under a directory. @default ["**\/*"] */
  include?: string[];
  /** Gitignore-style patterns removed from the selection (same rules as .igniteignore). @default [] */
  exclude?: string[];
  /** Base for a relative `path`. @default process.cwd() */
  cwd?: string;
  /**
   * Keep the upload bytes on the result (`bytes`), for a caller that uploads right away: the
   * archive is written while the files are read for `codeHash`, not read and packed again.
   * Without it the archive is only hashed, never held. @default false
   */
  keepBytes?: boolean;
  /**
   * Refuse (CodeLimitError) a set over the platform's limits: more than 10,000 files, or more
   * code than one 32 MiB request carries. Checked before any file is read: the archive's
   * exact size follows from the files' sizes. @default true
   */
  limits?: boolean;
}

/** The code is over one of the platform's limits; `finding` says which, and what weighs most. */
export class CodeLimitError extends Error {
  constructor(
    readonly source: string,
    readonly finding: LimitFinding,
  ) {
    super(messages.code.overLimit(source, finding));
  }
}

/** Bytewise order of UTF-8 names: the same on every machine and locale. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function modeOf(statMode: number): number {
  // Only "is it executable" survives: umask, group/other bits and owners differ per machine.
  return statMode & 0o111 ? 0o755 : 0o644;
}

function manifestOf(entries: readonly CodeEntry[]): Record<string, string> {
  const manifest: Record<string, string> = {};
  for (const e of entries) manifest[e.path] = `sha256:${e.sha256}`;
  return manifest;
}

/** Synchronous, as the file reads are (hash.ts): one small file, or none, per directory. */
function readIgnoreFile(root: string): string[] {
  try {
    return readFileSync(path.join(root, IGNORE_FILE), "utf8").split(/\r?\n/);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Selects the files of a directory (sorted, sizes from the file system), reading none of them. */
async function selectDirectory(root: string, source: string, include: string[], exclude: string[]): Promise<SourceFile[]> {
  // Built-ins first, then the ignore file, then the program's own excludes: later rules win.
  const matcher = new IgnoreMatcher([
    ...compileIgnore(BUILTIN_EXCLUDES),
    ...compileIgnore(readIgnoreFile(root)),
    ...compileIgnore(exclude),
  ]);
  const realRoot = realpathSync.native(root);
  const found = await glob(include, {
    cwd: root,
    dot: true,
    posix: true,
    follow: false,
    ignore: {
      ignored: (p: { relativePosix(): string; isDirectory(): boolean }) => matcher.ignores(p.relativePosix(), p.isDirectory()),
      // Skip walking into excluded trees (node_modules, .git) unless a "!" rule might need them.
      childrenIgnored: (p: { relativePosix(): string }) => !matcher.hasNegations && matcher.ignores(p.relativePosix(), true),
    },
  });

  // Synchronous file-system calls here and in collectCodeSet, as for the reads (hash.ts):
  // through the thread pool, a 10,000-file tree costs more CPU in hand-offs than in stats, and
  // in a Pulumi program each promise-based call costs ~0.5 ms of CPU (issue 11).
  const pause = slicer();
  const files: SourceFile[] = [];
  for (const rel of found) {
    if (rel === "" || rel === "." || matcher.ignores(rel)) continue;
    await pause();
    const abs = path.join(root, rel);
    const lst = lstatSync(abs);
    if (lst.isDirectory()) continue;
    if (lst.isSymbolicLink()) {
      let target: string | undefined;
      try {
        target = realpathSync.native(abs);
      } catch {
        target = undefined;
      }
      if (target === undefined) throw new Error(messages.code.brokenSymlink(source, rel, IGNORE_FILE));
      // `code` itself may lead anywhere (the program names it); a link inside it may not, or a
      // reviewer reading the directory would not see what is uploaded.
      if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
        throw new Error(messages.code.symlinkOutside(source, rel, target, IGNORE_FILE));
      }
      const st = statSync(abs);
      // A link to a directory inside the tree: its files are collected under their real path.
      if (!st.isFile()) continue;
      files.push({ path: rel, abs, mode: modeOf(st.mode), size: st.size });
      continue;
    }
    if (!lst.isFile()) continue; // sockets, FIFOs, devices: not code
    files.push({ path: rel, abs, mode: modeOf(lst.mode), size: lst.size });
  }
  files.sort((a, b) => comparePaths(a.path, b.path));
  return files;
}

/**
 * Collects the code at `path`: one entry for a file; for a directory, the selected regular
 * files (symlinks are followed only within the directory). Throws, naming the path and the
 * fix, when the path is missing or nothing is selected.
 */
export async function collectCodeSet(options: CollectOptions): Promise<CodeSet> {
  const cwd = options.cwd ?? process.cwd();
  const source = options.path;
  const include = options.include && options.include.length > 0 ? [...options.include] : ["**/*"];
  const exclude = [...(options.exclude ?? [])];
  const root = path.resolve(cwd, source);

  let st;
  try {
    st = statSync(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(messages.code.missing(source, root, cwd));
    throw err;
  }

  const limits = options.limits ?? true;
  let set: Omit<CodeSet, "codeHash">;
  if (st.isFile()) {
    if (limits && st.size > MAX_CODE_BYTES) {
      throw new CodeLimitError(source, checkCodeLimits([{ path: path.basename(root), size: st.size }], st.size)!);
    }
    // A single file is uploaded as-is, so its content hash is the code hash. With keepBytes
    // it is read once and hashed from memory; without, read in pieces as a directory's files are.
    const name = path.basename(root);
    const bytes = options.keepBytes ? readFileSync(root) : undefined;
    const sha256 = bytes ? createHash("sha256").update(bytes).digest("hex") : await hashFile({ path: name, abs: root, size: st.size, mode: modeOf(st.mode) });
    const entry: CodeEntry = { path: name, size: bytes?.length ?? st.size, sha256, mode: modeOf(st.mode) };
    set = { kind: "file", root, source, entries: [entry], manifest: manifestOf([entry]), selection: { include, exclude } };
    return { ...set, codeHash: `sha256:${entry.sha256}`, ...(bytes ? { bytes } : {}) };
  }
  if (!st.isDirectory()) throw new Error(messages.code.notFileOrDirectory(source));

  // `code` may itself be a symlink to a directory (anywhere: the program names it); walk the
  // directory it leads to, or the walk would stop at the link.
  const dirRoot = realpathSync.native(root);
  const files = await selectDirectory(dirRoot, source, include, exclude);
  if (files.length === 0) throw new Error(messages.code.nothingSelected(source, root, include, exclude, IGNORE_FILE));
  if (limits) {
    // Exact, from the sizes, before any file is read: a huge tree (a node_modules left in)
    // fails fast and costs no reading.
    const over = checkCodeLimits(files, tarSize(files));
    if (over) throw new CodeLimitError(source, over);
  }
  // Each file is read once; its hash and the archive's come from the same bytes, and the
  // archive is kept only for a caller that uploads it.
  const hashed = await hashArchive(files, { keep: options.keepBytes });
  const entries = files.map((f, i): CodeEntry => ({ path: f.path, size: f.size, sha256: hashed.sha256[i]!, mode: f.mode }));
  set = { kind: "directory", root: dirRoot, source, entries, manifest: manifestOf(entries), selection: { include, exclude } };
  return { ...set, codeHash: hashed.codeHash, ...(hashed.bytes ? { bytes: hashed.bytes } : {}) };
}
