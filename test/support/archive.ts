/**
 * Deterministic tar.gz for tests, in the shared archive format (docs/contract.md): entries
 * sorted by path, mode 0644, uid/gid 0, mtime 0, gzip mtime 0 and OS byte 255. Also lets a
 * test write hostile entries (`..`, absolute paths, links) the real packer never would.
 */
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";

export interface TarEntry {
  name: string;
  data?: string | Uint8Array;
  type?: "file" | "symlink" | "link" | "directory";
  linkname?: string;
  mode?: number;
}

export async function tarGz(entries: TarEntry[] | Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const list: TarEntry[] = Array.isArray(entries)
    ? entries
    : Object.entries(entries)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, data]) => ({ name, data }));
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of list) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const type = e.type ?? "file";
    const header = { name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === "directory" ? 0o755 : 0o644), uid: 0, gid: 0, uname: "", gname: "", mtime: new Date(0), size: type === "file" ? data.length : 0 };
    if (type === "file") pack.entry(header, data);
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  const gz = gzipSync(Buffer.concat(chunks));
  gz.writeUInt32LE(0, 4); // mtime 0
  gz[9] = 255; // OS unknown
  return new Uint8Array(gz);
}
