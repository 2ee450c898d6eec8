/**
 * Knobs of the local Ignite's runtime (pods, scaling emulation, deadlines), with every
 * default applied in one place. The platform's own periods are minutes long; tests and demos
 * shrink them with `timeScale` or the explicit overrides instead of waiting.
 */
import { MIN_SCALEDOWN_SECS, SCALING_DEFAULTS } from "../../scaling-defaults.js";

import { resolveRustOptions, type ResolvedRustOptions, type RustRuntimeOptions } from "../runtimes/rust/settings.js";

export interface RuntimeOptions {
  /** Python interpreter used for pool mode and to create dedicated-mode venvs. @default "python3" (resolved once to sys.executable) */
  python?: string;
  /** The app timeout: how long one request may run in a pod before the pod is killed and the call ends TIMEOUT/504, ms. @default 60000 */
  appTimeoutMs?: number;
  /** How long a request to a scaled-to-zero app waits for a pod to become ready, ms. @default IGNITE_COLD_START_BUDGET_SECS × 1000, else 600000 (seed 002) */
  coldStartBudgetMs?: number;
  /** Multiplies the platform's periods (scaledown_period_secs, the 1-minute metric window). 0.01 turns 300 s into 3 s. @default 1 */
  timeScale?: number;
  /** Replaces every app's scaledown_period_secs, in real seconds (timeScale does not apply). @default undefined (use the app's value) */
  scaledownPeriodOverrideSecs?: number;
  /** How often the autoscaler re-evaluates each app, ms. @default 1000 */
  autoscaleIntervalMs?: number;
  /** The REQUEST_RATE window, ms. @default 60000 × timeScale */
  metricWindowMs?: number;
  /** Largest response body a pod may return through the local Ignite, bytes. @default 6 MiB */
  maxResponseBytes?: number;
  /**
   * Hand a served keep-alive public-URL connection to its pod, so later requests skip the
   * relay (docs/runtime.md, "Connection handoff"). false keeps every request in the relay.
   * @default true
   */
  connectionHandoff?: boolean;
  /** Where the Rust runtime finds cargo's shared target dir and the wasm runner's Python. */
  rust?: RustRuntimeOptions;
  /** A prebuilt pod agent binary (IGNITE_POD_AGENT). @default built from src/emulator/runtime/agent with cargo, cached */
  podAgent?: string;
}

export interface ResolvedRuntimeOptions {
  python: string;
  appTimeoutMs: number;
  coldStartBudgetMs: number;
  timeScale: number;
  scaledownPeriodOverrideSecs: number | undefined;
  autoscaleIntervalMs: number;
  metricWindowMs: number;
  maxResponseBytes: number;
  connectionHandoff: boolean;
  rust: ResolvedRustOptions;
  podAgent: string | undefined;
}

/**
 * Defaults ← IGNITE_RUNTIME_OPTIONS (a JSON RuntimeOptions, for the CLI and for tests run
 * in their own process) ← the options passed to startEmulator, field by field.
 */
export function resolveRuntimeOptions(explicit: RuntimeOptions = {}, env = process.env): ResolvedRuntimeOptions {
  let fromEnv: RuntimeOptions = {};
  if (env.IGNITE_RUNTIME_OPTIONS) {
    try {
      fromEnv = JSON.parse(env.IGNITE_RUNTIME_OPTIONS) as RuntimeOptions;
    } catch {
      throw new Error("IGNITE_RUNTIME_OPTIONS is not valid JSON (expected e.g. {\"timeScale\":0.01})");
    }
  }
  const options: RuntimeOptions = { ...fromEnv, ...definedOnly(explicit) };
  const timeScale = options.timeScale !== undefined && options.timeScale > 0 ? options.timeScale : 1;
  return {
    python: options.python ?? process.env.IGNITE_PYTHON ?? "python3",
    appTimeoutMs: options.appTimeoutMs ?? 60_000,
    coldStartBudgetMs: options.coldStartBudgetMs ?? coldStartBudgetFromEnv(env) ?? 600_000,
    timeScale,
    scaledownPeriodOverrideSecs: options.scaledownPeriodOverrideSecs,
    autoscaleIntervalMs: options.autoscaleIntervalMs ?? 1000,
    metricWindowMs: options.metricWindowMs ?? Math.max(100, Math.round(60_000 * timeScale)),
    maxResponseBytes: options.maxResponseBytes ?? 6 * 1024 * 1024,
    connectionHandoff: options.connectionHandoff ?? true,
    rust: resolveRustOptions(options.rust),
    podAgent: options.podAgent ?? env.IGNITE_POD_AGENT,
  };
}

/** IGNITE_COLD_START_BUDGET_SECS (seed 002: the gateway's cold-start budget), in ms. */
function coldStartBudgetFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.IGNITE_COLD_START_BUDGET_SECS;
  if (raw === undefined || raw === "") return undefined;
  const secs = Number(raw);
  if (!Number.isFinite(secs) || secs <= 0) {
    throw new Error(`IGNITE_COLD_START_BUDGET_SECS must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  }
  return Math.round(secs * 1000);
}

/** The effective scale-down period of an app, ms (the platform default, raised to KEDA's minimum). */
export function scaledownPeriodMs(appPeriodSecs: number, options: ResolvedRuntimeOptions): number {
  if (options.scaledownPeriodOverrideSecs !== undefined) return options.scaledownPeriodOverrideSecs * 1000;
  const secs = appPeriodSecs > 0 ? Math.max(MIN_SCALEDOWN_SECS, appPeriodSecs) : SCALING_DEFAULTS.scaledownPeriodSecs;
  return secs * 1000 * options.timeScale;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
