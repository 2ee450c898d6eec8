/**
 * Execution records (InvokeAsync): stored through the control plane's store (one file per
 * execution, so they survive restarts), with in-process watchers for WatchExecution, and
 * the bucketing behind GetExecutionStats.
 */
import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import {
  type Execution,
  type ExecutionBucket,
  ExecutionBucketSchema,
  ExecutionStatus,
} from "../../gen/dodil/ignite/v1/compute_pb.js";
import type { Store } from "../store.js";

export function isTerminal(status: ExecutionStatus): boolean {
  return (
    status === ExecutionStatus.COMPLETED || status === ExecutionStatus.FAILED || status === ExecutionStatus.TIMEOUT
  );
}

/** What a watcher sees: a new state of the record, or output of a streaming app as it comes. */
export type ExecutionUpdate = { execution: Execution; chunk?: undefined } | { chunk: Uint8Array; execution?: undefined };

export class Executions {
  private readonly events = new EventEmitter();

  constructor(private readonly store: Store) {
    this.events.setMaxListeners(0);
  }

  async put(execution: Execution): Promise<void> {
    await this.store.putExecution(execution);
    this.events.emit(execution.id, { execution } satisfies ExecutionUpdate);
  }

  /** Output of a streaming app, for the execution's watchers only (the record gets the whole result at the end). */
  chunk(id: string, chunk: Uint8Array): void {
    this.events.emit(id, { chunk } satisfies ExecutionUpdate);
  }

  get(id: string): Promise<Execution | undefined> {
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(id)) return Promise.resolve(undefined);
    return this.store.getExecution(id);
  }

  /** Every update of one execution after this call; the iterator ends at a terminal state. */
  async *updates(id: string, signal: AbortSignal): AsyncGenerator<ExecutionUpdate> {
    const queue: ExecutionUpdate[] = [];
    let wake: (() => void) | undefined;
    const listener = (e: ExecutionUpdate) => {
      queue.push(e);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.events.on(id, listener);
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (!next) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        yield next;
        if (next.execution && isTerminal(next.execution.status)) return;
      }
    } finally {
      this.events.off(id, listener);
      signal.removeEventListener("abort", onAbort);
    }
  }

  list(appId: string): Promise<Execution[]> {
    return this.store.listExecutions(appId);
  }
}

/** Stats limits: buckets of 60 s .. 1 day, at most 90 days, at most MAX_BUCKETS buckets. */
export const MIN_BUCKET_SECS = 60;
export const MAX_BUCKET_SECS = 86_400;
export const DEFAULT_BUCKET_SECS = 3600;
export const MAX_RANGE_MS = 90 * 86_400_000;
export const MAX_BUCKETS = 10_000;

export interface StatsQuery {
  bucketSecs: number;
  startTimeMs: number;
  endTimeMs: number;
  now: number;
}

/** Contiguous buckets over the (clamped) range, counting terminal executions by their creation time. */
export function bucketExecutions(executions: Execution[], query: StatsQuery): { buckets: ExecutionBucket[]; bucketSecs: number } {
  const end = query.endTimeMs > 0 ? query.endTimeMs : query.now;
  let start = query.startTimeMs > 0 ? query.startTimeMs : end - 86_400_000;
  start = Math.max(start, end - MAX_RANGE_MS);
  let bucketSecs = query.bucketSecs > 0 ? query.bucketSecs : DEFAULT_BUCKET_SECS;
  bucketSecs = Math.min(MAX_BUCKET_SECS, Math.max(MIN_BUCKET_SECS, bucketSecs));
  // Widen the bucket rather than answer an unbounded number of them.
  while (bucketSecs < MAX_BUCKET_SECS && (end - start) / (bucketSecs * 1000) > MAX_BUCKETS) {
    bucketSecs = Math.min(MAX_BUCKET_SECS, bucketSecs * 2);
  }
  const width = bucketSecs * 1000;
  const first = Math.floor(start / width) * width;
  const buckets: ExecutionBucket[] = [];
  for (let t = first; t < end; t += width) buckets.push(create(ExecutionBucketSchema, { timestampMs: BigInt(t) }));
  for (const e of executions) {
    const at = Number(e.createTimeMs);
    if (at < first || at >= end) continue;
    const bucket = buckets[Math.floor((at - first) / width)];
    if (!bucket) continue;
    if (e.status === ExecutionStatus.COMPLETED) bucket.completed++;
    else if (e.status === ExecutionStatus.FAILED) bucket.failed++;
    else if (e.status === ExecutionStatus.TIMEOUT) bucket.timeout++;
  }
  return { buckets, bucketSecs };
}
