// Reads a directory's selected files once, in archive order, and computes from the same bytes
// each file's sha256 (the manifest) and the sha256 of the archive they pack into (the code
// hash), optionally writing the archive too (the upload).
//
// Memory does not grow with the tree: each file goes through one reusable buffer (a large file
// in pieces), and the archive is never held unless asked for. Programs with many Drafts hash
// them at once, so the hashings that run together are capped too (HASHINGS).
//
// Reads are synchronous, as sha256sum's are: on a 10,000-file tree, going through libuv's
// thread pool costs four hand-offs per file (open, read, close, and the stat before) and more
// CPU than the hashing itself. The event loop is handed back every few milliseconds, so the
// program's calls to the engine and the platform keep flowing while a big tree is hashed.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as messages from "../messages.js";
import { TAR_END, tarHeader, tarPadding, tarSize, type TarFile } from "./tar.js";

/** A file to read: where it is, and what the archive records of it. */
export interface SourceFile extends TarFile {
  abs: string;
}

export interface HashedArchive {
  /** Lowercase hex sha256 of each file's content, aligned with the files. */
  sha256: string[];
  /** "sha256:<hex>" of the archive. */
  codeHash: string;
  /** The archive's length in bytes. */
  size: number;
  /** The archive itself, when asked for (`keep`). */
  bytes?: Buffer;
}

/** The read buffer: a file larger than this is read in pieces of this size. */
export const READ_BYTES = 1 << 20;
/** Hashings that run at once in one process; more wait their turn. */
const HASHINGS = 2;
/** How long a hashing may hold the event loop before handing it back, in ms. */
const SLICE_MS = 8;

function changed(file: TarFile, detail: string): Error {
  return new Error(messages.code.changedWhilePacking(file.path, detail));
}

// ---- the turn-taking between hashings ------------------------------------------------------

let running = 0;
const waiting: Array<() => void> = [];

async function turn(): Promise<() => void> {
  if (running >= HASHINGS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  return () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
}

/**
 * For work done in synchronous steps: `await pause()` after each step hands the event loop back
 * once the work has held it for a slice (and costs nothing otherwise).
 */
export function slicer(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < SLICE_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}

// ---- hashing -----------------------------------------------------------------------------------

/**
 * Hashes (and with `keep`, writes) the archive of `files`, in their order. A file whose length
 * differs from `size` (it changed since it was listed) throws, naming it: the archive's headers
 * are written from the sizes.
 */
export async function hashArchive(files: readonly SourceFile[], options: { keep?: boolean } = {}): Promise<HashedArchive> {
  const size = tarSize(files);
  const done = await turn();
  try {
    return await hashInTurn(files, size, options.keep ?? false);
  } finally {
    done();
  }
}

async function hashInTurn(files: readonly SourceFile[], size: number, keep: boolean): Promise<HashedArchive> {
  const archive = createHash("sha256");
  // The upload holds one archive: written in place, never concatenated from pieces.
  const bytes = keep ? Buffer.allocUnsafe(size) : undefined;
  let offset = 0;
  const out = (chunk: Buffer) => {
    archive.update(chunk);
    if (bytes) offset += chunk.copy(bytes, offset);
  };
  // Sized to the largest file (plus the byte that shows growth), up to READ_BYTES.
  const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, files.reduce((n, f) => Math.max(n, f.size + 1), 1)));
  const pause = slicer();
  const sha256: string[] = new Array<string>(files.length);
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    out(tarHeader(f));
    const hash = createHash("sha256");
    await readInPieces(f, buf, pause, (view) => {
      hash.update(view);
      out(view);
    });
    out(tarPadding(f.size));
    sha256[i] = hash.digest("hex");
    await pause();
  }
  out(TAR_END);
  return { sha256, codeHash: `sha256:${archive.digest("hex")}`, size, ...(bytes ? { bytes } : {}) };
}

/**
 * Reads `f` through `buf`, handing each piece to `onPiece` (valid until the next piece). A file
 * whose length is not `f.size` (it changed since it was listed) throws, naming it.
 */
async function readInPieces(f: SourceFile, buf: Buffer, pause: () => Promise<void> | undefined, onPiece: (view: Buffer) => void): Promise<void> {
  const fd = fs.openSync(f.abs, "r");
  try {
    let total = 0;
    for (;;) {
      // One byte past the size: a regular file answers in full unless its end comes first,
      // so a short read is the end, and getting that byte means the file grew.
      const want = Math.min(buf.length, f.size + 1 - total);
      const n = fs.readSync(fd, buf, 0, want, null);
      if (total + n > f.size) throw changed(f, `it grew past ${f.size} bytes`);
      onPiece(buf.subarray(0, n));
      total += n;
      if (n < want) break;
      await pause();
    }
    if (total !== f.size) throw changed(f, `its size went from ${f.size} to ${total} bytes`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The sha256 (lowercase hex) of one file listed with `size` bytes, read as hashArchive reads
 * (synchronously, one bounded buffer, the event loop handed back between slices): for code that
 * is a single file.
 */
export async function hashFile(file: SourceFile): Promise<string> {
  const done = await turn();
  try {
    const hash = createHash("sha256");
    await readInPieces(file, Buffer.allocUnsafe(Math.min(READ_BYTES, file.size + 1)), slicer(), (view) => hash.update(view));
    return hash.digest("hex");
  } finally {
    done();
  }
}
