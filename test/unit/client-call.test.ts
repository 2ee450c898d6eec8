// The call runner on its own: attempts, backoff waits, one re-authentication after
// UNAUTHENTICATED for refreshable credentials, and streams retried only before data.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { TokenSource } from "../../src/client/auth.js";
import { CallRunner } from "../../src/client/call.js";
import { IgniteError } from "../../src/client/errors.js";

function runner(tokens?: TokenSource) {
  const waits: number[] = [];
  const r = new CallRunner({
    endpoint: "e:1",
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
    tokens,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { r, waits };
}

function failing<T>(codes: Code[], value: T) {
  let i = 0;
  return async () => {
    if (i < codes.length) throw new ConnectError("x", codes[i++]);
    return value;
  };
}

describe("CallRunner.unary", () => {
  it("waits with jittered exponential backoff between attempts", async () => {
    const { r, waits } = runner();
    expect(await r.unary({ method: "GetApp" }, 1000, failing([Code.Unavailable, Code.Unavailable, Code.DeadlineExceeded], "ok"))).toBe("ok");
    expect(waits).toEqual([50, 100, 200]);
    expect(r.attempts.get("GetApp")).toBe(4);
  });

  it("fails at once for a call that is not safe to repeat", async () => {
    const { r, waits } = runner();
    await expect(r.unary({ method: "PublishDraft", appId: "o/a" }, 1000, failing([Code.Unavailable], "ok"))).rejects.toBeInstanceOf(IgniteError);
    expect(waits).toEqual([]);
  });

  it("re-authenticates once after UNAUTHENTICATED when the token can be refreshed, even for PublishDraft", async () => {
    let invalidated = 0;
    const tokens: TokenSource = { token: async () => "t", invalidate: () => void invalidated++, secrets: [], refreshable: true };
    const { r } = runner(tokens);
    expect(await r.unary({ method: "PublishDraft" }, 1000, failing([Code.Unauthenticated], "ok"))).toBe("ok");
    expect(invalidated).toBe(1);
    await expect(r.unary({ method: "PublishDraft" }, 1000, failing([Code.Unauthenticated, Code.Unauthenticated], "ok"))).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
  });

  it("does not re-authenticate a fixed token", async () => {
    const tokens: TokenSource = { token: async () => "t", invalidate: () => undefined, secrets: ["t0ken"], refreshable: false };
    const { r } = runner(tokens);
    await expect(r.unary({ method: "GetApp" }, 1000, failing([Code.Unauthenticated], "ok"))).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect(r.attempts.get("GetApp")).toBe(1);
  });

  it("stops retrying once the caller's signal is aborted", async () => {
    const { r } = runner();
    const ac = new AbortController();
    ac.abort();
    await expect(r.unary({ method: "GetApp" }, 1000, failing([Code.Unavailable], "ok"), ac.signal)).rejects.toMatchObject({ code: Code.Unavailable });
    expect(r.attempts.get("GetApp")).toBe(1);
  });
});

describe("CallRunner.stream", () => {
  it("retries before the first message, never after", async () => {
    const { r } = runner();
    let opened = 0;
    async function* flaky() {
      opened++;
      if (opened === 1) throw new ConnectError("down", Code.Unavailable);
      yield 1;
      if (opened === 2) throw new ConnectError("down again", Code.Unavailable);
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const n of r.stream({ method: "WatchExecution" }, 1000, flaky)) got.push(n);
      })(),
    ).rejects.toMatchObject({ code: Code.Unavailable, reason: "down again" });
    expect(got).toEqual([1]);
    expect(opened).toBe(2);
  });
});
