/**
 * Unpacking of directory drafts: a tar, uncompressed or gzip-compressed (see docs/contract.md),
 * becomes a list of regular files, or a typed error. Untrusted input, so:
 * - no path escapes the tree: absolute paths, `..` and `.` segments, backslashes and NULs are rejected;
 * - links are rejected entirely (symlinks and hardlinks), as are devices and FIFOs: a draft is
 *   plain files, and rejecting beats reasoning about where a link points;
 * - sizes are bounded: total unpacked bytes and entry count, checked while reading, so a gzip
 *   bomb stops at the limit instead of filling memory.
 */
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import * as tar from "tar-stream";
import { MiB } from "../platform-limits.js";
import { InvalidArgumentError, ResourceExhaustedError } from "./errors.js";
import type { TreeFile } from "./store.js";

const gunzip = promisify(zlib.gunzip);

export interface ArchiveLimits {
  maxUnpackedBytes: number;
  maxFiles: number;
}

/** Unpacks `archive`; `field` names the request field in errors. Files come back sorted by path. */
export async function unpackArchive(archive: Uint8Array, limits: ArchiveLimits, field: string): Promise<TreeFile[]> {
  const tarBytes = isGzip(archive) ? await gunzipBounded(archive, limits, field) : Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const files = new Map<string, TreeFile>();
  let total = 0;
  let entries = 0;
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      entries++;
      if (entries > limits.maxFiles) {
        throw new ResourceExhaustedError(`${field}: archive has more than ${limits.maxFiles} entries (limit ${limits.maxFiles})`);
      }
      const type = header.type ?? "file";
      if (type === "directory") {
        // `tar -C dir .` emits "./" for the root; any other hostile directory name is an attack signal.
        if (header.name.replace(/\/+$/, "") !== ".") safePath(header.name, field);
        entry.resume();
        continue;
      }
      if (type === "symlink" || type === "link") {
        throw new InvalidArgumentError(field, `archive entry ${JSON.stringify(header.name)} is a link; links are not allowed in drafts (store the file itself)`);
      }
      if (type !== "file" && type !== "contiguous-file") {
        throw new InvalidArgumentError(field, `archive entry ${JSON.stringify(header.name)} is a ${type}; only regular files are allowed`);
      }
      const rel = safePath(header.name, field);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) {
        total += (chunk as Buffer).length;
        if (total > limits.maxUnpackedBytes) {
          throw new ResourceExhaustedError(`${field}: unpacked archive exceeds the limit of ${formatExactBytes(limits.maxUnpackedBytes)}`);
        }
        chunks.push(chunk as Buffer);
      }
      // Later entries win, as when tar extracts over an earlier file of the same name.
      files.set(rel, { path: rel, data: Buffer.concat(chunks), executable: ((header.mode ?? 0o644) & 0o111) !== 0 });
    }
  })();
  extract.end(tarBytes);
  try {
    await done;
  } catch (err) {
    extract.destroy();
    if (err instanceof InvalidArgumentError || err instanceof ResourceExhaustedError) throw err;
    throw new InvalidArgumentError(field, `not a valid tar archive: ${(err as Error).message}`, { cause: err });
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function gunzipBounded(archive: Uint8Array, limits: ArchiveLimits, field: string): Promise<Buffer> {
  // Tar adds a 512-byte header (plus padding, plus pax records) per entry on top of the contents.
  const maxOutputLength = limits.maxUnpackedBytes + (limits.maxFiles + 4) * 2048;
  try {
    return await gunzip(archive, { maxOutputLength });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new ResourceExhaustedError(`${field}: unpacked archive exceeds the limit of ${formatExactBytes(limits.maxUnpackedBytes)}`);
    }
    throw new InvalidArgumentError(field, `not a valid gzip-compressed tar archive (${(err as Error).message})`, { cause: err });
  }
}

/** Normalizes an entry name to a relative '/'-path, rejecting anything that could escape the tree. */
export function safePath(name: string, field: string): string {
  const reject = (why: string): never => {
    throw new InvalidArgumentError(field, `archive entry ${JSON.stringify(name)} ${why}; paths must be relative and stay inside the draft`);
  };
  if (name.includes("\0")) reject("contains a NUL byte");
  if (name.includes("\\")) reject("contains a backslash");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) reject("is an absolute path");
  const segments = name.split("/").filter((s, i, all) => !(s === "" && i === all.length - 1));
  // A leading "./" is how `tar -C dir .` names entries; anything else "." or empty is suspicious.
  while (segments[0] === "." && segments.length > 1) segments.shift();
  if (segments.length === 0) reject("is empty");
  for (const s of segments) {
    if (s === "..") reject("contains '..'");
    if (s === "" || s === ".") reject("has an empty or '.' segment");
  }
  return segments.join("/");
}

/**
 * A limit as the local Ignite states it: in MiB or KiB only when exact, else in bytes, so a
 * configured limit is printed as set (platform-limits.ts's formatBytes rounds, for sizes).
 */
export function formatExactBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
