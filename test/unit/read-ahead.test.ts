// Reads taken ahead for an app's resources (src/resources/read-ahead.ts, issue 11): each answer
// used as often as it was started for, only while fresh, never after a change to the app,
// never when it failed.
import { describe, expect, it } from "vitest";
import { NotListed, OrgListings, ReadAhead } from "../../src/resources/read-ahead.js";

/** A read that counts how often the platform was asked. */
function counter(answer: unknown = "live") {
  let calls = 0;
  return { read: async () => (calls++, answer), get calls() { return calls; } };
}

describe("ReadAhead", () => {
  it("answers the next take from the read started ahead, once; the take after reads live", async () => {
    const ahead = new ReadAhead();
    const platform = counter("v1");
    ahead.start("draft", "acme/greet", platform.read);
    expect(await ahead.take("draft", "acme/greet", platform.read)).toBe("v1");
    expect(platform.calls).toBe(1);
    await ahead.take("draft", "acme/greet", platform.read);
    expect(platform.calls).toBe(2);
    expect(ahead.size).toBe(0);
  });

  it("answers as many takes as the read was started for, then reads live", async () => {
    const ahead = new ReadAhead();
    const platform = counter("v1");
    ahead.start("app", "acme/greet", platform.read, { uses: 2 });
    const live = counter("v2");
    expect(await ahead.take("app", "acme/greet", live.read)).toBe("v1");
    expect(await ahead.take("app", "acme/greet", live.read)).toBe("v1");
    expect(await ahead.take("app", "acme/greet", live.read)).toBe("v2");
    expect([platform.calls, live.calls, ahead.size]).toEqual([1, 1, 0]);
  });

  it("does not start a read twice while one is held, and keys reads by kind and app", async () => {
    const ahead = new ReadAhead();
    const platform = counter();
    ahead.start("draft", "acme/a", platform.read);
    ahead.start("draft", "acme/a", platform.read);
    ahead.start("draft", "acme/b", platform.read);
    ahead.start("app", "acme/b", platform.read);
    expect(platform.calls).toBe(3);
    expect([ahead.holds("draft", "acme/a"), ahead.holds("app", "acme/b"), ahead.holds("app", "acme/a")]).toEqual([true, true, false]);
    const live = counter("other");
    expect(await ahead.take("app", "acme/a", live.read)).toBe("other");
    expect(live.calls).toBe(1);
  });

  it("reads live when the held read is older than the limit", async () => {
    let now = 0;
    const ahead = new ReadAhead(() => now, 1_000);
    ahead.start("app", "acme/greet", async () => "stale");
    expect(ahead.holds("app", "acme/greet")).toBe(true);
    now = 1_001;
    expect(ahead.holds("app", "acme/greet")).toBe(false);
    expect(await ahead.take("app", "acme/greet", async () => "fresh")).toBe("fresh");
  });

  it("counts a read's age from when it was read (a listing started earlier), not from when it was taken ahead", async () => {
    let now = 5_000;
    const ahead = new ReadAhead(() => now, 1_000);
    ahead.start("app", "acme/greet", async () => "listed at 4000", { at: 4_000 });
    now = 5_001;
    expect(await ahead.take("app", "acme/greet", async () => "fresh")).toBe("fresh");
  });

  it("drops what it holds for an app being changed", async () => {
    const ahead = new ReadAhead();
    ahead.start("draft", "acme/greet", async () => "before the change");
    ahead.start("app", "acme/greet", async () => "before the change");
    ahead.start("draft", "acme/other", async () => "kept");
    ahead.forget("acme/greet");
    expect(await ahead.take("draft", "acme/greet", async () => "after")).toBe("after");
    expect(await ahead.take("app", "acme/greet", async () => "after")).toBe("after");
    expect(await ahead.take("draft", "acme/other", async () => "after")).toBe("kept");
  });

  it("reads live when the held read failed, so the caller reports its own error", async () => {
    const ahead = new ReadAhead();
    ahead.start("app", "acme/greet", async () => {
      throw new Error("unavailable");
    });
    await expect(ahead.take("app", "acme/greet", async () => {
      throw new Error("the live read's error");
    })).rejects.toThrow("the live read's error");
  });
});

describe("OrgListings", () => {
  /** A platform of these apps per organization, counting its listings. */
  function platform(apps: Record<string, string[]>) {
    const lists: string[] = [];
    return {
      lists,
      list: async (org: string) => {
        lists.push(org);
        return new Map((apps[org] ?? []).map((n) => [n, `${org}/${n} (listed)`]));
      },
    };
  }

  it("reads the first app of an organization on its own, and every other from one listing", async () => {
    const p = platform({ acme: ["a", "b", "c"] });
    const listings = new OrgListings(p.list);
    expect(listings.reader("acme", "a")).toBeUndefined();
    // The same app asked again is still the first.
    expect(listings.reader("acme", "a")).toBeUndefined();
    expect(await listings.reader("acme", "b")!.read()).toBe("acme/b (listed)");
    expect(await listings.reader("acme", "c")!.read()).toBe("acme/c (listed)");
    expect(await listings.reader("acme", "a")!.read()).toBe("acme/a (listed)");
    expect(p.lists).toEqual(["acme"]);
    // Organizations are counted and listed apart.
    expect(listings.reader("zeta", "z")).toBeUndefined();
  });

  it("does not answer for an app the listing lacks: it is read on its own, so only GetApp says an app is gone", async () => {
    const listings = new OrgListings(platform({ acme: ["a"] }).list);
    listings.reader("acme", "a");
    await expect(listings.reader("acme", "gone")!.read()).rejects.toBeInstanceOf(NotListed);
  });

  it("never answers for an app changed after the listing; others still are", async () => {
    const listings = new OrgListings(platform({ acme: ["a", "b", "c"] }).list);
    listings.reader("acme", "a");
    const b = listings.reader("acme", "b")!;
    listings.forget("acme/b");
    await expect(b.read()).rejects.toBeInstanceOf(NotListed);
    await expect(listings.reader("acme", "b")!.read()).rejects.toBeInstanceOf(NotListed);
    expect(await listings.reader("acme", "c")!.read()).toBe("acme/c (listed)");
  });

  it("lists again once the listing is older than the limit, and says when each listing started", async () => {
    let now = 0;
    const p = platform({ acme: ["a", "b"] });
    const listings = new OrgListings(p.list, () => now, 1_000);
    listings.reader("acme", "a");
    expect(listings.reader("acme", "b")!.at).toBe(0);
    now = 900;
    expect(listings.reader("acme", "b")!.at).toBe(0);
    now = 1_001;
    expect(listings.reader("acme", "b")!.at).toBe(1_001);
    expect(p.lists).toEqual(["acme", "acme"]);
  });

  it("a failed listing answers nothing (each read then goes live and reports its own error)", async () => {
    const listings = new OrgListings(async () => {
      throw new Error("unavailable");
    });
    listings.reader("acme", "a");
    await expect(listings.reader("acme", "b")!.read()).rejects.toThrow("unavailable");
  });
});
