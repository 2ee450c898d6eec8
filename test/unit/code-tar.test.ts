// The archive framing (src/code/tar.ts) writes the bytes tar-stream 3.2.2 wrote for the same
// files: every code hash deployed before issue 11 was computed over tar-stream's output, and a
// differing byte would make every stack upload its unchanged code again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tarStream from "tar-stream";
import { afterAll, describe, expect, it } from "vitest";
import { hashArchive } from "../../src/code/hash.js";
import { TAR_END, tarHeader, tarPadding, tarSize, type TarFile } from "../../src/code/tar.js";

/** What packCodeSet produced before issue 11: tar-stream's pack, with the same header fields. */
async function tarStreamBytes(files: Array<TarFile & { body: Buffer }>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = pipeline(
    pack,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  );
  for (const f of files) {
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: f.path, size: f.size, mode: f.mode, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "", type: "file", linkname: "", devmajor: 0, devminor: 0 },
        f.body,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function ours(files: Array<TarFile & { body: Buffer }>): Buffer {
  return Buffer.concat([...files.flatMap((f) => [tarHeader(f), f.body, tarPadding(f.size)]), TAR_END]);
}

const file = (p: string, size: number, mode = 0o644): TarFile & { body: Buffer } => ({ path: p, size, mode, body: Buffer.alloc(size, p.length % 251) });

// Names at every boundary of the ustar name (100) and prefix (155) fields, names that only pax
// can hold (non-ASCII, a long last segment, a long prefix), pax records whose length gains a
// digit, and sizes around a block.
const CASES: Record<string, Array<TarFile & { body: Buffer }>> = {
  "plain names and sizes around a block": [file("a", 0), file("b.py", 1), file("c/d.txt", 511), file("e/f/g", 512, 0o755), file("h", 513), file("i", 1024 + 7)],
  "a name of exactly 100 characters, and of 101 split at a slash": [file("n".repeat(100), 3), file(`${"p".repeat(50)}/${"q".repeat(50)}`, 4), file(`${"d".repeat(120)}/${"f".repeat(99)}`, 5), file(`${"p".repeat(77)}/${"q".repeat(77)}/${"r".repeat(95)}`, 6), file(`${"p".repeat(78)}/${"q".repeat(77)}/${"r".repeat(95)}`, 7)],
  "a last segment over 100 characters, and a prefix over 155 (pax)": [file(`dir/${"x".repeat(101)}`, 6), file(`${"a".repeat(80)}/${"b".repeat(80)}/${"c".repeat(10)}.py`, 7), file("s".repeat(300), 8)],
  "non-ASCII names (pax)": [file("café/naïve.py", 9), file("日本/語.txt", 10, 0o755), file(`${"é".repeat(60)}/x`, 11)],
  // " path=<name>\n" of 98 or 99 bytes takes a 3-digit length (and of 997 or 998, 4 digits).
  "pax records whose length gains a digit": [88, 89, 90, 91, 92, 93, 987, 988, 989, 990, 991, 992].map((n, i) => file(`é${"a".repeat(n)}`, i)),
};

describe("the archive framing writes tar-stream 3.2.2's bytes", () => {
  for (const [name, files] of Object.entries(CASES)) {
    it(name, async () => {
      const expected = await tarStreamBytes(files);
      expect(ours(files).equals(expected)).toBe(true);
      expect(tarSize(files)).toBe(expected.length);
    });
  }

  const dir = mkdtempSync(path.join(tmpdir(), "code-tar-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("hashArchive hashes and writes the same bytes, reading the files from disk", async () => {
    const files = Object.values(CASES).flat();
    // Unique paths on disk; the archive names are the cases' own.
    const onDisk = files.map((f, i) => {
      const abs = path.join(dir, String(i));
      writeFileSync(abs, f.body);
      return { ...f, abs };
    });
    mkdirSync(path.join(dir, "big"));
    const big = { path: "big/blob.bin", size: 3 * (1 << 20) + 5, mode: 0o644, body: Buffer.alloc(3 * (1 << 20) + 5, 7), abs: path.join(dir, "big", "blob.bin") };
    writeFileSync(big.abs, big.body);
    const all = [...onDisk, big];
    const expected = await tarStreamBytes(all);
    const hashed = await hashArchive(all, { keep: true });
    expect(hashed.bytes!.equals(expected)).toBe(true);
    expect(hashed.size).toBe(expected.length);
    const { createHash } = await import("node:crypto");
    expect(hashed.codeHash).toBe(`sha256:${createHash("sha256").update(expected).digest("hex")}`);
    expect(hashed.sha256).toEqual(all.map((f) => createHash("sha256").update(f.body).digest("hex")));
    expect((await hashArchive(all)).codeHash).toBe(hashed.codeHash);
  });

  it("refuses a file whose size changed since it was listed, naming it", async () => {
    const abs = path.join(dir, "moving.py");
    writeFileSync(abs, "x = 1\n");
    await expect(hashArchive([{ path: "moving.py", size: 3, mode: 0o644, abs }])).rejects.toThrow(/moving\.py changed while packing \(it grew past 3 bytes\)/);
    await expect(hashArchive([{ path: "moving.py", size: 9, mode: 0o644, abs }])).rejects.toThrow(/moving\.py changed while packing \(its size went from 9 to 6 bytes\)/);
  });
});
