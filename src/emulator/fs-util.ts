/**
 * Crash-safe file primitives: a file is either its old or its new content, never half of one
 * (write to a temp file, fsync it, rename over the target, fsync the directory).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

export function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(6).toString("hex")}`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempName(target);
  const handle = await fs.open(tmp, "w", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(target));
}

/** Makes a rename durable. Some platforms cannot open directories; that is not an error. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close();
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + "\n");
}

/** Undefined when the file does not exist; throws on any other error (including bad JSON). */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (isMissingFile(err)) return undefined;
    throw err;
  }
  return JSON.parse(text) as unknown;
}

/** A file-system error for a path that does not exist (ENOENT); not the platform's NOT_FOUND. */
export function isMissingFile(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch (err) {
    if (isMissingFile(err)) return false;
    throw err;
  }
}

/** Writes an unpacked tree (a draft's or version's files) under `root`, executables 0755. */
export async function writeTree(root: string, files: ReadonlyArray<{ path: string; data: Uint8Array; executable: boolean }>): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  for (const file of files) {
    const target = path.join(root, ...file.path.split("/"));
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, file.data, { mode: file.executable ? 0o755 : 0o644 });
  }
}
