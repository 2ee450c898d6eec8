// Reads taken ahead for an app's resources (src/resources/read-ahead.ts, issue 11): each answer
// used as often as it was started for, only while fresh, never after a change to the app,
// never when it failed.
import { describe, expect, it } from "vitest";
import { ReadAhead } from "../../src/resources/read-ahead.js";

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
    ahead.start("app", "acme/greet", platform.read, 2);
    const live = counter("v2");
    expect(await ahead.take("app", "acme/greet", live.read)).toBe("v1");
    expect(await ahead.take("app", "acme/greet", live.read)).toBe("v1");
    expect(await ahead.take("app", "acme/greet", live.read)).toBe("v2");
    expect([platform.calls, live.calls, ahead.size]).toEqual([1, 1, 0]);
  });

  it("does not start a read twice while one is held, and keys reads by kind and app", async () => {
    const ahead = new ReadAhead();
    const platform = counter();
    ahead.start("versions", "acme/a", platform.read);
    ahead.start("versions", "acme/a", platform.read);
    ahead.start("versions", "acme/b", platform.read);
    ahead.start("draft", "acme/a", platform.read);
    expect(platform.calls).toBe(3);
    const live = counter("other");
    expect(await ahead.take("app", "acme/a", live.read)).toBe("other");
    expect(live.calls).toBe(1);
  });

  it("reads live when the held read is older than the limit", async () => {
    let now = 0;
    const ahead = new ReadAhead(() => now, 1_000);
    ahead.start("app", "acme/greet", async () => "stale");
    now = 1_001;
    expect(await ahead.take("app", "acme/greet", async () => "fresh")).toBe("fresh");
  });

  it("drops what it holds for an app being changed", async () => {
    const ahead = new ReadAhead();
    ahead.start("draft", "acme/greet", async () => "before the change");
    ahead.start("versions", "acme/greet", async () => "before the change");
    ahead.start("draft", "acme/other", async () => "kept");
    ahead.forget("acme/greet");
    expect(await ahead.take("draft", "acme/greet", async () => "after")).toBe("after");
    expect(await ahead.take("versions", "acme/greet", async () => "after")).toBe("after");
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
