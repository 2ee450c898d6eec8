// The retry policy: which ComputeService calls may be repeated after a transient failure,
// on which codes, and how long to wait between attempts.
import { Code } from "@connectrpc/connect";

/** Every ComputeService method, by its proto name. */
export type IgniteMethod =
  | "CreateApp"
  | "GetApp"
  | "ListApps"
  | "UpdateAppConfig"
  | "DeleteApp"
  | "SaveDraft"
  | "GetDraft"
  | "CompileDraft"
  | "StreamCompileLogs"
  | "PublishDraft"
  | "ListVersions"
  | "RollbackVersion"
  | "Invoke"
  | "InvokeAsync"
  | "GetExecution"
  | "WatchExecution"
  | "GetExecutionStats";

/**
 * Whether a call may be sent again after it may or may not have reached the server.
 * `true` only where repeating it cannot change the outcome:
 * - reads (Get*, List*, the log and execution streams before their first message);
 * - UpdateAppConfig: sets the masked fields to given values;
 * - SaveDraft: overwrites the draft slot with the same bytes;
 * - DeleteApp: deleting twice leaves the same state (a NOT_FOUND on the retry is the
 *   caller's business: the resources treat it as success);
 * - RollbackVersion: points active_version at a fixed number.
 * `false` where a repeat creates something new: PublishDraft (a second version),
 * CreateApp (ALREADY_EXISTS would mask our own success), CompileDraft (a second build),
 * Invoke / InvokeAsync (the handler runs twice).
 */
export const RETRY_SAFE: Readonly<Record<IgniteMethod, boolean>> = {
  CreateApp: false,
  GetApp: true,
  ListApps: true,
  UpdateAppConfig: true,
  DeleteApp: true,
  SaveDraft: true,
  GetDraft: true,
  CompileDraft: false,
  StreamCompileLogs: true,
  PublishDraft: false,
  ListVersions: true,
  RollbackVersion: true,
  Invoke: false,
  InvokeAsync: false,
  GetExecution: true,
  WatchExecution: true,
  GetExecutionStats: true,
};

/**
 * Codes that say "try again later" about the transport or the server, not the request.
 * RESOURCE_EXHAUSTED is left out: it is a quota, and hammering it only burns the quota.
 */
export const TRANSIENT_CODES: ReadonlySet<Code> = new Set([Code.Unavailable, Code.DeadlineExceeded]);

export interface RetryOptions {
  /** Total attempts including the first. @default 4 */
  attempts: number;
  /** The first backoff cap in ms; doubles per attempt. @default 200 */
  baseDelayMs: number;
  /** Upper bound of any single wait in ms. @default 5000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/** True when `method` failing with `code` on attempt `attempt` (1-based) should be retried. */
export function shouldRetry(method: IgniteMethod, code: Code, attempt: number, options: RetryOptions): boolean {
  return RETRY_SAFE[method] && TRANSIENT_CODES.has(code) && attempt < options.attempts;
}

/**
 * Exponential backoff with full jitter (a uniform wait in [0, min(max, base·2^(n-1))]):
 * spreads out clients that failed together so they do not return together.
 */
export function backoffDelayMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}
