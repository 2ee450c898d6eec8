// The tests are TypeScript too, but vitest strips their types without checking them: a test
// calling a function whose signature changed would only fail when it runs, or pass for the
// wrong reason. This checks src/ and test/ together (tsconfig.test.json), as `npm run typecheck`.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { expect, it } from "vitest";

const repo = path.resolve(__dirname, "..", "..");

it("src/ and test/ type-check together (tsc -p tsconfig.test.json)", () => {
  const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(repo, "tsconfig.test.json")], { cwd: repo, encoding: "utf8" });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}, 180_000);
