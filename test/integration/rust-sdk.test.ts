// The SDK crates' own Rust tests (frame codec, request/response API, the worker loop, the
// macro), run with cargo so `npm test` covers them. The target dir is the shared cache's.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { expect, it } from "vitest";
import { resolveRuntimeOptions } from "../../src/emulator/runtime/options.js";
import { REPO } from "../support/rust.js";

it("cargo test passes in the SDK (ignite, ignite-macros)", () => {
  const sdk = path.join(REPO, "src", "emulator", "runtimes", "rust", "sdk");
  const r = spawnSync("cargo", ["test", "--color", "never"], {
    cwd: sdk,
    encoding: "utf8",
    env: { ...process.env, CARGO_TARGET_DIR: path.join(resolveRuntimeOptions().rust.cargoTargetDir, "sdk-tests"), CARGO_TERM_PROGRESS_WHEN: "never" },
  });
  const out = `${r.stdout}\n${r.stderr}`;
  expect(r.error, "cargo must be installed").toBeUndefined();
  expect(r.status, out).toBe(0);
  // The unit tests really ran (not an empty run).
  expect(out).toMatch(/test result: ok\. [1-9]\d* passed/);
  expect(out).toContain("worker::tests::a_panic_is_a_500_and_the_next_request_is_served ... ok");
}, 600_000);
