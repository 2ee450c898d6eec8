// The file store's memory of its records (src/emulator/record-cache.ts): a record is read from
// the disk once, then from memory, always as a copy; a write or a removal replaces what is
// remembered, and a read that overlapped one never puts back what it read.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { RecordCache } from "../../src/emulator/record-cache.js";

type Rec = { v: string };
const copy = (r: Rec): Rec => ({ ...r });

/** A record on a "disk" whose reads and writes finish when the test says so. */
function disk(initial?: Rec) {
  let stored = initial;
  let reads = 0;
  const pending: Array<() => void> = [];
  /** Holds the next operations until `release()`. */
  let hold = false;
  const wait = () => (hold ? new Promise<void>((r) => pending.push(r)) : Promise.resolve());
  return {
    get reads() {
      return reads;
    },
    /** Reads the disk now; answers when released. */
    load: async () => {
      reads++;
      const seen = stored && copy(stored);
      await wait();
      return seen;
    },
    save: (r: Rec | undefined) => async () => {
      await wait();
      stored = r && copy(r);
    },
    hold() {
      hold = true;
    },
    release() {
      hold = false;
      pending.splice(0).forEach((r) => r());
    },
  };
}

const FILE = path.join("/data", "apps", "acme", "a", "app.json");

describe("RecordCache", () => {
  it("reads a record from the disk once, a missing one too, and hands out copies", async () => {
    const cache = new RecordCache();
    const d = disk({ v: "one" });
    const first = (await cache.read(FILE, d.load, copy))!;
    first.v = "edited by the caller";
    expect(await cache.read(FILE, d.load, copy)).toEqual({ v: "one" });
    expect(d.reads).toBe(1);
    const none = disk();
    expect(await cache.read("/data/none.json", none.load, copy)).toBeUndefined();
    expect(await cache.read("/data/none.json", none.load, copy)).toBeUndefined();
    expect(none.reads).toBe(1);
  });

  it("remembers what it wrote, not what the caller holds afterwards", async () => {
    const cache = new RecordCache();
    const d = disk({ v: "one" });
    const mine = { v: "two" };
    await cache.write(FILE, mine, copy, d.save(mine));
    mine.v = "edited after the write";
    expect(await cache.read(FILE, d.load, copy)).toEqual({ v: "two" });
    expect(d.reads).toBe(0);
  });

  it("does not keep a read that was under way when a write began and ended", async () => {
    const cache = new RecordCache();
    const d = disk({ v: "old" });
    d.hold();
    const read = cache.read(FILE, d.load, copy);
    const writing = disk({ v: "old" });
    await cache.write(FILE, { v: "new" }, copy, writing.save({ v: "new" }));
    d.release();
    expect(await read).toEqual({ v: "old" });
    expect(await cache.read(FILE, d.load, copy)).toEqual({ v: "new" });
  });

  it("does not keep a read that began during a write and ended after it", async () => {
    const cache = new RecordCache();
    const d = disk({ v: "old" });
    d.hold();
    const write = cache.write(FILE, { v: "new" }, copy, d.save({ v: "new" }));
    // The read sees the disk before the write lands, and answers only after the write is done.
    let releaseRead!: () => void;
    const slowLoad = async () => {
      const seen = await d.load();
      await new Promise<void>((r) => (releaseRead = r));
      return seen;
    };
    const read = cache.read(FILE, slowLoad, copy);
    d.release();
    await write;
    releaseRead();
    expect(await read).toEqual({ v: "old" });
    expect(await cache.read(FILE, d.load, copy)).toEqual({ v: "new" });
  });

  it("forgets a record whose write failed: the disk says what is there", async () => {
    const cache = new RecordCache();
    const d = disk({ v: "old" });
    await cache.read(FILE, d.load, copy);
    await expect(cache.write(FILE, { v: "new" }, copy, async () => Promise.reject(new Error("disk full")))).rejects.toThrow("disk full");
    expect(await cache.read(FILE, d.load, copy)).toEqual({ v: "old" });
    expect(d.reads).toBe(2);
  });

  it("forgets every record under a removed directory, and a read that overlapped the removal", async () => {
    const cache = new RecordCache();
    const app = disk({ v: "app" });
    const other = disk({ v: "other" });
    const draftFile = path.join(path.dirname(FILE), "draft", "draft.json");
    const otherFile = path.join("/data", "apps", "acme", "ab", "app.json");
    await cache.read(FILE, app.load, copy);
    await cache.read(otherFile, other.load, copy);
    app.hold();
    const read = cache.read(draftFile, app.load, copy);
    const removal = cache.remove(path.dirname(FILE), app.save(undefined));
    app.release();
    await Promise.all([read, removal]);
    expect(await cache.read(FILE, app.load, copy)).toBeUndefined();
    expect(await cache.read(draftFile, app.load, copy)).toBeUndefined();
    // A sibling whose name starts the same is not under the directory.
    expect(await cache.read(otherFile, other.load, copy)).toEqual({ v: "other" });
    expect(other.reads).toBe(1);
  });
});
