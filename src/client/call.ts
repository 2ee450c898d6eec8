// Runs one logical call: a deadline per attempt, retries with backoff where the policy allows,
// one re-authentication after UNAUTHENTICATED for refreshable credentials, and error mapping.
import { Code } from "@connectrpc/connect";
import type { TokenSource } from "./auth.js";
import type { SettingSources } from "./settings.js";
import { IgniteError, toIgniteError } from "./errors.js";
import { backoffDelayMs, shouldRetry, type IgniteMethod, type RetryOptions } from "./retry.js";

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Deadline for this call in ms (each retry attempt gets a fresh one). */
  timeoutMs?: number;
  /** Cancels the call and any pending retry wait. */
  signal?: AbortSignal;
  /** Most attempts for this call, overriding the retry policy's (1: no retry). */
  attempts?: number;
}

/** What the runner passes to one attempt: Connect's own call options. */
export interface AttemptOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface CallRunnerOptions {
  endpoint: string;
  retry: RetryOptions;
  tokens?: TokenSource;
  /** Where the settings came from, for hints. */
  sources?: SettingSources;
  /** Injected for tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Describes one call for error messages and the retry table. */
export interface CallTarget {
  method: IgniteMethod;
  appId?: string;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export class CallRunner {
  /** Attempts made per method, including retries (diagnostics and tests). */
  readonly attempts = new Map<IgniteMethod, number>();

  constructor(private readonly options: CallRunnerOptions) {}

  private map(err: unknown, target: CallTarget, timeoutMs: number, signal?: AbortSignal): IgniteError {
    return toIgniteError(err, {
      ...target,
      endpoint: this.options.endpoint,
      timeoutMs,
      secrets: this.options.tokens?.secrets ?? [],
      aborted: signal?.aborted ?? false,
      sources: this.options.sources,
    });
  }

  /**
   * After failed attempt number `attempt`: throws `e` when the call must not be repeated;
   * otherwise prepares the next attempt and returns the attempt number to continue from.
   */
  private async recover(e: IgniteError, target: CallTarget, attempt: number, state: { reauthed: boolean; attempts?: number }, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) throw e;
    // UNAUTHENTICATED is answered before the server does anything, so any call may be
    // repeated once with a new token: the cached one may have been revoked or skewed.
    // That repeat does not use up an attempt.
    if (e.code === Code.Unauthenticated && !state.reauthed && this.options.tokens?.refreshable && e.method === target.method) {
      state.reauthed = true;
      this.options.tokens.invalidate();
      return attempt - 1;
    }
    const retry = state.attempts === undefined ? this.options.retry : { ...this.options.retry, attempts: state.attempts };
    if (!shouldRetry(target.method, e.code, attempt, retry)) throw e;
    // Cancelled while waiting: report the failure that made us wait, not the abort.
    await (this.options.sleep ?? defaultSleep)(backoffDelayMs(attempt, this.options.retry, this.options.random), signal).catch(() => {
      throw e;
    });
    return attempt;
  }

  private count(method: IgniteMethod): void {
    this.attempts.set(method, (this.attempts.get(method) ?? 0) + 1);
  }

  async unary<T>(target: CallTarget, timeoutMs: number, fn: (o: AttemptOptions) => Promise<T>, signal?: AbortSignal, attempts?: number): Promise<T> {
    const state = { reauthed: false, attempts };
    for (let attempt = 1; ; attempt++) {
      this.count(target.method);
      try {
        return await fn({ timeoutMs, signal });
      } catch (err) {
        attempt = await this.recover(this.map(err, target, timeoutMs, signal), target, attempt, state, signal);
      }
    }
  }

  /**
   * A server stream is retried only before its first message: after that, the consumer
   * has already acted on part of it, and replaying would duplicate frames.
   */
  async *stream<T>(target: CallTarget, timeoutMs: number, fn: (o: AttemptOptions) => AsyncIterable<T>, signal?: AbortSignal, attempts?: number): AsyncGenerator<T> {
    const state = { reauthed: false, attempts };
    for (let attempt = 1; ; attempt++) {
      this.count(target.method);
      let received = false;
      try {
        for await (const message of fn({ timeoutMs, signal })) {
          received = true;
          yield message;
        }
        return;
      } catch (err) {
        const e = this.map(err, target, timeoutMs, signal);
        if (received) throw e;
        attempt = await this.recover(e, target, attempt, state, signal);
      }
    }
  }
}
