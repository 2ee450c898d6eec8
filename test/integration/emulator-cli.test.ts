/**
 * `ignite-local` as a user runs it: it prints its endpoints and token one per line, serves
 * calls, and exits cleanly on SIGTERM. Runs the built CLI (dist/), which it builds first so it
 * never tests a stale one.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_OPTIONS } from "../../src/emulator/cli";

const repo = path.resolve(__dirname, "../..");
const bin = path.join(repo, "bin", "ignite-local.js");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-cli-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

beforeAll(() => {
  execFileSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(repo, "tsconfig.json")], { stdio: "inherit" });
}, 180_000);

describe("ignite-local", () => {
  it("lists its options with --help", async () => {
    const child = spawn(process.execPath, [bin, "--help"]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
    // Every option the parser accepts is listed (README: "--help lists every option").
    expect(Object.keys(CLI_OPTIONS).length).toBeGreaterThan(10);
    for (const [name, spec] of Object.entries(CLI_OPTIONS)) {
      expect(out).toContain(`--${name}`);
      if ("short" in spec && spec.short) expect(out).toContain(`-${spec.short}`);
    }
  });

  it("prints grpc, http and token lines, serves the gateway and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0", "--data-dir", dataDir, "--token", "acme-corp=fixed-token", "--quiet"]);
    let out = "";
    const lines = await new Promise<Record<string, string>>((resolve, reject) => {
      child.on("exit", (code) => reject(new Error(`exited early with ${code}`)));
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const found = Object.fromEntries(out.split("\n").map((l) => /^(\w+): (.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2]]));
        if (found.grpc && found.http && found.token && out.includes("data_dir:")) resolve(found as Record<string, string>);
      });
    });
    child.removeAllListeners("exit");
    expect(lines.grpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.http).toBe(lines.grpc);
    for (const token of [lines.token, "fixed-token"]) {
      const res = await fetch(`${lines.http}/v1/ignite/app/acme-corp`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
  });
});
