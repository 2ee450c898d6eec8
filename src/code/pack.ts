// The deterministic upload bytes of a code set (docs/contract.md "Archives"): a single file
// as-is; a directory as an uncompressed tar with sorted entries and no machine-specific
// metadata. Uncompressed on purpose: deflate output depends on the zlib build, so a gzip
// archive of the same files could hash differently on a machine with another Node.js, and a
// stack promoted from a laptop to CI would upload unchanged code again.
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { CodeSet } from "./collect.js";
import { hashArchive } from "./hash.js";

/** "sha256:<hex>" of the exact bytes saved: the platform's Draft.code_hash. */
export function codeHashOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * The bytes to upload, read from disk again. For a directory: tar entries in `entries` order
 * (already sorted), regular files only, mode 0644/0755, uid/gid 0, empty uname/gname, mtime 0
 * (src/code/tar.ts); a file whose size changed since collection throws.
 */
export async function packCodeSet(set: Pick<CodeSet, "kind" | "root" | "entries">): Promise<Buffer> {
  if (set.kind === "file") return fs.readFile(set.root);
  const files = set.entries.map((e) => ({ path: e.path, size: e.size, mode: e.mode, abs: path.join(set.root, ...e.path.split("/")) }));
  return (await hashArchive(files, { keep: true })).bytes!;
}
