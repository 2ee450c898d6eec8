// The autoscaler formula of the API reference ("Scaling configuration"), as a table.
import { describe, expect, it } from "vitest";
import { desiredReplicas, observedPerPod } from "../../src/emulator/runtime/autoscaler";
import { ScaleMetric } from "../../src/gen/dodil/ignite/v1/compute_pb";

describe("desiredReplicas = ceil(observed_per_pod / scale_threshold) clamped to [reserved, max]", () => {
  const cases: Array<[string, number, number, number, number, number]> = [
    // name, observed, threshold, reserved, max, expected
    ["no traffic and no reserve scales to zero", 0, 10, 0, 5, 0],
    ["no traffic keeps the reserved pods", 0, 10, 2, 5, 2],
    ["just under the threshold needs one pod", 9.9, 10, 0, 5, 1],
    ["exactly the threshold needs one pod", 10, 10, 0, 5, 1],
    ["just over the threshold needs two pods", 10.1, 10, 0, 5, 2],
    ["a threshold of 0 means the platform default of 10", 25, 0, 0, 5, 3],
    ["the ceiling is max_replicas", 1000, 10, 0, 5, 5],
    ["the floor is reserved_capacity even above the formula", 5, 10, 3, 5, 3],
    ["reserved above max wins (the floor is never violated)", 0, 10, 4, 2, 4],
    ["negative or NaN observations count as zero", Number.NaN, 10, 0, 5, 0],
  ];
  it.each(cases)("%s", (_name, observed, threshold, reserved, max, expected) => {
    expect(
      desiredReplicas({ observedPerPod: observed, scaleThreshold: threshold, reservedCapacity: reserved, maxReplicas: max }),
    ).toBe(expected);
  });
});

describe("observedPerPod", () => {
  it("REQUEST_RATE is the average requests per second per pod over the window", () => {
    expect(
      observedPerPod({ metric: ScaleMetric.REQUEST_RATE, requestsInWindow: 1200, windowMs: 60_000, inFlight: 0, pods: 2 }),
    ).toBe(10);
  });
  it("UNSPECIFIED is treated as REQUEST_RATE", () => {
    expect(
      observedPerPod({ metric: ScaleMetric.UNSPECIFIED, requestsInWindow: 60, windowMs: 60_000, inFlight: 9, pods: 1 }),
    ).toBe(1);
  });
  it("CONCURRENCY is the in-flight requests per pod", () => {
    expect(
      observedPerPod({ metric: ScaleMetric.CONCURRENCY, requestsInWindow: 0, windowMs: 60_000, inFlight: 9, pods: 3 }),
    ).toBe(3);
  });
  it("zero pods divide as one (the app is waking)", () => {
    expect(
      observedPerPod({ metric: ScaleMetric.CONCURRENCY, requestsInWindow: 0, windowMs: 60_000, inFlight: 4, pods: 0 }),
    ).toBe(4);
  });
});
