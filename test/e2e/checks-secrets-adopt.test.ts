// Secrets stay out of state and output; an existing app is adopted without being recreated,
// since `pulumi import` cannot do it. (Bad inputs failing at preview: preview-failures.test.ts,
// the table of preview-cases.ts.)
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, sdkVersion, type Workspace } from "./harness.js";

const STEP = 240_000;

// What `pulumi import` of a dynamic resource fails with, by SDK (docs/resources.md quotes both):
// the dynamic provider's read runs without the serialized provider.
const IMPORT_FAILURE = sdkVersion.startsWith("3.248.")
  ? "Cannot read properties of undefined (reading 'toJavaScript')"
  : "code must be a string, not undefined";

describe("secrets and adoption, end to end", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await createWorkspace();
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("secret env values, the token and the endpoint never appear in plaintext state, also with a health check calling the app; __provider is tiny", async () => {
    const dir = ws.project(
      "secrets",
      [
        `import * as pulumi from "@pulumi/pulumi";`,
        `import * as ignite from "pulumi-ignite";`,
        `const cfg = new pulumi.Config();`,
        `const app = new ignite.App("vault", { env: { PLAIN: "visible", API_KEY: cfg.requireSecret("apiKey") } });`,
        `const draft = new ignite.Draft("vault", { app, code: "./app" });`,
        // The health check calls the public URL with the provider's token (issue 10).
        `new ignite.PublishedVersion("vault", { app, codeHash: draft.codeHash, healthCheck: { expectBodyContains: "ok" } });`,
        `export const env = app.env;`,
      ].join("\n"),
    );
    fs.mkdirSync(path.join(dir, "app"));
    fs.writeFileSync(path.join(dir, "app", "handler.py"), `def handler(payload, ctx):\n    return {"ok": True}\n`);
    await ws.initStack(dir);
    const apiKey = "sk-live-7d2f0c9a1b3e4f5a";
    await ws.ok(dir, ["config", "set", "--secret", "apiKey"], apiKey);
    const up = await ws.ok(dir, ["up", "--yes"]);
    expect(up.all).toMatch(/acme-corp\/vault version 1 is healthy/);
    expect(up.all).not.toContain(apiKey);
    expect(up.all).not.toContain(ws.ignite.token);
    // The platform got the real value.
    expect((await ws.client.getApp({ organizationName: "acme-corp", appName: "vault" })).app?.env.API_KEY).toBe(apiKey);

    const exported = (await ws.ok(dir, ["stack", "export"])).stdout;
    expect(exported).not.toContain(apiKey);
    expect(exported).not.toContain(ws.ignite.token);

    const state = JSON.parse((await ws.ok(dir, ["stack", "export", "--show-secrets"])).stdout);
    for (const r of state.deployment.resources as { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[]) {
      const text = JSON.stringify(r);
      if (r.type === "pulumi:providers:pulumi-nodejs") continue; // the engine's own record of the stack config (see docs/resources.md)
      expect(text, r.type).not.toContain(ws.ignite.token);
      const provider = r.inputs?.__provider as string | undefined;
      if (provider) {
        // The package is installed under node_modules: the provider is a require of its module (issue 11).
        expect(provider).toMatch(/require\("pulumi-ignite\/(dist\/)?resources\/shims\//);
        expect(provider.length).toBeLessThan(400);
        expect(provider).not.toContain(ws.ignite.grpcEndpoint);
        expect(provider).not.toMatch(/DODIL|ign_/);
      }
    }
    await ws.ok(dir, ["destroy", "--yes"]);
  }, STEP);

  it("a service account's secret and its access tokens never appear in state or output, even with --show-secrets", async () => {
    // The health check calls the app with the service account's access token (issue 10).
    const dir = ws.project(
      "service-account",
      [
        `import * as ignite from "pulumi-ignite";`,
        `const app = new ignite.App("svc", {});`,
        `const draft = new ignite.Draft("svc", { app, code: "./app" });`,
        `new ignite.PublishedVersion("svc", { app, codeHash: draft.codeHash, healthCheck: {} });`,
        `export const appId = app.appId;`,
      ].join("\n"),
    );
    fs.mkdirSync(path.join(dir, "app"));
    fs.writeFileSync(path.join(dir, "app", "handler.py"), `def handler(payload, ctx):\n    return {"ok": True}\n`);
    await ws.ok(dir, ["stack", "init", "test"]);
    await ws.ok(dir, ["config", "set", "ignite:endpoint", ws.ignite.grpcEndpoint]);
    await ws.ok(dir, ["config", "set", "ignite:organization", ws.ignite.org]);
    const secret = ws.ignite.clientSecret;
    // Credentials from the environment: the engine never sees them.
    Object.assign(ws.env, { DODIL_CLIENT_ID: ws.ignite.clientId, DODIL_CLIENT_SECRET: secret, DODIL_TOKEN_URL: ws.ignite.tokenUrl });
    try {
      const up = await ws.ok(dir, ["up", "--yes"]);
      expect(up.all).toContain("created");
      expect(up.all).toMatch(/acme-corp\/svc version 1 is healthy/);
      expect(up.all).not.toContain(secret);
      expect(up.all).not.toMatch(/eyJ[\w-]+\.eyJ/);
      const everything = (await ws.ok(dir, ["stack", "export", "--show-secrets"])).stdout;
      expect(everything).not.toContain(secret);
      expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT access token anywhere, provider record included

      // The same secret from stack config: encrypted at rest, absent from every resource but
      // the engine's own record of the config it handed the dynamic provider.
      delete ws.env.DODIL_CLIENT_SECRET;
      await ws.ok(dir, ["config", "set", "--secret", "ignite:clientSecret"], secret);
      await ws.ok(dir, ["config", "set", "ignite:clientId", ws.ignite.clientId]);
      await ws.ok(dir, ["config", "set", "--plaintext", "ignite:tokenUrl", ws.ignite.tokenUrl]); // "token" in the name makes pulumi ask
      const again = await ws.ok(dir, ["up", "--yes"]);
      expect(again.all).not.toContain(secret);
      expect((await ws.ok(dir, ["stack", "export"])).stdout).not.toContain(secret);
      const state = JSON.parse((await ws.ok(dir, ["stack", "export", "--show-secrets"])).stdout);
      for (const r of state.deployment.resources as { type: string }[]) {
        if (r.type === "pulumi:providers:pulumi-nodejs") continue;
        expect(JSON.stringify(r), r.type).not.toContain(secret);
      }
      await ws.ok(dir, ["destroy", "--yes"]);
    } finally {
      for (const k of ["DODIL_CLIENT_ID", "DODIL_CLIENT_SECRET", "DODIL_TOKEN_URL"]) delete ws.env[k];
    }
  }, STEP);

  it("an existing app is refused without adopt, then adopted with adopt: true (UpdateAppConfig, never CreateApp)", async () => {
    await ws.client.createApp({ organizationName: "acme-corp", name: "legacy", description: "made by hand" });
    const dir = ws.project(
      "adopt",
      [
        `import * as pulumi from "@pulumi/pulumi";`,
        `import * as ignite from "pulumi-ignite";`,
        `const adopt = new pulumi.Config().getBoolean("adopt") ?? false;`,
        `new ignite.App("legacy", { description: "managed now", scaling: { maxReplicas: 2 }, adopt });`,
      ].join("\n"),
    );
    await ws.initStack(dir);
    await ws.resetCalls();
    const refused = await ws.pulumi(dir, ["up", "--yes"]);
    expect(refused.code).not.toBe(0);
    // Issue 9: refused by the preview `up` runs first, before anything is created, with the
    // risk and the choices rather than only "set adopt: true".
    expect(refused.all).toMatch(/property name value \{legacy\} has a problem: app acme-corp\/legacy already exists on the platform, and this stack does not manage it/);
    expect(refused.all).toMatch(/may belong to another stack.*another `name`.*`adopt: true`/);
    expect(mutations(await ws.calls())).toEqual({});

    await ws.ok(dir, ["config", "set", "adopt", "true"]);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1 });
    const app = (await ws.client.getApp({ organizationName: "acme-corp", appName: "legacy" })).app!;
    expect(app.description).toBe("managed now");
    expect(app.scaling?.maxReplicas).toBe(2);
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("a replacement the engine forces (pulumi up --replace) deletes the app first instead of calling it someone else's (issue 9)", async () => {
    const dir = ws.project("replace", `import * as ignite from "pulumi-ignite";\nexport const urn = new ignite.App("again", { description: "replace me" }).urn;\n`);
    await ws.initStack(dir);
    await ws.ok(dir, ["up", "--yes"]);
    const urn = JSON.parse((await ws.ok(dir, ["stack", "output", "--json"])).stdout).urn as string;
    await ws.resetCalls();
    const r = await ws.ok(dir, ["up", "--yes", "--replace", urn]);
    expect(r.all).not.toMatch(/not managed by this stack|already exists/);
    expect(mutations(await ws.calls())).toEqual({ DeleteApp: 1, CreateApp: 1 });
    expect((await ws.client.getApp({ organizationName: "acme-corp", appName: "again" })).app?.description).toBe("replace me");
    await ws.ok(dir, ["destroy", "--yes"]);
  }, STEP);

  it(`pulumi import of an App fails on @pulumi/pulumi ${sdkVersion} with the message the docs quote, and imports nothing`, async () => {
    await ws.client.createApp({ organizationName: "acme-corp", name: "elsewhere", description: "made by hand" });
    const dir = ws.project("import", `import * as ignite from "pulumi-ignite";\nexport const kind = typeof ignite.App;\n`);
    await ws.initStack(dir);
    await ws.ok(dir, ["up", "--yes"]);
    await ws.resetCalls();
    const r = await ws.pulumi(dir, ["import", "pulumi-nodejs:dynamic/ignite:App", "elsewhere", "acme-corp/elsewhere", "--yes"]);
    expect(r.code, r.all).not.toBe(0);
    expect(r.all).toContain(IMPORT_FAILURE);
    expect(mutations(await ws.calls())).toEqual({});
    const state = JSON.parse((await ws.ok(dir, ["stack", "export"])).stdout);
    expect((state.deployment.resources ?? []).map((res: { type: string }) => res.type)).not.toContain("pulumi-nodejs:dynamic/ignite:App");
  }, STEP);
});
