/**
 * Durability and concurrency of the local Ignite: a restart loses nothing, concurrent
 * mutations of one app never corrupt it, and the admin counters see every transport.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ComputeService } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { tarGz } from "../support/archive.js";
import { startLocal, type Local } from "../support/local-ignite";

const ORG = "acme-corp";
const source = (i: number) => ({
  source: { case: "compile" as const, value: { runtime: { runtime: { case: "python" as const, value: {} } }, input: { case: "sourceCode" as const, value: Buffer.from(`def handler(p, c):\n    return ${i}\n`) } } },
});

let t: Local | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("local Ignite state", () => {
  it("keeps apps, drafts, versions and the token across a restart on the same data dir", async () => {
    t = await startLocal();
    const token = t.emu.token;
    let client = createClient(ComputeService, t.transport);
    await client.createApp({ organizationName: ORG, name: "durable", description: "survives" });
    const archive = await tarGz({ "handler.py": "def handler(p, c):\n    return 1\n", "requirements.txt": "tabulate==0.9.0\n" });
    const saved = await client.saveDraft({
      organizationName: ORG,
      appName: "durable",
      code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "archive", value: archive } } } },
    });
    await client.publishDraft({ organizationName: ORG, appName: "durable" });
    await client.saveDraft({ organizationName: ORG, appName: "durable", code: source(2) });

    await t.restart();
    expect(t.emu.token).toBe(token);
    client = createClient(ComputeService, t.transport);
    const app = (await client.getApp({ organizationName: ORG, appName: "durable" })).app;
    expect(app).toMatchObject({ description: "survives", activeVersion: 1, latestVersion: 1 });
    const versions = (await client.listVersions({ organizationName: ORG, appName: "durable" })).versions;
    expect(versions.map((v) => [v.version, v.codeHash])).toEqual([[1, saved.draft?.codeHash]]);
    const tree = await t.emu.store.files.versionTree(`${ORG}/durable`, 1);
    expect(await fs.readFile(path.join(tree, "requirements.txt"), "utf8")).toBe("tabulate==0.9.0\n");
    const draft = (await client.getDraft({ organizationName: ORG, appName: "durable" })).draft;
    expect(draft?.files).toEqual(["handler.py"]);
    expect(draft?.codeHash).not.toBe(saved.draft?.codeHash);
    expect((await client.publishDraft({ organizationName: ORG, appName: "durable" })).publishedVersion).toBe(2);
  });

  it("numbers concurrent publishes of one app 1..N without gaps and keeps its state file valid", async () => {
    t = await startLocal();
    const client = createClient(ComputeService, t.transport);
    await client.createApp({ organizationName: ORG, name: "busy" });
    const N = 16;
    const results = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        await client.saveDraft({ organizationName: ORG, appName: "busy", code: source(i) });
        return (await client.publishDraft({ organizationName: ORG, appName: "busy" })).publishedVersion;
      }),
    );
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const versions = (await client.listVersions({ organizationName: ORG, appName: "busy" })).versions;
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const stateFile = path.join(t.dataDir, "apps", ORG, "busy", "app.json");
    const state = JSON.parse(await fs.readFile(stateFile, "utf8")) as { activeVersion: number; latestVersion: number };
    expect(state.latestVersion).toBe(N);
    expect(state.activeVersion).toBe(N);
  });

  it("counts every ComputeService call by method over gRPC and HTTP, and resets the counters", async () => {
    t = await startLocal();
    const client = createClient(ComputeService, t.transport);
    await t.fetchJson("POST", "/_ignite/calls/reset");
    await client.listApps({ organizationName: ORG });
    await t.fetchJson("GET", `/v1/ignite/app/${ORG}`);
    await client.getApp({ organizationName: ORG, appName: "missing" }).catch(() => undefined);
    expect((await t.fetchJson("GET", "/_ignite/calls")).json).toEqual({ calls: { GetApp: 1, ListApps: 2 } });
    await t.fetchJson("POST", "/_ignite/calls/reset");
    expect((await t.fetchJson("GET", "/_ignite/calls")).json).toEqual({ calls: {} });
    expect((await t.fetchJson("GET", "/_ignite/healthz", undefined, null)).status).toBe(200);
  });

  it("issues service-account JWTs bound to the org at /oidc/token, and rejects them once expired", async () => {
    // exp is whole seconds (iat = floor(now)), so a 1 s lifetime can end a few ms after issue:
    // 3 s leaves at least 2 s of validity, and waiting 3.1 s guarantees expiry.
    t = await startLocal({}, { tokenTtlSecs: 3, serviceAccounts: [{ clientId: "ci", clientSecret: "s3cret", organization: "ci-org" }] });
    const form = (id: string, secret: string) =>
      fetch(t!.emu.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: id, client_secret: secret }),
      });
    expect((await form("ci", "wrong")).status).toBe(401);
    const res = await form("ci", "s3cret");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3 });
    const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: "ci", organization: { "ci-org": { id: expect.stringMatching(/^[0-9a-f-]{36}$/) } } });
    expect(typeof claims.exp).toBe("number");

    const client = createClient(ComputeService, t.transportFor(body.access_token));
    await client.createApp({ organizationName: "ci-org", name: "from-ci" });
    const denied = await client.getApp({ organizationName: ORG, appName: "x" }).catch((e: unknown) => e);
    expect((denied as ConnectError).code).toBe(Code.PermissionDenied);
    await new Promise((r) => setTimeout(r, 3100));
    const expired = await client.listApps({ organizationName: "ci-org" }).catch((e: unknown) => e);
    expect((expired as ConnectError).code).toBe(Code.Unauthenticated);
    expect((expired as ConnectError).rawMessage).toMatch(/expired/);

    // The default service account works the same way.
    const def = await form(t.emu.clientId, t.emu.clientSecret);
    expect(def.status).toBe(200);
  });

  it("rejects a request larger than the limit with RESOURCE_EXHAUSTED naming the limit", async () => {
    t = await startLocal({}, { maxRequestBytes: 1024 * 1024 });
    await createClient(ComputeService, t.transport).createApp({ organizationName: ORG, name: "big" });
    const res = await t.fetchJson("POST", `/v1/ignite/app/${ORG}/big/draft`, {
      code: { compile: { runtime: { python: {} }, sourceCode: Buffer.alloc(2 * 1024 * 1024).toString("base64") } },
    });
    expect(res.json).toMatchObject({ code: Code.ResourceExhausted });
    expect((res.json as { message: string }).message).toMatch(/1 MiB/);
  });
});
