// The deterministic upload bytes of a code set (TEAM-NOTES "Directory archives"): a single
// file as-is; a directory as a gzip tar with sorted entries and no machine-specific metadata.
import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import * as tar from "tar-stream";
import type { CodeSet } from "./collect.js";

/** "sha256:<hex>" of the exact bytes saved: the platform's Draft.code_hash. */
export function codeHashOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Pins the gzip header (RFC 1952) to machine-independent values: MTIME (bytes 4..7) = 0 and
 * OS (byte 9) = 255 "unknown" (zlib writes the build platform there: 3 on Unix, 19 on macOS).
 */
export function normalizeGzipHeader(gz: Buffer): Buffer {
  if (gz.length < 10 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw new Error("not a gzip stream");
  gz.fill(0, 4, 8);
  gz[9] = 255;
  return gz;
}

/** Compression settings are fixed: a different level would change the bytes and the hash. */
export const GZIP_OPTIONS: zlib.ZlibOptions = { level: 9, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY };

/**
 * The bytes to upload. For a directory: tar entries in `entries` order (already sorted),
 * regular files only, mode 0644/0755, uid/gid 0, empty uname/gname, mtime 0; gzip-compressed
 * as a stream (the uncompressed tar is never held whole) with a normalized header.
 * Throws if a file's size changed since it was collected.
 */
export async function packCodeSet(set: Pick<CodeSet, "kind" | "root" | "entries">): Promise<Buffer> {
  if (set.kind === "file") return fs.readFile(set.root);

  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const done = pipeline(pack, zlib.createGzip(GZIP_OPTIONS), sink);

  try {
    for (const entry of set.entries) {
      await new Promise<void>((resolve, reject) => {
        const header: tar.Header = {
          name: entry.path,
          size: entry.size,
          mode: entry.mode,
          mtime: new Date(0),
          uid: 0,
          gid: 0,
          uname: "",
          gname: "",
          type: "file",
          linkname: "",
          devmajor: 0,
          devminor: 0,
        };
        const changed = (err: Error) => reject(new Error(`${entry.path} changed while packing (${err.message}); run again`));
        const tarEntry = pack.entry(header, (err) => (err ? changed(err) : resolve()));
        // The entry also emits the size mismatch as an event; without a listener it would
        // surface as an uncaught exception.
        tarEntry.on("error", changed);
        const file = createReadStream(path.join(set.root, entry.path));
        file.on("error", reject);
        file.pipe(tarEntry);
      });
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  await done;
  return normalizeGzipHeader(Buffer.concat(chunks));
}
