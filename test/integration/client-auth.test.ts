// Service accounts against the local Ignite's OIDC endpoint: exchange, caching, refresh of a
// short-lived token, and a failed exchange that names the client but not its secret.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIgniteClient, IgniteError, ServiceAccountTokenSource } from "../../src/client/index.js";
import { resolveConnection } from "../../src/client/config.js";
import type { Emulator } from "../../src/emulator/index.js";
import { startLocal, type Local } from "../support/local-ignite";

const SECRET = "sa-secret-do-not-print-4711";
let local: Local;
let emu: Emulator;

beforeAll(async () => {
  local = await startLocal({}, { tokenTtlSecs: 2, serviceAccounts: [{ clientId: "ci-deployer", clientSecret: SECRET, organization: "acme-corp" }] });
  emu = local.emu;
});

afterAll(async () => {
  await local?.stop();
});

describe("service account", () => {
  it("exchanges credentials, caches the token and refreshes it before exp", async () => {
    const tokens = new ServiceAccountTokenSource({ clientId: "ci-deployer", clientSecret: SECRET, tokenUrl: emu.tokenUrl });
    const client = createIgniteClient({ endpoint: emu.grpcEndpoint, tokenSource: tokens });
    try {
      await client.listApps({ organizationName: "acme-corp" });
      await client.listApps({ organizationName: "acme-corp" });
      expect(tokens.exchanges).toBe(1);
      expect(await client.tokenOrganizations()).toEqual(["acme-corp"]);
      // The token lives 2 s and is refreshed 10% early: after 2 s the next call exchanges again.
      await new Promise((r) => setTimeout(r, 2100));
      await client.listApps({ organizationName: "acme-corp" });
      expect(tokens.exchanges).toBe(2);
    } finally {
      client.close();
    }
  });

  it("shares one exchange between concurrent calls", async () => {
    const tokens = new ServiceAccountTokenSource({ clientId: "ci-deployer", clientSecret: SECRET, tokenUrl: emu.tokenUrl });
    const client = createIgniteClient({ endpoint: emu.grpcEndpoint, tokenSource: tokens });
    try {
      await Promise.all(Array.from({ length: 8 }, () => client.listApps({ organizationName: "acme-corp" })));
      expect(tokens.exchanges).toBe(1);
    } finally {
      client.close();
    }
  });

  it("is configured from ignite:clientId / ignite:clientSecret / ignite:tokenUrl", async () => {
    const raw: Record<string, string> = { "ignite:endpoint": emu.grpcEndpoint, "ignite:clientId": "ci-deployer", "ignite:clientSecret": SECRET, "ignite:tokenUrl": emu.tokenUrl };
    const client = createIgniteClient(resolveConnection({ get: (k) => raw[k] }, {}));
    try {
      expect((await client.listApps({ organizationName: "acme-corp" })).apps).toBeDefined();
    } finally {
      client.close();
    }
  });

  it("a rejected exchange names the token URL and client id, never the secret", async () => {
    const wrong = `${SECRET}-wrong`;
    const client = createIgniteClient({ endpoint: emu.grpcEndpoint, serviceAccount: { clientId: "ci-deployer", clientSecret: wrong, tokenUrl: emu.tokenUrl } });
    try {
      const err = (await client.getApp({ organizationName: "acme-corp", appName: "x" }).catch((e: unknown) => e)) as IgniteError;
      expect(err).toBeInstanceOf(IgniteError);
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.message).toContain(emu.tokenUrl);
      expect(err.message).toContain('"ci-deployer"');
      for (const text of [err.message, String(err.stack), JSON.stringify(err), String(err.cause ?? "")]) {
        expect(text).not.toContain(SECRET);
      }
    } finally {
      client.close();
    }
  });

  it("an unreachable token endpoint is UNAVAILABLE and names it", async () => {
    const client = createIgniteClient({
      endpoint: emu.grpcEndpoint,
      serviceAccount: { clientId: "ci-deployer", clientSecret: SECRET, tokenUrl: "http://127.0.0.1:1/oidc/token" },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const err = (await client.getApp({ organizationName: "acme-corp", appName: "x" }).catch((e: unknown) => e)) as IgniteError;
      expect(err.code).toBe(Code.Unavailable);
      expect(err.message).toContain("http://127.0.0.1:1/oidc/token");
      expect(err.message).not.toContain(SECRET);
    } finally {
      client.close();
    }
  });
});
