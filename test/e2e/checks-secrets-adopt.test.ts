// Bad inputs fail at preview naming the property; secrets stay out of state and output; an
// existing app is adopted without being recreated, since `pulumi import` cannot do it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, sdkVersion, type Workspace } from "./harness.js";

const STEP = 240_000;

// One resource per rule; `pulumi config set case <n>` picks which one the program declares.
// What `pulumi import` of a dynamic resource fails with, by SDK (docs/resources.md quotes both):
// the dynamic provider's read runs without the serialized provider.
const IMPORT_FAILURE = sdkVersion.startsWith("3.248.")
  ? "Cannot read properties of undefined (reading 'toJavaScript')"
  : "code must be a string, not undefined";

const BAD_CASES: [string, string, string][] = [
  ["name", `new ignite.App("a", { name: "Not_A_Label" })`, "name"],
  ["runtime", `new ignite.App("a", { runtime: "java" as any })`, "runtime"],
  ["tier", `new ignite.App("a", { resourceTier: "huge" as any })`, "resourceTier"],
  ["metric", `new ignite.App("a", { scaling: { scaleMetric: "CPU" as any } })`, "scaling.scaleMetric"],
  ["negative", `new ignite.App("a", { scaling: { maxReplicas: -1 } })`, "scaling.maxReplicas"],
  ["reserved", `new ignite.App("a", { scaling: { reservedCapacity: 4, maxReplicas: 2 } })`, "scaling.reservedCapacity"],
  ["scaledown", `new ignite.App("a", { scaling: { scaledownPeriodSecs: 10 } })`, "scaling.scaledownPeriodSecs"],
  ["code", `new ignite.Draft("d", { app: "acme-corp/a", code: "./no-such-dir" })`, "code"],
  ["rust", `new ignite.Draft("d", { app: "acme-corp/a", code: "./index.ts", rust: {} as any })`, "rust.target"],
  ["version", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "sha256:${"0".repeat(64)}", version: 0 })`, "version"],
];

describe("inputs, secrets and adoption, end to end", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await createWorkspace();
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("each check rule fails at preview, naming the property and making no mutating platform call", async () => {
    const program = [
      `import * as pulumi from "@pulumi/pulumi";`,
      `import * as ignite from "pulumi-ignite";`,
      `const which = new pulumi.Config().require("case");`,
      ...BAD_CASES.map(([id, code]) => `if (which === "${id}") ${code};`),
    ].join("\n");
    const dir = ws.project("checks", program);
    await ws.initStack(dir);
    await ws.resetCalls();
    for (const [id, , property] of BAD_CASES) {
      await ws.ok(dir, ["config", "set", "case", id]);
      const r = await ws.pulumi(dir, ["preview"]);
      expect(r.code, id).not.toBe(0);
      expect(r.all, id).toContain(property);
      expect(r.all, id).toMatch(/`/); // the message quotes the property and the fix
    }
    expect(mutations(await ws.calls())).toEqual({});
  }, STEP * 2);

  it("secret env values, the token and the endpoint never appear in plaintext state; __provider is tiny", async () => {
    const dir = ws.project(
      "secrets",
      [
        `import * as pulumi from "@pulumi/pulumi";`,
        `import * as ignite from "pulumi-ignite";`,
        `const cfg = new pulumi.Config();`,
        `const app = new ignite.App("vault", { env: { PLAIN: "visible", API_KEY: cfg.requireSecret("apiKey") } });`,
        `export const env = app.env;`,
      ].join("\n"),
    );
    await ws.initStack(dir);
    const apiKey = "sk-live-7d2f0c9a1b3e4f5a";
    await ws.ok(dir, ["config", "set", "--secret", "apiKey"], apiKey);
    const up = await ws.ok(dir, ["up", "--yes"]);
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
        expect(provider.length).toBeLessThan(4000);
        expect(provider).not.toContain(ws.ignite.grpcEndpoint);
        expect(provider).not.toMatch(/DODIL|ign_/);
      }
    }
    await ws.ok(dir, ["destroy", "--yes"]);
  }, STEP);

  it("a service account's secret and its access tokens never appear in state or output, even with --show-secrets", async () => {
    const dir = ws.project("service-account", `import * as ignite from "pulumi-ignite";\nexport const appId = new ignite.App("svc", {}).appId;\n`);
    await ws.ok(dir, ["stack", "init", "test"]);
    await ws.ok(dir, ["config", "set", "ignite:endpoint", ws.ignite.grpcEndpoint]);
    await ws.ok(dir, ["config", "set", "ignite:organization", ws.ignite.org]);
    const secret = ws.ignite.clientSecret;
    // Credentials from the environment: the engine never sees them.
    Object.assign(ws.env, { DODIL_CLIENT_ID: ws.ignite.clientId, DODIL_CLIENT_SECRET: secret, DODIL_TOKEN_URL: ws.ignite.tokenUrl });
    try {
      const up = await ws.ok(dir, ["up", "--yes"]);
      expect(up.all).toContain("created");
      expect(up.all).not.toContain(secret);
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
    const refused = await ws.pulumi(dir, ["up", "--yes"]);
    expect(refused.code).not.toBe(0);
    expect(refused.all).toMatch(/already exists on the platform.*`adopt: true`/);

    await ws.ok(dir, ["config", "set", "adopt", "true"]);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1 });
    const app = (await ws.client.getApp({ organizationName: "acme-corp", appName: "legacy" })).app!;
    expect(app.description).toBe("managed now");
    expect(app.scaling?.maxReplicas).toBe(2);
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
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
