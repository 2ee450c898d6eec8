// Errors and routes the contract promises (docs/contract.md; issue 12): FAILED_PRECONDITION is
// HTTP 400 on every surface, a header HTTP cannot carry is INVALID_ARGUMENT naming
// `http.headers`, update_mask takes proto names over HTTP, the public URL caps request bodies
// as the gateway does, a known route asked with another verb is 405, the stats range is
// validated, a toolchain pin is validated, and an execution of a `public`-org app is only
// readable by the org that invoked it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus, ResourceTier, RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { Conn, eventually, hostOf, httpCall, rawExchange, request, startLocal, type Local } from "../support/local-ignite";

let local: Local;
const ORG = "acme-corp";
const CAP = 4096;

beforeAll(async () => {
  local = await startLocal({}, { maxRequestBytes: CAP });
});
afterAll(async () => local?.stop());

const auth = (token = local.emu.token) => ({ authorization: `Bearer ${token}` });
const code = (c: Code) => (e: unknown) => e instanceof ConnectError && e.code === c;

describe("FAILED_PRECONDITION is HTTP 400 everywhere", () => {
  it("Invoke and InvokeAsync of an unpublished app answer 400 over HTTP and FAILED_PRECONDITION over gRPC", async () => {
    await local.client.createApp({ organizationName: ORG, name: "unpublished", runtime: 1 });
    for (const path of ["invoke", "invoke-async"]) {
      const res = await httpCall(local.emu.port, { path: `/v1/ignite/app/${ORG}/unpublished/${path}`, headers: auth(), body: "{}" });
      expect(res.status, `${path}: ${res.body}`).toBe(400);
      expect(JSON.parse(res.body.toString()).code).toBe(Code.FailedPrecondition);
    }
    const stream = async () => {
      for await (const _ of local.client.invoke({ organizationName: ORG, appName: "unpublished" })) void _;
    };
    await expect(stream()).rejects.toSatisfy(code(Code.FailedPrecondition));
  });
});

describe("the invocation envelope", () => {
  it("a header HTTP cannot carry is INVALID_ARGUMENT naming http.headers, not INTERNAL", async () => {
    await local.deploy("enveloped", { "handler.py": "def handler(p, c):\n    return 'ok'\n" });
    for (const headers of [{ "bad header": "x" }, { "x-ok": "line\nbreak" }] as Record<string, string>[]) {
      const stream = async () => {
        for await (const _ of local.client.invoke({ organizationName: ORG, appName: "enveloped", http: { headers } })) void _;
      };
      const err = await stream().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toContain("http.headers");
    }
  });
});

describe("UpdateAppConfig over HTTP", () => {
  it("accepts proto field names in updateMask (scaling.scaledown_period_secs, resource_tier, health_path) as contract.md says", async () => {
    await local.client.createApp({ organizationName: ORG, name: "masked", runtime: 1 });
    const patch = (body: object) =>
      httpCall(local.emu.port, { method: "PATCH", path: `/v1/ignite/app/${ORG}/masked/config`, headers: auth(), body: JSON.stringify(body) });
    let res = await patch({ updateMask: "scaling.scaledown_period_secs,resource_tier,health_path", scaling: { scaledownPeriodSecs: 120 }, resourceTier: "RESOURCE_TIER_LARGE", healthPath: "/healthz" });
    expect(res.status, res.body.toString()).toBe(200);
    res = await patch({ updateMask: { paths: ["description"] }, description: "object form" });
    expect(res.status, res.body.toString()).toBe(200);
    const app = (await local.client.getApp({ organizationName: ORG, appName: "masked" })).app!;
    expect(app.scaling!.scaledownPeriodSecs).toBe(120);
    expect(app.resourceTier).toBe(ResourceTier.LARGE);
    expect(app.healthPath).toBe("/healthz");
    expect(app.description).toBe("object form");
  });
});

describe("the public URL's request cap (the gateway's --max-request-bytes)", () => {
  let host: string;
  beforeAll(async () => {
    host = hostOf((await local.deploy("capped", { "handler.py": "def handler(p, c):\n    return {'n': len(p)}\n" })).publicUrls[0]!);
  });

  it("answers 413 for a declared body above the cap, and serves one at the cap", async () => {
    const ok = await httpCall(local.emu.port, { host, headers: auth(), body: "x".repeat(CAP) });
    expect(JSON.parse(ok.body.toString())).toEqual({ n: CAP });
    const big = await httpCall(local.emu.port, { host, headers: auth(), body: "x".repeat(CAP + 1) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body.toString())).toMatchObject({ code: Code.ResourceExhausted });
    expect(JSON.parse(big.body.toString()).message).toContain(`${CAP}-byte limit`);
  });

  it("answers 413 for a chunked body that grows past the cap, through the relay and on the http server path", async () => {
    for (const version of ["HTTP/1.1", "HTTP/1.0"]) {
      const { text: answer } = await rawExchange(
        local.emu.port,
        [`POST / ${version}\r\nHost: ${host}\r\nAuthorization: Bearer ${local.emu.token}\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `${(CAP).toString(16)}\r\n${"y".repeat(CAP)}\r\n10\r\n${"y".repeat(16)}\r\n0\r\n\r\n`],
      );
      expect(answer, version).toMatch(/^HTTP\/1\.[01] 413 /);
    }
  });

  it("answers 413 on a connection handed to the pod, as the relay would", async () => {
    const conn = new Conn(local.emu.port);
    conn.send(request(host, "{}", { auth: local.emu.token }));
    expect((await conn.read())!.status).toBe(200);
    await eventually(async () => {
      const pods = JSON.parse((await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" })).body.toString()).pods as Array<{ app: string; handedConnections: number }>;
      return pods.some((p) => p.app === `${ORG}/capped` && p.handedConnections === 1) || undefined;
    }, "the pod to hold the connection");
    conn.send(request(host, "z".repeat(CAP + 10), { auth: local.emu.token }));
    const answer = (await conn.read())!;
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).message).toContain(`${CAP}-byte limit`);
  });
});

describe("routes", () => {
  it("a known route asked with another verb is 405 with Allow; an unknown one 404", async () => {
    const res = await httpCall(local.emu.port, { method: "DELETE", path: "/v1/ignite/executions/exec_x", headers: auth() });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET");
    const invoke = await httpCall(local.emu.port, { method: "GET", path: `/v1/ignite/app/${ORG}/capped/invoke`, headers: auth() });
    expect(invoke.status).toBe(405);
    expect(invoke.headers.allow).toBe("POST");
    expect((await httpCall(local.emu.port, { method: "GET", path: "/v1/ignite/nothing-here", headers: auth() })).status).toBe(404);
  });

  it("GetExecutionStats with start after end is INVALID_ARGUMENT", async () => {
    await expect(
      local.client.getExecutionStats({ organizationName: ORG, appName: "capped", startTimeMs: 2_000_000n, endTimeMs: 1_000_000n }),
    ).rejects.toSatisfy(code(Code.InvalidArgument));
  });

  it("a Rust toolchain pin that is no toolchain is INVALID_ARGUMENT naming the field", async () => {
    await local.client.createApp({ organizationName: ORG, name: "pinned", runtime: 2 });
    const err = await local.client
      .saveDraft({
        organizationName: ORG,
        appName: "pinned",
        code: { source: { case: "compile", value: { runtime: { runtime: { case: "rust", value: { target: RustTarget.NATIVE, toolchain: "latest; rm -rf" } } }, input: { case: "sourceCode", value: Buffer.from("") } } } },
      })
      .catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("code.compile.runtime.rust.toolchain");
  });
});

describe("executions of public-org apps", () => {
  it("are readable by the org that invoked them (and the public org), not by every org", async () => {
    const publicToken = await local.emu.tokenFor("public");
    await local.deploy("shared", { "handler.py": "def handler(p, c):\n    return 'shared'\n" }, { organizationName: "public" }, publicToken);
    const { executionId } = await local.client.invokeAsync({ organizationName: "public", appName: "shared" });
    await eventually(async () => ((await local.client.getExecution({ executionId })).execution!.status === ExecutionStatus.COMPLETED) || undefined, "the execution");
    const other = local.clientFor(await local.emu.tokenFor("other-org"));
    await expect(other.getExecution({ executionId })).rejects.toSatisfy(code(Code.PermissionDenied));
    expect((await local.clientFor(publicToken).getExecution({ executionId })).execution!.id).toBe(executionId);
  });
});
