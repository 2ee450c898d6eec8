// The archive and its hash are deterministic: the same files give the same bytes whatever
// their mtimes, permissions (other than the exec bit), creation order or location.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, cpSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tar from "tar-stream";
import { afterEach, describe, expect, it } from "vitest";
import { collectCodeSet, packCodeSet } from "../../src/code/index.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), "code-pack-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function write(root: string, files: Record<string, string>, order = Object.keys(files)): void {
  for (const rel of order) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), files[rel]);
  }
}

const FILES = {
  "handler.py": "def handler(payload, ctx):\n    return {'ok': True}\n",
  "requirements.txt": "requests==2.32.3\n",
  "lib/util.py": "X = 1\n",
  "lib/deep/data.json": '{"a": 1}\n',
  "run.sh": "#!/bin/sh\necho hi\n",
};

async function readTar(archive: Buffer) {
  const entries: Array<{ name: string; mode: number; uid: number; gid: number; uname: string; gname: string; mtime: number; type: string; body: string }> = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        entries.push({ name: h.name, mode: h.mode, uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname, mtime: h.mtime.getTime(), type: h.type, body: Buffer.concat(chunks).toString() });
        next();
      });
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  extract.end(archive);
  await done;
  return entries;
}

describe("packCodeSet (directory)", () => {
  it("writes an uncompressed tar of sorted regular-file entries with normalized metadata", async () => {
    const root = tmp();
    write(root, FILES);
    chmodSync(path.join(root, "run.sh"), 0o700);
    const set = await collectCodeSet({ path: root });
    const archive = await packCodeSet(set);
    // ustar magic at offset 257 of the first header; no gzip magic in front of it
    expect(archive.subarray(257, 262).toString()).toBe("ustar");
    expect([archive[0], archive[1]]).not.toEqual([0x1f, 0x8b]);
    const entries = await readTar(archive);
    expect(entries.map((e) => e.name)).toEqual(["handler.py", "lib/deep/data.json", "lib/util.py", "requirements.txt", "run.sh"]);
    for (const e of entries) {
      expect(e).toMatchObject({ uid: 0, gid: 0, uname: "", gname: "", mtime: 0, type: "file" });
      expect(e.mode).toBe(e.name === "run.sh" ? 0o755 : 0o644);
      expect(e.body).toBe(FILES[e.name as keyof typeof FILES]);
    }
  });

  it("pins the code hash of a fixed tree: a format change would re-upload every stack's unchanged code", async () => {
    const root = tmp();
    write(root, FILES);
    chmodSync(path.join(root, "run.sh"), 0o755);
    const set = await collectCodeSet({ path: root, keepBytes: true });
    expect(set.codeHash).toBe("sha256:017e503524dffd7c465c8adc8b8d02d8fd0e4256588521e0f4e74da07dccaa48");
    // Packed from the bytes read while collecting, or streamed from disk again: the same archive.
    expect(Buffer.compare(set.bytes!, await packCodeSet(set))).toBe(0);
  });

  it("hashes exactly the packed bytes", async () => {
    const root = tmp();
    write(root, FILES);
    const set = await collectCodeSet({ path: root });
    const bytes = await packCodeSet(set);
    expect(set.codeHash).toBe(`sha256:${createHash("sha256").update(bytes).digest("hex")}`);
  });

  it("gives the same hash regardless of mtime, non-exec permissions, creation order and location", async () => {
    const a = tmp();
    write(a, FILES);
    const base = (await collectCodeSet({ path: a })).codeHash;

    // touch every file into the future
    for (const rel of Object.keys(FILES)) utimesSync(path.join(a, rel), new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    expect((await collectCodeSet({ path: a })).codeHash).toBe(base);

    // group/other bits, read-only: not part of the archive
    chmodSync(path.join(a, "handler.py"), 0o600);
    chmodSync(path.join(a, "lib/util.py"), 0o444);
    expect((await collectCodeSet({ path: a })).codeHash).toBe(base);

    // reversed creation order in another directory, reached by a relative path and cwd
    const b = tmp();
    write(path.join(b, "greet"), FILES, Object.keys(FILES).reverse());
    expect((await collectCodeSet({ path: "./greet", cwd: b })).codeHash).toBe(base);

    // a plain copy
    const c = tmp();
    cpSync(a, path.join(c, "copy"), { recursive: true });
    expect((await collectCodeSet({ path: path.join(c, "copy") })).codeHash).toBe(base);
  });

  it("changes the hash when content, a name or the exec bit changes", async () => {
    const root = tmp();
    write(root, FILES);
    const base = (await collectCodeSet({ path: root })).codeHash;
    writeFileSync(path.join(root, "lib/util.py"), "X = 2\n");
    const edited = (await collectCodeSet({ path: root })).codeHash;
    expect(edited).not.toBe(base);
    chmodSync(path.join(root, "handler.py"), 0o755);
    const exec = (await collectCodeSet({ path: root })).codeHash;
    expect(exec).not.toBe(edited);
    execFileSync("mv", [path.join(root, "requirements.txt"), path.join(root, "reqs.txt")]);
    expect((await collectCodeSet({ path: root })).codeHash).not.toBe(exec);
  });

  it("packs empty files and long (pax) names deterministically", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(120)}.py`;
    const a = tmp();
    write(a, { "empty.txt": "", [long]: "x" });
    const b = tmp();
    write(b, { [long]: "x", "empty.txt": "" });
    const sa = await collectCodeSet({ path: a });
    expect((await collectCodeSet({ path: b })).codeHash).toBe(sa.codeHash);
    expect((await readTar(await packCodeSet(sa))).map((e) => e.name)).toEqual(["d".repeat(120) + "/" + "f".repeat(120) + ".py", "empty.txt"].sort());
  });
});

describe("packCodeSet (single file)", () => {
  it("uploads the file's raw bytes; the code hash is their sha256", async () => {
    const root = tmp();
    write(root, { "handler.py": FILES["handler.py"] });
    const set = await collectCodeSet({ path: path.join(root, "handler.py") });
    expect(set.kind).toBe("file");
    const bytes = await packCodeSet(set);
    expect(bytes.equals(readFileSync(path.join(root, "handler.py")))).toBe(true);
    expect(set.codeHash).toBe(`sha256:${createHash("sha256").update(FILES["handler.py"]).digest("hex")}`);
    expect(set.manifest).toEqual({ "handler.py": set.codeHash });
  });
});
