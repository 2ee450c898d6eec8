// Issue 10 (3): production gets exactly what staging verified. examples/promotion — one program,
// stacks `staging` and `production`, each on its own local Ignite — with the real pulumi CLI:
// staging up + health check → production preview shows the same code hash → production up
// makes exactly SaveDraft + PublishDraft → both serve the same bytes; a file edited after
// staging → production's preview fails naming it, and nothing changes anywhere.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 300_000;

function post(url: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", headers: { authorization: `Bearer ${token}` }, lookup: (_h, _o, cb) => (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]) },
      (res) => {
        let data = "";
        res.on("data", (d) => (data += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("promotion from staging to production, end to end (issue 10, part 3)", () => {
  let ws: Workspace;
  let dir: string;
  let production: Emulator;
  const stack = (name: "staging" | "production") => ["--stack", name];
  const outputs = async (name: "staging" | "production") =>
    JSON.parse((await ws.ok(dir, ["stack", "output", "--json", "--show-secrets", ...stack(name)])).stdout) as { codeHash: string; manifest: Record<string, string>; url: string; activeVersion: number };
  const edit = (file: string, from: string, to: string) => {
    const p = path.join(dir, "app", file);
    const text = fs.readFileSync(p, "utf8");
    expect(text).toContain(from);
    fs.writeFileSync(p, text.replace(from, to));
  };

  beforeAll(async () => {
    ws = await createWorkspace();
    production = await ws.startIgnite();
    dir = ws.copy("examples/promotion", "promotion");
    await ws.initStack(dir, "staging", ws.ignite);
    await ws.initStack(dir, "production", production);
    await ws.ok(dir, ["config", "set", "promoteFrom", "organization/ignite-promotion/staging", ...stack("production")]);
    // Both environments run the first release.
    await ws.ok(dir, ["up", "--yes", ...stack("staging")]);
    await ws.ok(dir, ["up", "--yes", ...stack("production")]);
  }, 2 * STEP);
  afterAll(async () => ws?.dispose());

  let verified: string;

  it("staging deploys the edited code and verifies it with its health check", async () => {
    edit("quotes.py", "Make it work, make it right, make it fast.", "Premature optimization is the root of all evil.");
    await ws.resetCalls(ws.ignite);
    const up = await ws.ok(dir, ["up", "--yes", ...stack("staging")]);
    expect(up.all).toMatch(/acme-corp\/quotes version 2 is healthy \(GET http:\/\/quotes-acme-corp\.ignite\.localhost:\d+\/healthz/);
    expect(mutations(await ws.calls(ws.ignite))).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    const out = await outputs("staging");
    verified = out.codeHash;
    expect(verified).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(out.manifest).sort()).toEqual(["handler.py", "quotes.py"]);
  }, STEP);

  it("production's preview shows staging's code hash as the code to deploy", async () => {
    await ws.resetCalls(production);
    const preview = await ws.ok(dir, ["preview", "--diff", ...stack("production")]);
    expect(preview.all).toMatch(new RegExp(`~ codeHash\\s*: "sha256:[0-9a-f]{64}" => "${verified}"`));
    expect(preview.all).toMatch(new RegExp(`expectCodeHash\\s*: (?:"sha256:[0-9a-f]{64}" => )?"${verified}"`));
    expect(mutations(await ws.calls(production))).toEqual({});
  }, STEP);

  it("production's up makes exactly SaveDraft + PublishDraft, and both environments serve the same bytes", async () => {
    await ws.resetCalls(production);
    const up = await ws.ok(dir, ["up", "--yes", ...stack("production")]);
    expect(up.all).toMatch(/version 2 is healthy/);
    expect(mutations(await ws.calls(production))).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    const [s, p] = [await outputs("staging"), await outputs("production")];
    expect(p.codeHash).toBe(verified);
    expect(s.codeHash).toBe(verified);
    const fromStaging = await post(s.url, ws.ignite.token, '{"n": 1}');
    const fromProduction = await post(p.url, production.token, '{"n": 1}');
    expect(fromStaging).toEqual({ status: 200, body: expect.stringContaining("Premature optimization") });
    expect(fromProduction).toEqual(fromStaging);
    // The same code on both platforms, byte for byte.
    const active = async (client: typeof ws.client) => {
      const res = await client.listVersions({ organizationName: "acme-corp", appName: "quotes" });
      return res.versions.find((v) => v.version === res.activeVersion)!.codeHash;
    };
    const { createIgniteClient } = await import("../../src/client/index.js");
    const prodClient = createIgniteClient({ endpoint: production.grpcEndpoint, token: production.token });
    try {
      expect(await active(prodClient)).toBe(verified);
      expect(await active(ws.client)).toBe(verified);
    } finally {
      prodClient.close();
    }
    await ws.ok(dir, ["preview", "--expect-no-changes", ...stack("production")]);
  }, STEP);

  it("a file edited after staging verified: production's preview fails naming it, advising only what can work, and changes nothing", async () => {
    edit("handler.py", '"ok": True', '"ok": True, "debug": True');
    await ws.resetCalls(production);
    const preview = await ws.pulumi(dir, ["preview", ...stack("production")]);
    const shown = preview.all.replace(/\s+/g, " ");
    expect(preview.code).not.toBe(0);
    expect(shown).toMatch(/property expectCodeHash value .* has a problem: the code this stack would deploy to acme-corp\/quotes is not the verified code/);
    expect(shown).toMatch(/the files under app that differ: changed handler\.py/);
    expect(shown).not.toMatch(/quotes\.py/);
    expect(shown).toMatch(/check out the commit the verifying stack deployed/);
    expect(shown).not.toMatch(/run (`?pulumi (up|preview)`? )?again/i);
    expect(mutations(await ws.calls(production))).toEqual({});
    // `up` runs the same preview first: nothing is saved or published.
    const up = await ws.pulumi(dir, ["up", "--yes", ...stack("production")]);
    expect(up.code).not.toBe(0);
    expect(mutations(await ws.calls(production))).toEqual({});
    expect((await outputs("production")).codeHash).toBe(verified);
  }, STEP);
});
