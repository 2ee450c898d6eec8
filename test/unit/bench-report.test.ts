// docs/benchmarks.md keeps the sections a run did not measure (bench/report.js): a fresh clone
// has no bench/results/, so `BENCH_ONLY=preview npm run bench` there must not replace the
// data-plane and hashing sections with "Not measured yet".
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
});
