/**
 * The autoscaler formula of the API reference, as pure functions the pod pool calls on each
 * tick (and the unit tests call directly):
 *
 *   desired_replicas = ceil(observed_per_pod / scale_threshold), clamped to [reserved_capacity, max_replicas]
 *
 * REQUEST_RATE observes average requests/second per pod over a sliding window (1 minute on
 * the platform); CONCURRENCY observes in-flight requests per pod. Activation from zero is
 * binary: any request wakes the app, whatever the formula says.
 */
import { ScaleMetric } from "../../gen/dodil/ignite/v1/compute_pb.js";
import { SCALING_DEFAULTS } from "../../scaling-defaults.js";

export interface ScalingInput {
  /** The metric's value per running pod (req/s or in-flight). */
  observedPerPod: number;
  /** ScalingConfig.scale_threshold; 0 means the platform default (10). */
  scaleThreshold: number;
  /** ScalingConfig.reserved_capacity: the floor. */
  reservedCapacity: number;
  /** The effective max_replicas (already capped by the platform maximum): the ceiling. */
  maxReplicas: number;
}

export function desiredReplicas(input: ScalingInput): number {
  const threshold = input.scaleThreshold > 0 ? input.scaleThreshold : SCALING_DEFAULTS.scaleThreshold;
  const observed = Number.isFinite(input.observedPerPod) && input.observedPerPod > 0 ? input.observedPerPod : 0;
  const raw = Math.ceil(observed / threshold);
  const floor = Math.max(0, input.reservedCapacity);
  const ceiling = Math.max(floor, input.maxReplicas);
  return Math.min(ceiling, Math.max(floor, raw));
}

export interface MetricSample {
  metric: ScaleMetric;
  /** Requests that arrived inside the window. */
  requestsInWindow: number;
  /** The window length, ms (60 000 on the platform, shorter under a time scale). */
  windowMs: number;
  /** Requests in flight right now, across all pods. */
  inFlight: number;
  /** Pods running now; the per-pod average divides by max(1, pods). */
  pods: number;
}

/** observed_per_pod for the chosen metric (UNSPECIFIED is REQUEST_RATE, as the proto says). */
export function observedPerPod(sample: MetricSample): number {
  const pods = Math.max(1, sample.pods);
  if (sample.metric === ScaleMetric.CONCURRENCY) return sample.inFlight / pods;
  const perSecond = sample.windowMs > 0 ? sample.requestsInWindow / (sample.windowMs / 1000) : 0;
  return perSecond / pods;
}
