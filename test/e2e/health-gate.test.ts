// Issue 10 (1): a green `up` never leaves broken code live. A PublishedVersion with a
// `healthCheck` calls the app after PublishDraft or RollbackVersion the way a client would —
// its public URL with the provider's token, through the cold start, or the Invoke RPC where the
// URL cannot be reached — and on failure makes the version active before active again and
// fails `up` with the status, the body tail and "rolled back to vN". The real pulumi CLI, a
// file backend and local Ignites over real sockets; each step counts the platform calls.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 300_000;

const HEALTHY = (v: number) => `def handler(payload, ctx):\n    return {"ok": True, "v": ${v}}\n`;
// Valid Python with a top-level `handler` (the preview's check passes), broken at import.
const RAISES_AT_IMPORT = `raise RuntimeError("the database URL is missing")\n\n\ndef handler(payload, ctx):\n    return {"ok": True}\n`;
// Slow to start: the first call waits through a 3 s cold start.
const SLOW_START = `import time\ntime.sleep(3)\n\n\ndef handler(payload, ctx):\n    return {"ok": True, "v": "slow"}\n`;

const PROGRAM = [
  `import * as pulumi from "@pulumi/pulumi";`,
  `import * as ignite from "pulumi-ignite";`,
  `const cfg = new pulumi.Config();`,
  `const app = new ignite.App("gated", { healthPath: cfg.get("healthPath") });`,
  `const draft = new ignite.Draft("gated", { app, code: "./app" });`,
  `const check = cfg.getBoolean("check") ?? true;`,
  `const release = new ignite.PublishedVersion("gated", {`,
  `  app,`,
  `  codeHash: draft.codeHash,`,
  `  healthCheck: check ? { path: cfg.get("checkPath"), expectBodyContains: '"ok": true', attempts: 2 } : undefined,`,
  `});`,
  `export const activeVersion = release.activeVersion;`,
  `export const codeHash = release.codeHash;`,
  `export const url = release.publicUrls[0];`,
].join("\n");

/** GET a public URL with a token, *.localhost as loopback (what curl does). */
function get(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { headers: { authorization: `Bearer ${token}` }, lookup: (_h, _o, cb) => (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]) },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("the health gate, end to end (issue 10, part 1)", () => {
  let ws: Workspace;
  let dir: string;
  const write = (source: string) => fs.writeFileSync(path.join(dir, "app", "handler.py"), source);
  const versions = async (ignite = ws.ignite) => {
    const res = await ws.client.listVersions({ organizationName: ignite.org, appName: "gated" });
    return { active: res.activeVersion, all: res.versions.map((v) => v.version) };
  };
  const outputs = async () => JSON.parse((await ws.ok(dir, ["stack", "output", "--json"])).stdout) as { activeVersion: number; codeHash: string; url: string };

  beforeAll(async () => {
    ws = await createWorkspace();
    dir = ws.project("health-gate", PROGRAM);
    fs.mkdirSync(path.join(dir, "app"));
    write(HEALTHY(1));
    await ws.initStack(dir);
    await ws.ok(dir, ["config", "set", "checkPath", "/healthz"]);
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("up publishes version 1 and checks it through its public URL, with the provider's token", async () => {
    await ws.resetCalls();
    const up = await ws.ok(dir, ["up", "--yes"]);
    expect(up.all).toMatch(/acme-corp\/gated version 1 is healthy \(GET http:\/\/gated-acme-corp\.ignite\.localhost:\d+\/healthz, first attempt\)/);
    expect(up.all).not.toContain(ws.ignite.token);
    const calls = await ws.calls();
    expect(mutations(calls)).toEqual({ CreateApp: 1, SaveDraft: 1, PublishDraft: 1 });
    expect(calls.Invoke ?? 0).toBe(0); // the public URL answered
    expect(await versions()).toEqual({ active: 1, all: [1] });
  }, STEP);

  it("a handler that raises at import: up fails with the status, the body tail and 'rolled back to v1'; v1 serves again", async () => {
    write(RAISES_AT_IMPORT);
    await ws.resetCalls();
    const up = await ws.pulumi(dir, ["up", "--yes"]);
    const shown = up.all.replace(/\s+/g, " ");
    expect(up.code).not.toBe(0);
    expect(shown).toMatch(/acme-corp\/gated version 2 failed its health check: GET http:\/\/gated-acme-corp\.ignite\.localhost:\d+\/healthz answered 500 \(expected a 2xx status\) after 2 attempts; body: .*handler\.py failed to import: RuntimeError: the database URL is missing/);
    expect(shown).toMatch(/rolled back to v1 \(the version active before\)/);
    expect(shown).not.toContain(ws.ignite.token);
    // Exactly: the new code saved and published, then the old version made active again.
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, PublishDraft: 1, RollbackVersion: 1 });
    expect(await versions()).toEqual({ active: 1, all: [1, 2] });
    const { url } = await outputs();
    expect(await get(`${url}/`, ws.ignite.token)).toMatchObject({ status: 200, body: expect.stringContaining('"v": 1') });
  }, STEP);

  it("the state says what runs: the release is still version 1 with version 1's code", async () => {
    const state = JSON.parse((await ws.ok(dir, ["stack", "export"])).stdout);
    const pv = state.deployment.resources.find((r: { type: string }) => r.type.endsWith("ignite:PublishedVersion"));
    const v1 = (await ws.client.listVersions({ organizationName: "acme-corp", appName: "gated" })).versions.find((v) => v.version === 1)!;
    expect(pv.outputs).toMatchObject({ activeVersion: 1, codeHash: v1.codeHash });
    // The preview knows the broken code is not live.
    const preview = await ws.pulumi(dir, ["preview", "--expect-no-changes"]);
    expect(preview.code).not.toBe(0);
  }, STEP);

  it("the next up tries again without publishing a duplicate: version 2 is made active again, checked, and rolled back", async () => {
    await ws.resetCalls();
    const up = await ws.pulumi(dir, ["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(up.all).toMatch(/making acme-corp\/gated version 2 active again/);
    expect(up.all.replace(/\s+/g, " ")).toMatch(/version 2 failed its health check: .* rolled back to v1/);
    expect(mutations(await ws.calls())).toEqual({ RollbackVersion: 2 });
    expect(await versions()).toEqual({ active: 1, all: [1, 2] });
  }, STEP);

  it("fixed code is published once and passes: SaveDraft + PublishDraft, version 3", async () => {
    write(HEALTHY(3));
    await ws.resetCalls();
    const up = await ws.ok(dir, ["up", "--yes"]);
    expect(up.all).toMatch(/version 3 is healthy/);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    expect(await outputs()).toMatchObject({ activeVersion: 3 });
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("the check's path defaults to the App's healthPath (the platform's readiness probe), through a slow cold start", async () => {
    await ws.ok(dir, ["config", "rm", "checkPath"]);
    await ws.ok(dir, ["config", "set", "healthPath", "/ready"]);
    write(SLOW_START);
    await ws.resetCalls();
    const up = await ws.ok(dir, ["up", "--yes"]);
    expect(up.all).toMatch(/version 4 is healthy \(GET http:\/\/gated-acme-corp\.ignite\.localhost:\d+\/ready, first attempt\)/);
    expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1, SaveDraft: 1, PublishDraft: 1 });
    expect((await ws.client.getApp({ organizationName: "acme-corp", appName: "gated" })).app?.healthPath).toBe("/ready");
  }, STEP);

  describe("where the public URL cannot be reached", () => {
    let other: Emulator;
    let dir2: string;

    beforeAll(async () => {
      // Public URLs name a port nothing listens on: the URL is unreachable from here, the API is not.
      other = await ws.startIgnite({ publicPort: 1 });
      dir2 = ws.project("health-gate-invoke", PROGRAM);
      fs.mkdirSync(path.join(dir2, "app"));
      await ws.initStack(dir2, "test", other);
    }, STEP);

    it("without healthCheck, today's behaviour: broken code publishes and up succeeds", async () => {
      fs.writeFileSync(path.join(dir2, "app", "handler.py"), RAISES_AT_IMPORT);
      await ws.ok(dir2, ["config", "set", "check", "false"]);
      await ws.resetCalls(other);
      await ws.ok(dir2, ["up", "--yes"]);
      const calls = await ws.calls(other);
      expect(mutations(calls)).toEqual({ CreateApp: 1, SaveDraft: 1, PublishDraft: 1 });
      expect(calls.Invoke ?? 0).toBe(0);
    }, STEP);

    it("with healthCheck, the app is called through the Invoke RPC instead", async () => {
      fs.writeFileSync(path.join(dir2, "app", "handler.py"), HEALTHY(2));
      await ws.ok(dir2, ["config", "set", "check", "true"]);
      await ws.resetCalls(other);
      const up = await ws.ok(dir2, ["up", "--yes"]);
      expect(up.all).toMatch(/version 2 is healthy \(Invoke acme-corp\/gated GET \/, first attempt\)/);
      const calls = await ws.calls(other);
      expect(mutations(calls)).toEqual({ SaveDraft: 1, PublishDraft: 1 });
      expect(calls.Invoke).toBe(1);
    }, STEP);
  });
});
