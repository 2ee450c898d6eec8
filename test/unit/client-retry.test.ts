// The retry policy as a table: only calls safe to repeat, only on transient codes, with
// capped exponential backoff and full jitter.
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, DEFAULT_RETRY, RETRY_SAFE, shouldRetry, type IgniteMethod } from "../../src/client/retry.js";

describe("retry policy", () => {
  const safe: IgniteMethod[] = [
    "GetApp", "ListApps", "UpdateAppConfig", "DeleteApp", "SaveDraft", "GetDraft", "StreamCompileLogs",
    "ListVersions", "RollbackVersion", "GetExecution", "WatchExecution", "GetExecutionStats",
  ];
  const unsafe: IgniteMethod[] = ["CreateApp", "CompileDraft", "PublishDraft", "Invoke", "InvokeAsync"];

  it("covers every method exactly once", () => {
    expect(Object.keys(RETRY_SAFE).sort()).toEqual([...safe, ...unsafe].sort());
  });

  it.each(safe)("%s is retried on UNAVAILABLE and DEADLINE_EXCEEDED", (m) => {
    expect(shouldRetry(m, Code.Unavailable, 1, DEFAULT_RETRY)).toBe(true);
    expect(shouldRetry(m, Code.DeadlineExceeded, 1, DEFAULT_RETRY)).toBe(true);
  });

  it.each(unsafe)("%s is never retried", (m) => {
    for (const code of [Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Internal]) {
      expect(shouldRetry(m, code, 1, DEFAULT_RETRY)).toBe(false);
    }
  });

  it.each([Code.ResourceExhausted, Code.Internal, Code.NotFound, Code.FailedPrecondition, Code.InvalidArgument, Code.PermissionDenied, Code.Unknown, Code.Canceled])(
    "code %s is not transient",
    (code) => expect(shouldRetry("GetApp", code, 1, DEFAULT_RETRY)).toBe(false),
  );

  it("stops after the configured number of attempts", () => {
    const opts = { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 };
    expect(shouldRetry("GetApp", Code.Unavailable, 2, opts)).toBe(true);
    expect(shouldRetry("GetApp", Code.Unavailable, 3, opts)).toBe(false);
  });

  it("backs off exponentially up to the cap, with full jitter", () => {
    const opts = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, opts, top))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, opts, () => 0)).toBe(0);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(200);
  });
});
