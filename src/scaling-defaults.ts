/**
 * The ScalingConfig defaults and limits the platform documents (seed 002, "Scaling
 * configuration"), in one place for the provider's `check` (which shows the effective config in
 * the preview) and the local Ignite (which applies it).
 */
export const SCALING_DEFAULTS = {
  reservedCapacity: 0,
  maxReplicas: 10,
  scaleMetric: "REQUEST_RATE",
  /** 0 means this platform default. */
  scaleThreshold: 10,
  scaledownPeriodSecs: 300,
} as const;

/** KEDA's minimum scale-down period, seconds. */
export const MIN_SCALEDOWN_SECS = 30;

/** The platform's cap on max_replicas ("typically 5"). */
export const PLATFORM_MAX_REPLICAS_CAP = 5;
