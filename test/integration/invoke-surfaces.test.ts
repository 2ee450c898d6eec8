// The three invocation surfaces of the API reference (seed 002) and the execution queries:
// the direct public URL (Bearer + org match, public org, allow_unauthenticated with CORS),
// Invoke's frame order over gRPC and as one chunked HTTP response with trailers, and
// InvokeAsync / GetExecution / WatchExecution / GetExecutionStats.
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { exampleFiles, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";

let local: Local;
let greetUrl: string;
const ORG = "acme-corp";
// Async on purpose: the local Ignite runs in this process, so a blocking exec would deadlock it.
const run = async (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => (await promisify(execFile)(cmd, args, { env, timeout: 60_000 })).stdout;

// Seed 001's handler, as the greet example ships it.
const GREET = exampleFiles("greet", "handler.py");

beforeAll(async () => {
  local = await startLocal();
  greetUrl = (await local.deploy("greet", GREET)).publicUrls[0]!;
});
afterAll(async () => local?.stop());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const denied = (code: Code) => (e: unknown) => e instanceof ConnectError && e.code === code;

describe("direct public URL", () => {
  it("is <app>-<org>.<domain>:<port> and returns the pod's raw response for any path and verb", async () => {
    expect(greetUrl).toBe(`http://greet-acme-corp.ignite.localhost:${local.emu.port}`);
    const res = await httpCall(local.emu.port, {
      host: hostOf(greetUrl),
      path: "/any/path?x=1",
      method: "PUT",
      headers: { ...auth(local.emu.token), "content-type": "application/json" },
      body: '{"name": "Ada"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const out = JSON.parse(res.body.toString());
    expect(out).toMatchObject({ greeting: "Hello, Ada!", function_id: "acme-corp/greet" });
    expect(out.execution_id).toMatch(/^exec_/);
  });

  it("works with curl exactly as the pages write it (*.localhost resolves to loopback)", async () => {
    expect(spawnSync("curl", ["--version"]).status, "this test runs curl; install it (apt-get install curl)").toBe(0);
    for (const args of [
      [greetUrl + "/"],
      ["-H", `Host: ${hostOf(greetUrl)}`, `http://127.0.0.1:${local.emu.port}/`],
    ]) {
      const out = await run("curl", [
        "-sS", "-X", "POST", ...args,
        "-H", `Authorization: Bearer ${local.emu.token}`,
        "-H", "Content-Type: application/json",
        "-d", '{ "name": "Grace" }',
      ]);
      expect(JSON.parse(out).greeting).toBe("Hello, Grace!");
    }
  });

  it("requires a Bearer token and an org match", async () => {
    const host = hostOf(greetUrl);
    expect((await httpCall(local.emu.port, { host })).status).toBe(401);
    const other = await local.emu.tokenFor("other-org");
    const res = await httpCall(local.emu.port, { host, headers: auth(other) });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString()).message).toContain("other-org");
  });

  it("lets any authenticated caller invoke an app of the public org", async () => {
    const publicToken = await local.emu.tokenFor("public");
    const app = await local.deploy("hello", { "handler.py": "def handler(p, c):\n    return 'hi'\n" }, { organizationName: "public" }, publicToken);
    expect((await httpCall(local.emu.port, { host: hostOf(app.publicUrls[0]!), headers: auth(local.emu.token) })).body.toString()).toBe("hi");
    expect((await httpCall(local.emu.port, { host: hostOf(app.publicUrls[0]!) })).status).toBe(401);
  });

  it("serves allow_unauthenticated apps anonymously and CORS-open, answering preflights", async () => {
    const app = await local.deploy("open", { "handler.py": "def handler(p, c):\n    return {'open': True}\n" }, { allowUnauthenticated: true });
    const host = hostOf(app.publicUrls[0]!);
    const res = await httpCall(local.emu.port, { host, headers: { origin: "https://example.com" } });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    const preflight = await httpCall(local.emu.port, {
      host,
      method: "OPTIONS",
      headers: { origin: "https://example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
    expect(preflight.headers["access-control-allow-methods"]).toContain("POST");
    expect(preflight.headers["access-control-allow-headers"]).toBe("content-type");
  });

  it("answers 404 for a host no app serves", async () => {
    expect((await httpCall(local.emu.port, { host: `nope-acme-corp.ignite.localhost`, headers: auth(local.emu.token) })).status).toBe(404);
  });
});

describe("Invoke", () => {
  it("streams head, then chunks, then the trailer over gRPC; the id reaches the pod", async () => {
    const frames = [];
    for await (const f of local.client.invoke({
      organizationName: ORG,
      appName: "greet",
      http: { method: 2, path: "/", headers: { "content-type": "application/json" } },
      body: Buffer.from('{"name": "Ada"}'),
    })) frames.push(f.frame);
    expect(frames[0]!.case).toBe("head");
    expect(frames.at(-1)!.case).toBe("trailer");
    expect(frames.slice(1, -1).every((f) => f.case === "chunk")).toBe(true);
    const head = frames[0]!.value as { statusCode: number; executionId: string };
    const body = Buffer.concat(frames.filter((f) => f.case === "chunk").map((f) => Buffer.from((f.value as { data: Uint8Array }).data)));
    const trailer = frames.at(-1)!.value as { totalBodyBytes: bigint; durationMs: bigint };
    expect(head.statusCode).toBe(200);
    expect(JSON.parse(body.toString()).execution_id).toBe(head.executionId);
    expect(trailer.totalBodyBytes).toBe(BigInt(body.length));
    expect(trailer.durationMs).toBeGreaterThanOrEqual(0n);
    // Invoke creates no record: GetExecution does not find its id.
    await expect(local.client.getExecution({ executionId: head.executionId })).rejects.toSatisfy(denied(Code.NotFound));
  });

  it("is one chunked HTTP response over the gateway, with X-Ignite-Execution-Id and trailers", async () => {
    const res = await httpCall(local.emu.port, {
      path: `/v1/ignite/app/${ORG}/greet/invoke`,
      headers: { ...auth(local.emu.token), "content-type": "application/json" },
      body: JSON.stringify({
        http: { method: "HTTP_METHOD_POST", path: "/", headers: { "content-type": "application/json" } },
        body: Buffer.from('{"name": "Ada"}').toString("base64"),
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.headers["content-type"]).toBe("application/json");
    const id = res.headers["x-ignite-execution-id"];
    expect(JSON.parse(res.body.toString())).toMatchObject({ greeting: "Hello, Ada!", execution_id: id });
    expect(res.trailers.total_body_bytes).toBe(String(res.body.length));
    expect(Number(res.trailers.duration_ms)).toBeGreaterThanOrEqual(0);
  });

  it("is denied across orgs, over gRPC and the gateway", async () => {
    const other = local.clientFor(await local.emu.tokenFor("other-org"));
    const stream = other.invoke({ organizationName: ORG, appName: "greet" });
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toSatisfy(denied(Code.PermissionDenied));
    const res = await httpCall(local.emu.port, { path: `/v1/ignite/app/${ORG}/greet/invoke`, body: "{}", headers: auth(await local.emu.tokenFor("other-org")) });
    expect(res.status).toBe(403);
  });

  it("runs seed 001's Python `requests` streaming example unchanged but for the base URL and token", async () => {
    expect(spawnSync("python3", ["-c", "import requests"]).status, "requests comes from requirements-dev.txt (scripts/setup.js installs it)").toBe(0);
    const script = [
      "import base64, json, os, requests",
      "API = os.environ['API']; ORG = 'acme-corp'; APP = 'greet'",
      "HEADERS = {'Authorization': f\"Bearer {os.environ['DODIL_TOKEN']}\", 'Content-Type': 'application/json'}",
      "def b64(data): return base64.b64encode(data).decode('ascii')",
      "envelope = {'http': {'method': 'HTTP_METHOD_POST', 'path': '/', 'headers': {'content-type': 'application/json'}},",
      "            'body': b64(json.dumps({'name': 'Ada'}).encode('utf-8'))}",
      "with requests.post(f'{API}/v1/ignite/app/{ORG}/{APP}/invoke', headers=HEADERS, json=envelope, stream=True, timeout=120) as resp:",
      "    resp.raise_for_status()",
      "    execution_id = resp.headers.get('X-Ignite-Execution-Id', '')",
      "    body = b''.join(resp.iter_content(chunk_size=None))",
      "print(json.dumps({'execution_id': execution_id, 'result': json.loads(body)}))",
    ].join("\n");
    const out = await run("python3", ["-c", script], {
      ...process.env, API: local.emu.httpUrl, DODIL_TOKEN: local.emu.token, NO_PROXY: "*", no_proxy: "*",
    });
    const parsed = JSON.parse(out);
    expect(parsed.execution_id).toMatch(/^exec_/);
    expect(parsed.result).toMatchObject({ greeting: "Hello, Ada!", execution_id: parsed.execution_id });
  });
});

describe("InvokeAsync and executions", () => {
  it("records an execution: WatchExecution streams to COMPLETED, GetExecution returns the result and metrics", async () => {
    const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: "greet", body: Buffer.from('{"name": "Ada"}') });
    expect(executionId).toMatch(/^exec_[0-9A-Z]{26}$/);
    const statuses: ExecutionStatus[] = [];
    for await (const w of local.client.watchExecution({ executionId })) statuses.push(w.execution!.status);
    expect(statuses.at(-1)).toBe(ExecutionStatus.COMPLETED);
    expect(statuses.filter((s) => s === ExecutionStatus.COMPLETED)).toHaveLength(1);
    const { execution } = await local.client.getExecution({ executionId });
    expect(execution).toMatchObject({ id: executionId, appId: "acme-corp/greet", appName: "greet", functionVersion: 1, statusCode: 200 });
    expect(JSON.parse(Buffer.from(execution!.result).toString())).toMatchObject({ greeting: "Hello, Ada!", execution_id: executionId });
    const m = execution!.metrics!;
    expect(m.resourceTier).toBe("Small");
    expect(m.resultSizeBytes).toBe(BigInt(execution!.result.length));
    expect(m.billedDurationMs).toBe(m.executionMs + m.coldStartMs);
    // Watching a finished execution sends it once and ends.
    const again = [];
    for await (const w of local.client.watchExecution({ executionId })) again.push(w.execution!.status);
    expect(again).toEqual([ExecutionStatus.COMPLETED]);
  });

  it("keeps executions org-scoped and answers NOT_FOUND for unknown ids", async () => {
    const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: "greet" });
    const other = local.clientFor(await local.emu.tokenFor("other-org"));
    await expect(other.getExecution({ executionId })).rejects.toSatisfy(denied(Code.PermissionDenied));
    await expect(local.client.getExecution({ executionId: "exec_nope" })).rejects.toSatisfy(denied(Code.NotFound));
    await expect(other.getExecutionStats({ organizationName: ORG, appName: "greet" })).rejects.toSatisfy(denied(Code.PermissionDenied));
  });

  it("GetExecutionStats buckets completed and failed executions and reports the clamped bucket width", async () => {
    await local.deploy("flaky", { "handler.py": "def handler(p, c):\n    if p == b'fail':\n        raise RuntimeError('x')\n    return 'ok'\n" });
    const wait = async (body: string) => {
      const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: "flaky", body: Buffer.from(body) });
      for await (const _ of local.client.watchExecution({ executionId })) void _;
    };
    await wait("ok");
    await wait("ok");
    await wait("fail");
    const stats = await local.client.getExecutionStats({ organizationName: ORG, appName: "flaky", bucketSecs: 5 });
    expect(stats.bucketSecs).toBe(60);
    expect(stats.partialClusters).toEqual([]);
    const sum = (k: "completed" | "failed" | "timeout") => stats.buckets.reduce((n, b) => n + b[k], 0);
    expect([sum("completed"), sum("failed"), sum("timeout")]).toEqual([2, 1, 0]);
    const daily = await local.client.getExecutionStats({ organizationName: ORG, appName: "flaky", bucketSecs: 86400 });
    expect(daily.bucketSecs).toBe(86400);
    expect(daily.buckets.reduce((n, b) => n + b.completed, 0)).toBe(2);
  });

  it("the HTTP gateway mirrors InvokeAsync and GetExecution in pbjson", async () => {
    const started = await httpCall(local.emu.port, {
      path: `/v1/ignite/app/${ORG}/greet/invoke-async`,
      headers: { ...auth(local.emu.token), "content-type": "application/json" },
      body: JSON.stringify({ body: Buffer.from('{"name": "Ada"}').toString("base64") }),
    });
    expect(started.status).toBe(200);
    const { executionId } = JSON.parse(started.body.toString());
    for await (const _ of local.client.watchExecution({ executionId })) void _;
    const got = await httpCall(local.emu.port, { method: "GET", path: `/v1/ignite/executions/${executionId}`, headers: auth(local.emu.token) });
    const { execution } = JSON.parse(got.body.toString());
    expect(execution.status).toBe("EXECUTION_STATUS_COMPLETED");
    expect(execution.metrics.resourceTier).toBe("Small");
    expect(JSON.parse(Buffer.from(execution.result, "base64").toString()).greeting).toBe("Hello, Ada!");
  });
});
