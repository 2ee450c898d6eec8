// Connection settings: ignite:* config keys win over env fallbacks; defaults; clear errors.
import { describe, expect, it } from "vitest";
import { resolveConnection } from "../../src/client/config.js";
import { defaultOrganization } from "../../src/client/settings.js";

const cfg = (values: Record<string, string>) => ({ get: (k: string) => values[k] });

describe("resolveConnection", () => {
  it("defaults the endpoint to staging and reads a token", () => {
    expect(resolveConnection(cfg({ "ignite:token": "t" }), {})).toEqual({
      endpoint: "rpc.dev.dodil.io:443",
      token: "t",
      timeoutMs: 30_000,
      sources: expect.objectContaining({ "ignite:token": { key: "ignite:token", from: "config" }, "ignite:endpoint": { key: "ignite:endpoint", from: "default" } }),
    });
  });

  const table: Array<[string, Record<string, string>, NodeJS.ProcessEnv, Record<string, unknown>]> = [
    ["config wins over env", { "ignite:token": "cfg", "ignite:endpoint": "a:1" }, { DODIL_TOKEN: "env", DODIL_IGNITE_ENDPOINT: "b:2" }, { token: "cfg", endpoint: "a:1" }],
    ["env fills gaps", {}, { DODIL_TOKEN: "env", DODIL_IGNITE_ENDPOINT: "b:2", DODIL_ORG: "acme-corp" }, { token: "env", endpoint: "b:2", organization: "acme-corp" }],
    ["IGNITE_GRPC is the second endpoint fallback", {}, { DODIL_TOKEN: "t", IGNITE_GRPC: "c:3" }, { endpoint: "c:3" }],
    ["DODIL_IGNITE_ENDPOINT beats IGNITE_GRPC", {}, { DODIL_TOKEN: "t", IGNITE_GRPC: "c:3", DODIL_IGNITE_ENDPOINT: "d:4" }, { endpoint: "d:4" }],
    ["empty config values count as unset", { "ignite:token": "" }, { DODIL_TOKEN: "env" }, { token: "env" }],
    ["insecure from config", { "ignite:token": "t", "ignite:insecure": "true", "ignite:endpoint": "http://10.1.1.1:7700" }, {}, { insecure: true }],
    ["insecure from env", { "ignite:token": "t" }, { DODIL_IGNITE_INSECURE: "1" }, { insecure: true }],
    ["organization from config", { "ignite:token": "t", "ignite:organization": "acme-corp" }, { DODIL_ORG: "other" }, { organization: "acme-corp" }],
    [
      "service account with default token URL",
      { "ignite:clientId": "ci", "ignite:clientSecret": "sec" },
      {},
      { serviceAccount: { clientId: "ci", clientSecret: "sec", tokenUrl: "https://id.dev.dodil.io/realms/dodil/protocol/openid-connect/token" } },
    ],
    [
      "service account from env with token URL",
      {},
      { DODIL_CLIENT_ID: "ci", DODIL_CLIENT_SECRET: "sec", DODIL_TOKEN_URL: "http://127.0.0.1:1/oidc/token" },
      { serviceAccount: { clientId: "ci", clientSecret: "sec", tokenUrl: "http://127.0.0.1:1/oidc/token" } },
    ],
  ];
  it.each(table)("%s", (_name, values, env, expected) => {
    expect(resolveConnection(cfg(values), env)).toMatchObject(expected);
  });

  it("prefers a token over a service account", () => {
    const r = resolveConnection(cfg({ "ignite:token": "t", "ignite:clientId": "ci", "ignite:clientSecret": "s" }), {});
    expect(r.token).toBe("t");
    expect(r.serviceAccount).toBeUndefined();
  });

  it("says how to authenticate when nothing does", () => {
    expect(() => resolveConnection(cfg({}), {})).toThrow(/pulumi config set --secret ignite:token .*DODIL_TOKEN.*service account/);
  });

  it("names the missing half of a service account", () => {
    expect(() => resolveConnection(cfg({ "ignite:clientId": "ci" }), {})).toThrow(/ignite:clientSecret is not/);
    expect(() => resolveConnection(cfg({}), { DODIL_CLIENT_SECRET: "s" })).toThrow(/ignite:clientId is not/);
  });

  it("never puts the secret into its errors", () => {
    try {
      resolveConnection(cfg({ "ignite:clientSecret": "hunter2-secret" }), {});
    } catch (e) {
      expect(String(e)).not.toContain("hunter2-secret");
    }
  });

  it("rejects an unparsable insecure flag and an unsafe endpoint at configure time", () => {
    expect(() => resolveConnection(cfg({ "ignite:token": "t", "ignite:insecure": "maybe" }), {})).toThrow(/ignite:insecure must be true or false/);
    expect(() => resolveConnection(cfg({ "ignite:token": "t", "ignite:endpoint": "http://rpc.example.com" }), {})).toThrow(/insecure/);
  });

  it("reads ignite:protocol / DODIL_IGNITE_PROTOCOL; http defaults the endpoint to the HTTP gateway", () => {
    expect(resolveConnection(cfg({ "ignite:token": "t", "ignite:protocol": "http" }), {})).toMatchObject({ endpoint: "https://api.dev.dodil.io", protocol: "http", token: "t" });
    expect(resolveConnection(cfg({ "ignite:token": "t" }), { DODIL_IGNITE_PROTOCOL: "HTTP" })).toMatchObject({ protocol: "http" });
    expect(resolveConnection(cfg({ "ignite:token": "t", "ignite:protocol": "grpc" }), { DODIL_IGNITE_PROTOCOL: "http" })).toMatchObject({
      endpoint: "rpc.dev.dodil.io:443",
      protocol: "grpc",
      token: "t",
    });
    // An explicit endpoint is kept as given.
    expect(resolveConnection(cfg({ "ignite:token": "t", "ignite:protocol": "http", "ignite:endpoint": "127.0.0.1:7700" }), {})).toMatchObject({ endpoint: "127.0.0.1:7700" });
  });

  it("does not guess the protocol from an api. endpoint", () => {
    const r = resolveConnection(cfg({ "ignite:token": "t", "ignite:endpoint": "https://api.dev.dodil.io" }), {});
    expect(r.protocol).toBeUndefined();
  });

  it("rejects an unknown protocol at configure time", () => {
    expect(() => resolveConnection(cfg({ "ignite:token": "t", "ignite:protocol": "rest" }), {})).toThrow(/ignite:protocol must be "grpc" or "http"; got "rest" from stack config `ignite:protocol`/);
    expect(() => resolveConnection(cfg({ "ignite:token": "t" }), { DODIL_IGNITE_PROTOCOL: "h2" })).toThrow(
      /ignite:protocol must be "grpc" or "http"; got "h2" from environment variable DODIL_IGNITE_PROTOCOL/,
    );
  });

  it("reads the per-call deadline from ignite:timeoutSecs / DODIL_IGNITE_TIMEOUT_SECS, and refuses what is not a duration", () => {
    expect(resolveConnection(cfg({ "ignite:token": "t", "ignite:timeoutSecs": "5" }), {}).timeoutMs).toBe(5_000);
    expect(resolveConnection(cfg({ "ignite:token": "t" }), { DODIL_IGNITE_TIMEOUT_SECS: "0.5" }).timeoutMs).toBe(500);
    for (const bad of ["0", "-1", "abc", "10s", "4000"]) {
      expect(() => resolveConnection(cfg({ "ignite:token": "t", "ignite:timeoutSecs": bad }), {})).toThrow(
        /ignite:timeoutSecs must be a number of seconds greater than 0 \(at most 3600\); got .* from stack config `ignite:timeoutSecs`/,
      );
    }
  });

  it("says where a bad endpoint or boolean came from", () => {
    expect(() => resolveConnection(cfg({ "ignite:token": "t" }), { DODIL_IGNITE_INSECURE: "maybe" })).toThrow(
      /ignite:insecure must be true or false; got "maybe" from environment variable DODIL_IGNITE_INSECURE/,
    );
    expect(() => resolveConnection(cfg({ "ignite:token": "t", "ignite:endpoint": "ftp://x:1" }), {})).toThrow(/\(from stack config `ignite:endpoint`\)/);
  });

  it("works with the dynamic provider's config shape (full namespace:key names)", () => {
    const raw: Record<string, string> = { "ignite:token": "t", "ignite:organization": "acme-corp", "proj:other": "x" };
    // Same lookup rule as @pulumi/pulumi's dynamic-provider Config.get.
    const providerConfig = { get: (key: string) => raw[key.includes(":") ? key : `proj:${key}`] };
    expect(resolveConnection(providerConfig, {})).toMatchObject({ token: "t", organization: "acme-corp" });
  });
});

// Issue 14: the program, the provider's check and the connection settings read the default
// organization through one rule; the resolver and resolveConnection must agree on every case.
describe("defaultOrganization", () => {
  const cases: Array<[string, Record<string, string>, NodeJS.ProcessEnv, string | undefined]> = [
    ["config wins over DODIL_ORG", { "ignite:organization": "acme-corp" }, { DODIL_ORG: "other" }, "acme-corp"],
    ["DODIL_ORG fills the gap", {}, { DODIL_ORG: "other" }, "other"],
    ["an empty config value counts as unset", { "ignite:organization": "" }, { DODIL_ORG: "other" }, "other"],
    ["an empty DODIL_ORG counts as unset", {}, { DODIL_ORG: "" }, undefined],
    ["neither gives none", {}, {}, undefined],
  ];
  it.each(cases)("%s, as resolveConnection does", (_name, values, env, expected) => {
    expect(defaultOrganization(cfg(values), env)).toBe(expected);
    expect(resolveConnection(cfg({ ...values, "ignite:token": "t" }), env).organization).toBe(expected);
  });
});
