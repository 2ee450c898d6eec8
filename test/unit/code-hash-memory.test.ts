// Hashing a code set reads each file once through a fixed buffer: the memory it takes does not
// grow with the tree (issue 11: a 180 MB tree used to peak at 456 MB, read whole, packed into
// an in-memory tar and hashed again).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectCodeSet } from "../../src/code/index.js";

const MiB = 1 << 20;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A tree of `mib` MiB: 200 small files and files of 4 MiB, sparse (quick to make, read as zeros). */
function tree(mib: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-hash-memory-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "small"));
  for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(dir, "small", `f${i}.py`), `x = ${i}\n`.repeat(100));
  fs.mkdirSync(path.join(dir, "big"));
  for (let i = 0; i < mib / 4; i++) {
    const fd = fs.openSync(path.join(dir, "big", `blob${i}.bin`), "w");
    fs.ftruncateSync(fd, 4 * MiB);
    fs.closeSync(fd);
  }
  return dir;
}

/**
 * The most memory held in Buffers while `fn` runs, above what was held before: sampled each
 * time the event loop turns (hashing hands it back every few milliseconds), after a GC when the
 * test runs with --expose-gc.
 */
async function peakBufferGrowth(fn: () => Promise<unknown>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers));
  const timer = setInterval(sample, 1);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  sample();
  return peak - base;
}

describe("code-set hashing memory (issue 11)", () => {
  it("does not grow with the tree: 8 MiB and 96 MiB hash in the same few MiB", async () => {
    const small = tree(8);
    const large = tree(96);
    const grewSmall = await peakBufferGrowth(() => collectCodeSet({ path: small, limits: false }));
    const grewLarge = await peakBufferGrowth(() => collectCodeSet({ path: large, limits: false }));
    // One 1 MiB read buffer and small change; reading the tree whole would show 96 MiB or more.
    expect(grewLarge).toBeLessThan(8 * MiB);
    expect(grewLarge).toBeLessThan(grewSmall + 8 * MiB);
  });
});
