// Pulumi resource options the providers must honour themselves. A dynamic provider never sees
// a resource's options: the engine keeps `customTimeouts` and `ignoreChanges` to itself (it
// applies ignoreChanges to the inputs, but our diff also compares with the live platform, and
// the Node.js dynamic-provider host drops the timeout it is given). So the resource classes,
// which do see their options in the program, pass them to the provider as internal inputs —
// `__timeouts` and `__ignoreChanges`: the `__` prefix keeps them out of every preview.
import type * as pulumi from "@pulumi/pulumi";
import * as messages from "../messages.js";
import { isUnknown, type CheckFailure } from "./common.js";

/** A resource operation that may carry a custom timeout. */
export type Operation = "create" | "update" | "delete";
export const OPERATIONS: readonly Operation[] = ["create", "update", "delete"];

/** `customTimeouts` as the provider receives it: seconds per operation, or the string given when it did not parse. */
export type Timeouts = Partial<Record<Operation, number | string>>;

/** The internal inputs every resource class adds from its options. */
export interface OptionInputs {
  __timeouts?: Timeouts;
  __ignoreChanges?: string[];
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration as Pulumi's `customTimeouts` take them ("30s", "5m", "1h30m", "1.5h", "500ms"),
 * in milliseconds; undefined when it is not one. "0" and "" mean no timeout (undefined too, by
 * the caller's check).
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return at === s.length && at > 0 ? total : undefined;
}

/**
 * The internal inputs for `opts`: its custom timeouts (in seconds) and ignored paths. Called by
 * each resource class with the options it was given; empty when neither is set, so resources
 * without them keep exactly the inputs they had.
 */
export function optionInputs(opts: pulumi.CustomResourceOptions | undefined): OptionInputs {
  const out: OptionInputs = {};
  const t = opts?.customTimeouts;
  if (t) {
    const timeouts: Timeouts = {};
    for (const op of OPERATIONS) {
      const v = t[op];
      if (v === undefined || v === "") continue;
      const ms = parseDuration(v);
      timeouts[op] = ms === undefined ? v : ms / 1000;
    }
    if (Object.keys(timeouts).length > 0) out.__timeouts = timeouts;
  }
  if (opts?.ignoreChanges && opts.ignoreChanges.length > 0) out.__ignoreChanges = [...opts.ignoreChanges];
  return out;
}

/** Check failures for timeouts that did not parse (the property is the resource option's). */
export function timeoutFailures(timeouts: unknown): CheckFailure[] {
  if (timeouts === undefined || timeouts === null || isUnknown(timeouts) || typeof timeouts !== "object") return [];
  return OPERATIONS.flatMap((op) => {
    const v = (timeouts as Timeouts)[op];
    return typeof v === "string" ? [{ property: `customTimeouts.${op}`, reason: messages.options.badTimeout(op, v) }] : [];
  });
}

/** The ignored paths, parsed (paths that do not parse are kept whole as one segment). */
export function ignoredPaths(paths: unknown): string[][] {
  if (!Array.isArray(paths)) return [];
  return paths.filter((p): p is string => typeof p === "string").map(parsePropertyPath);
}

/** "scaling.maxReplicas" → ["scaling", "maxReplicas"]; `env["API_KEY"]` → ["env", "API_KEY"]; "ports[0]" → ["ports", "0"]. */
export function parsePropertyPath(path: string): string[] {
  const out: string[] = [];
  const re = /([^.[\]]+)|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+|\*)\s*\]/gy;
  let at = 0;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    out.push(m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!));
    at = re.lastIndex;
    if (path[at] === ".") re.lastIndex = ++at;
  }
  return at === path.length && out.length > 0 ? out : [path];
}

/** Whether `field` (a top-level input) or something inside it is ignored. */
export function touchesField(ignored: string[][], field: string): boolean {
  return ignored.some((p) => p[0] === field || p[0] === "*");
}

/**
 * `desired` with every ignored path set to what `live` holds there (removed where `live` has
 * nothing): what the provider should make the live resource look like when it leaves ignored
 * fields alone. Both are plain JSON objects; `desired` is not modified.
 */
export function withIgnoredFromLive<T extends object>(desired: T, live: object, ignored: string[][]): T {
  if (ignored.length === 0) return desired;
  const out = JSON.parse(JSON.stringify(desired)) as Record<string, unknown>;
  for (const p of ignored) {
    if (p.includes("*")) continue;
    let d: Record<string, unknown> | undefined = out;
    let l: unknown = live;
    for (let i = 0; i < p.length - 1 && d; i++) {
      const next: unknown = d[p[i]!];
      l = l !== null && typeof l === "object" ? (l as Record<string, unknown>)[p[i]!] : undefined;
      d = next !== null && typeof next === "object" ? (next as Record<string, unknown>) : undefined;
    }
    if (!d) continue;
    const key = p[p.length - 1]!;
    const liveValue = l !== null && typeof l === "object" ? (l as Record<string, unknown>)[key] : undefined;
    if (liveValue === undefined) delete d[key];
    else d[key] = JSON.parse(JSON.stringify(liveValue));
  }
  return out as T;
}

/**
 * The time an operation has left under its custom timeout. Every platform call, compile wait
 * and health check of the operation gets at most what is left.
 */
export class Deadline {
  readonly startedAt = Date.now();
  private readonly limitMs: number | undefined;

  constructor(
    readonly operation: Operation,
    timeouts: Timeouts | undefined,
  ) {
    const secs = timeouts?.[operation];
    this.limitMs = typeof secs === "number" && secs > 0 ? secs * 1000 : undefined;
  }

  /** Whether a custom timeout applies. */
  get limited(): boolean {
    return this.limitMs !== undefined;
  }

  /** The custom timeout in seconds, if any. */
  get limitSecs(): number | undefined {
    return this.limitMs === undefined ? undefined : this.limitMs / 1000;
  }

  /** Milliseconds left; Infinity without a custom timeout. */
  remainingMs(): number {
    return this.limitMs === undefined ? Infinity : Math.max(0, this.startedAt + this.limitMs - Date.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** `wantedMs`, or what is left if that is less (at least 1 ms, so a call fails rather than hangs). */
  cap(wantedMs: number): number {
    return Math.max(1, Math.min(wantedMs, this.remainingMs()));
  }

  /** A signal that fires when the time is up (undefined without a custom timeout). */
  signal(): AbortSignal | undefined {
    return this.limitMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, this.remainingMs()));
  }
}

/** No custom timeout: reads, checks and diffs run under the per-call deadline only. */
export const NO_DEADLINE = new Deadline("update", undefined);
