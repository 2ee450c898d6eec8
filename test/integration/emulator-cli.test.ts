/**
 * `ignite-local` as a user runs it: it prints its endpoints and token one per line, serves
 * calls, and exits cleanly on SIGTERM. Runs the built CLI (dist/), so `npm run build` first.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const bin = path.resolve(__dirname, "../../bin/ignite-local.js");
const built = fs.existsSync(path.resolve(__dirname, "../../dist/emulator/cli.js"));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-cli-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe.runIf(built)("ignite-local", () => {
  it("lists its options with --help", async () => {
    const child = spawn(process.execPath, [bin, "--help"]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
    for (const flag of ["--port", "--data-dir", "--org", "--token", "--service-account", "--domain", "--tls-cert", "--compile-budget-secs", "--compile-concurrency"]) expect(out).toContain(flag);
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
