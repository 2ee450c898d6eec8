// Reads taken ahead for an app's resources (issue 11). The engine checks and diffs a
// preview's resources one at a time, so the platform read in each diff adds its round trip
// to the preview: a few milliseconds each on a local Ignite, tens against a remote platform.
// When the App's check or diff runs, the reads of its resources' diffs are started alongside
// its own: GetApp for the App's diff and again for the PublishedVersion's (one read, two
// uses: the app's metadata tells whether its versions can have changed), GetDraft for the
// Draft's; the diffs use the answers instead of asking again.
//
// The rules that keep this a read of the live platform, not a cache:
// - a read taken ahead is used by as many diffs as it was started for (once, unless said
//   otherwise), then the next one reads live;
// - only within MAX_AGE_MS of when it was started, else that diff reads again;
// - any change this process makes to an app drops what is held for it, before and after the
//   change, so nothing read before a change is used after it;
// - a read that failed is not used: the diff reads again and reports its own error.
// So a preview's three reads of one app are taken at the App's check instead of at each
// resource's turn: the same calls, in parallel instead of one after another.

/** A read, the kinds the providers take ahead. */
export type ReadKind = "app" | "draft" | "versions";

/** How long a read taken ahead may wait for the diff that uses it. */
export const MAX_AGE_MS = 30_000;

type Held = { at: number; uses: number; answer: Promise<{ ok: true; value: unknown } | { ok: false }> };

export class ReadAhead {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs: number = MAX_AGE_MS,
  ) {}

  private static key(kind: ReadKind, appId: string): string {
    return `${kind} ${appId}`;
  }

  /** Starts `read` for (`kind`, `appId`), to answer `uses` takes, unless a fresh one is held. */
  start(kind: ReadKind, appId: string, read: () => Promise<unknown>, uses = 1): void {
    const key = ReadAhead.key(kind, appId);
    const h = this.held.get(key);
    if (h && this.now() - h.at <= this.maxAgeMs) return;
    const answer = read().then(
      (value) => ({ ok: true as const, value }),
      () => ({ ok: false as const }),
    );
    this.held.set(key, { at: this.now(), uses, answer });
  }

  /**
   * The answer of the read held for (`kind`, `appId`), given up by the holder after its last
   * use; `live()` when none is held, it is too old, or it failed.
   */
  async take<T>(kind: ReadKind, appId: string, live: () => Promise<T>): Promise<T> {
    const key = ReadAhead.key(kind, appId);
    const h = this.held.get(key);
    if (h && --h.uses <= 0) this.held.delete(key);
    if (!h || this.now() - h.at > this.maxAgeMs) return live();
    const r = await h.answer;
    return r.ok ? (r.value as T) : live();
  }

  /** Drops what is held for `appId`: it is being changed. */
  forget(appId: string): void {
    for (const kind of ["app", "draft", "versions"] as const) this.held.delete(ReadAhead.key(kind, appId));
  }

  /** How many reads are held (tests). */
  get size(): number {
    return this.held.size;
  }
}
