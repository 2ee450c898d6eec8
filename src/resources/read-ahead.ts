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
export type ReadKind = "app" | "draft";

/** How long a read taken ahead may wait for the diff that uses it. */
export const MAX_AGE_MS = 30_000;

/** How many takes a read is started for, and when it was read, if not now. */
export interface StartOptions {
  uses?: number;
  /** When the answer was read (a listing started earlier): its age counts from then. */
  at?: number;
}

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

  /** Whether a read for (`kind`, `appId`) is held and fresh: `start` would not start another. */
  holds(kind: ReadKind, appId: string): boolean {
    const h = this.held.get(ReadAhead.key(kind, appId));
    return h !== undefined && this.now() - h.at <= this.maxAgeMs;
  }

  /** Starts `read` for (`kind`, `appId`), to answer `uses` takes, unless a fresh one is held. */
  start(kind: ReadKind, appId: string, read: () => Promise<unknown>, { uses = 1, at = this.now() }: StartOptions = {}): void {
    if (this.holds(kind, appId)) return;
    const key = ReadAhead.key(kind, appId);
    const answer = read().then(
      (value) => ({ ok: true as const, value }),
      () => ({ ok: false as const }),
    );
    this.held.set(key, { at, uses, answer });
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
    for (const kind of ["app", "draft"] as const) this.held.delete(ReadAhead.key(kind, appId));
  }

  /** How many reads are held (tests). */
  get size(): number {
    return this.held.size;
  }
}

// ---- an organization's listing ------------------------------------------------------------
//
// A preview of many apps reads each App once (GetApp). From the second existing app of an
// organization this process checks, those reads come from one listing of the organization
// (ListApps, page after page) instead: one call per page instead of one per app. A stack of
// one app never lists. The listing answers only for the apps it holds: an app it lacks (not
// yet created, deleted, or beyond the LISTING_MAX_PAGES pages of a large organization) is read
// on its own, so "not found" always comes from GetApp. The listing's answers follow the rules
// above, counted from when the listing started; an app this process changes is never answered
// from a listing made before the change.

export const LISTING_PAGE_SIZE = 100;
export const LISTING_MAX_PAGES = 10;

/** The listing does not answer for this app: read it on its own. */
export class NotListed extends Error {}

export class OrgListings<A> {
  private readonly listings = new Map<string, { at: number; listed: Promise<Map<string, A>>; changed: Set<string> }>();
  private readonly asked = new Map<string, Set<string>>();

  constructor(
    /** Lists the organization, at most `maxPages` pages. */
    private readonly list: (org: string, pageSize: number, maxPages: number) => Promise<Map<string, A>>,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs: number = MAX_AGE_MS,
  ) {}

  /**
   * The read of app `name` from its organization's listing (started now unless a fresh one is
   * under way), with when the listing started; undefined for the first app of an organization
   * asked here, which is read on its own. The read rejects with NotListed when the listing
   * does not answer for the app.
   */
  reader(org: string, name: string): { at: number; read: () => Promise<A> } | undefined {
    let asked = this.asked.get(org);
    if (!asked) this.asked.set(org, (asked = new Set()));
    asked.add(name);
    if (asked.size < 2) return undefined;
    let l = this.listings.get(org);
    if (!l || this.now() - l.at > this.maxAgeMs) {
      l = { at: this.now(), listed: this.list(org, LISTING_PAGE_SIZE, LISTING_MAX_PAGES), changed: new Set() };
      // A failed listing answers nothing; each read then goes live and reports its own error.
      l.listed.catch(() => {});
      this.listings.set(org, l);
    }
    const { listed, changed } = l;
    return {
      at: l.at,
      read: async () => {
        const app = (await listed).get(name);
        if (app === undefined || changed.has(name)) throw new NotListed(name);
        return app;
      },
    };
  }

  /** App `appId` ("<org>/<name>") is being changed: no listing made so far answers for it. */
  forget(appId: string): void {
    const at = appId.indexOf("/");
    this.listings.get(appId.slice(0, at))?.changed.add(appId.slice(at + 1));
  }
}
