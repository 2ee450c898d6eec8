// What the file store last read or wrote of each record (fs-store.ts), kept in memory.
import * as path from "node:path";

/**
 * The records this store last read or wrote, by file: the data directory belongs to one local
 * Ignite, so a record changes only through its store, and reading it again need not touch the
 * disk (a no-op `pulumi preview` reads every app's metadata and draft; a listing, every app's).
 * `null` remembers a file that does not exist. Callers get copies: they edit what they read
 * before writing it back. Every write or removal moves the epoch on, and a read that started in
 * an earlier epoch does not keep what it read, so it cannot put back a record a write replaced
 * while the read was under way.
 */
export class RecordCache {
  private readonly records = new Map<string, unknown>();
  private epoch = 0;

  async read<T>(file: string, load: () => Promise<T | undefined>, copy: (record: T) => T): Promise<T | undefined> {
    const known = this.records.get(file) as T | null | undefined;
    if (known !== undefined) return known === null ? undefined : copy(known);
    const epoch = this.epoch;
    const record = await load();
    if (epoch === this.epoch) this.records.set(file, record === undefined ? null : copy(record));
    return record;
  }

  /** Writes `record` to `file` through `store`, and remembers it once written. */
  async write<T>(file: string, record: T, copy: (record: T) => T, store: () => Promise<void>): Promise<void> {
    const kept = copy(record);
    await this.changing(() => this.records.delete(file), store);
    this.records.set(file, kept);
  }

  /** Removes the directory `dir` through `remove`, and forgets every record under it. */
  async remove(dir: string, remove: () => Promise<void>): Promise<void> {
    const prefix = dir + path.sep;
    await this.changing(() => {
      for (const key of this.records.keys()) if (key.startsWith(prefix)) this.records.delete(key);
    }, remove);
  }

  /**
   * Forgets before and after the change (a failed write leaves the disk to say what is there),
   * each time moving the epoch on: no read that overlaps the change keeps what it read.
   */
  private async changing(forget: () => void, change: () => Promise<void>): Promise<void> {
    this.epoch++;
    forget();
    try {
      await change();
    } finally {
      this.epoch++;
      forget();
    }
  }
}
