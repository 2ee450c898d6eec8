// The deterministic upload bytes of a code set (docs/contract.md "Archives"): a single file
// as-is; a directory as an uncompressed tar with sorted entries and no machine-specific
// metadata. Uncompressed on purpose: deflate output depends on the zlib build, so a gzip
// archive of the same files could hash differently on a machine with another Node.js, and a
// stack promoted from a laptop to CI would upload unchanged code again.
import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import * as messages from "../messages.js";
import type { CodeSet } from "./collect.js";

/** "sha256:<hex>" of the exact bytes saved: the platform's Draft.code_hash. */
export function codeHashOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * The bytes to upload. For a directory: tar entries in `entries` order (already sorted),
 * regular files only, mode 0644/0755, uid/gid 0, empty uname/gname, mtime 0.
 * `contents` (aligned with `entries`) are the files' bytes when the caller already read them;
 * otherwise each file is streamed from disk, and a size changed since collection throws.
 */
export async function packCodeSet(set: Pick<CodeSet, "kind" | "root" | "entries">, contents?: readonly Buffer[]): Promise<Buffer> {
  if (set.kind === "file") return fs.readFile(set.root);

  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const done = pipeline(pack, sink);

  try {
    for (const [i, entry] of set.entries.entries()) {
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
        const changed = (err: Error) => reject(new Error(messages.code.changedWhilePacking(entry.path, err.message)));
        const tarEntry = pack.entry(header, (err) => (err ? changed(err) : resolve()));
        // The entry also emits the size mismatch as an event; without a listener it would
        // surface as an uncaught exception.
        tarEntry.on("error", changed);
        const bytes = contents?.[i];
        if (bytes) {
          tarEntry.end(bytes);
          return;
        }
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
  return Buffer.concat(chunks);
}
