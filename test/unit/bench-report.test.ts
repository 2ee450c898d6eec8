// docs/benchmarks.md keeps the sections a run did not measure (bench/report.js): a fresh clone
// has no bench/results/, so `BENCH_ONLY=preview npm run bench` there must not replace the
// data-plane and hashing sections with "Not measured yet". And the up's growth target is
// checked on what the provider adds to the floor, not on the engine's checkpoints.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const { report, sectionOf } = createRequire(__filename)("../../bench/report.js") as {
  report: (last: Record<string, unknown>, previousPage?: string) => { md: string; missed: string[] };
  sectionOf: (page: string, key: string) => string | undefined;
};
const page = fs.readFileSync(path.resolve(__dirname, "../../docs/benchmarks.md"), "utf8");

describe("the benchmarks page", () => {
  it("finds each section of the page from its heading to the next section's", () => {
    expect(sectionOf(page, "dataplane")).toMatch(/^## The local Ignite's data plane\n[\s\S]*## Rust, Go and Deno/);
    expect(sectionOf(page, "dataplane")).not.toContain("## The provider at scale");
    expect(sectionOf(page, "preview")).toMatch(/^## The provider at scale \(issue 11\)\n[\s\S]*### `pulumi up` creating N new apps/);
    expect(sectionOf(page, "hashing")).toMatch(/^## Code-set hashing \(issue 11\)\n/);
    expect(sectionOf("# Benchmarks\n", "hashing")).toBeUndefined();
  });

  it("keeps the sections it has no results for as the page had them", () => {
    const { md } = report({}, page);
    for (const key of ["dataplane", "preview", "hashing"]) expect(md).toContain(sectionOf(page, key)!.trimEnd());
    expect(md).not.toContain("Not measured yet");
  });

  it("says a section is not measured yet when neither the results nor the page have it", () => {
    const { md } = report({}, "");
    expect(md.match(/Not measured yet/g)).toHaveLength(3);
  });

  describe("the target for `pulumi up` of new apps", () => {
    const stamp = { date: "2026-12-02", load: [1, 1, 1] };
    /** Preview results with these up times (ms) at N = 10, 50, 200; the previews all meet their targets. */
    const results = (ours: number[], floor: number[], oursOff = [1000, 3000, 10000], floorOff = [900, 2500, 8500]) => ({
      preview: {
        pulumi: "v3.276.0",
        rounds: 1,
        variants: ["ours", "floor"],
        start: stamp,
        end: stamp,
        ns: [10, 50, 200].map((n, i) => ({
          n,
          up: { ours: ours[i], floor: floor[i], oursNoCheckpoints: oursOff[i], floorNoCheckpoints: floorOff[i] },
          preview: { ours: [1000 + 10 * n], floor: [1000 + 10 * n] },
        })),
      },
    });
    const upMissed = (r: Record<string, unknown>) => report(r).missed.filter((m) => m.includes("pulumi up"));

    it("is met when only the engine's part grows faster than linearly (the floor's as well)", () => {
      // Both quadratic (100 then 500 ms per added app), ours a steady 20 ms per app above the floor.
      const { md, missed } = report(results([2000, 6800, 81800], [1800, 5800, 77800]));
      expect(missed).toEqual([]);
      expect(md).toContain("What ours adds to the floor, per added app: met, 20 ms then 20 ms.");
      expect(md).toContain("As run by default, the engine included: not linear, for the floor too");
    });

    it("is missed when what ours adds to the floor grows faster than linearly", () => {
      // Ours 20 ms per app above the floor from 10 to 50, then 60.
      expect(upMissed(results([2000, 6800, 90800], [1800, 5800, 77800]))).toEqual(["`pulumi up` of new apps: what ours adds to the floor grows faster than linearly"]);
    });

    it("is missed when ours with checkpoints off grows faster than linearly", () => {
      expect(upMissed(results([2000, 6800, 81800], [1800, 5800, 77800], [1000, 3000, 40000]))).toHaveLength(1);
    });
  });
});
