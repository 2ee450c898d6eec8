// Retries over a real socket: a tiny HTTP/2 gRPC server (not the emulator) that fails with
// UNAVAILABLE or stalls a set number of times, to watch backoff, deadlines and the retry table.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createIgniteClient, IgniteError, type IgniteClient } from "../../src/client/index.js";
import { ComputeService } from "../../src/gen/dodil/ignite/v1/compute_pb.js";

/** How the next calls of each method behave: fail this many times first, or stall. */
const script = { failures: 0, stallMs: 0 };
const calls: Record<string, number> = {};
const authHeaders: string[] = [];

function count(method: string, auth: string | null): void {
  calls[method] = (calls[method] ?? 0) + 1;
  if (auth) authHeaders.push(auth);
}

async function behave(): Promise<void> {
  if (script.failures > 0) {
    script.failures--;
    throw new ConnectError("backend warming up", Code.Unavailable);
  }
  if (script.stallMs > 0) {
    const ms = script.stallMs;
    script.stallMs = 0;
    await new Promise((r) => setTimeout(r, ms));
  }
}

const routes = (router: ConnectRouter) =>
  router.service(ComputeService, {
    async getApp(req, ctx) {
      count("GetApp", ctx.requestHeader.get("authorization"));
      await behave();
      return { app: { appId: `${req.organizationName}/${req.appName}`, name: req.appName } };
    },
    async publishDraft(_req, ctx) {
      count("PublishDraft", ctx.requestHeader.get("authorization"));
      await behave();
      return { publishedVersion: 1 };
    },
    async saveDraft(_req, ctx) {
      count("SaveDraft", ctx.requestHeader.get("authorization"));
      await behave();
      return { draft: { codeHash: "sha256:00" } };
    },
    // A careless server that quotes the credential it rejected (without "Bearer "): only the
    // client's own knowledge of its token can scrub it.
    async getExecution(_req, ctx) {
      const token = (ctx.requestHeader.get("authorization") ?? "").replace(/^Bearer /, "");
      throw new ConnectError(`token ${token} is not allowed here`, Code.PermissionDenied);
    },
    async *streamCompileLogs(_req, ctx) {
      count("StreamCompileLogs", ctx.requestHeader.get("authorization"));
      await behave();
      yield { line: "one" };
      yield { line: "two" };
    },
  });

let server: http2.Http2Server;
let endpoint: string;
let client: IgniteClient;

beforeAll(async () => {
  server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createIgniteClient({ endpoint, token: "tok-abcdef", retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }, timeoutMs: 300 });
});

afterAll(async () => {
  client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  script.failures = 0;
  script.stallMs = 0;
  for (const k of Object.keys(calls)) delete calls[k];
  authHeaders.length = 0;
});

describe("retries against a flaky server", () => {
  it("retries GetApp through UNAVAILABLE and succeeds", async () => {
    script.failures = 3;
    const res = await client.getApp({ organizationName: "acme-corp", appName: "greet" });
    expect(res.app?.appId).toBe("acme-corp/greet");
    expect(calls.GetApp).toBe(4);
    expect(authHeaders.every((h) => h === "Bearer tok-abcdef")).toBe(true);
  });

  it("gives up after the configured attempts with an error naming the endpoint", async () => {
    script.failures = 10;
    const err = await client.getApp({ organizationName: "acme-corp", appName: "greet" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IgniteError);
    expect((err as IgniteError).code).toBe(Code.Unavailable);
    expect((err as IgniteError).message).toContain("ignite: GetApp acme-corp/greet failed: backend warming up (UNAVAILABLE)");
    expect((err as IgniteError).message).toContain(endpoint);
    expect(calls.GetApp).toBe(4);
  });

  it("never retries PublishDraft", async () => {
    script.failures = 1;
    const err = await client.publishDraft({ organizationName: "acme-corp", appName: "greet" }).catch((e: unknown) => e);
    expect((err as IgniteError).code).toBe(Code.Unavailable);
    expect(calls.PublishDraft).toBe(1);
  });

  it("retries SaveDraft (an overwrite) through UNAVAILABLE", async () => {
    script.failures = 2;
    await client.saveDraft({ organizationName: "acme-corp", appName: "greet" });
    expect(calls.SaveDraft).toBe(3);
  });

  it("enforces the per-call deadline and retries a stalled read", async () => {
    script.stallMs = 1000;
    const t0 = Date.now();
    const res = await client.getApp({ organizationName: "acme-corp", appName: "slow" });
    expect(res.app?.name).toBe("slow");
    expect(calls.GetApp).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("does not retry a stalled PublishDraft: DEADLINE_EXCEEDED names the deadline", async () => {
    script.stallMs = 1000;
    const err = (await client.publishDraft({ organizationName: "acme-corp", appName: "greet" }).catch((e: unknown) => e)) as IgniteError;
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.message).toMatch(/within 0.3 s .*ignite:timeoutSecs/);
    expect(calls.PublishDraft).toBe(1);
  });

  it("retries a stream that fails before its first message", async () => {
    script.failures = 2;
    const lines: string[] = [];
    for await (const l of client.streamCompileLogs({ organizationName: "acme-corp", appName: "greet" })) lines.push(l.line);
    expect(lines).toEqual(["one", "two"]);
    expect(calls.StreamCompileLogs).toBe(3);
  });

  it("maps an unimplemented method and keeps the token out of the message", async () => {
    const err = (await client.deleteApp({ organizationName: "acme-corp", appName: "greet" }).catch((e: unknown) => e)) as IgniteError;
    expect(err.code).toBe(Code.Unimplemented);
    expect(err.message).not.toContain("tok-abcdef");
  });
});

describe("secrets in server messages", () => {
  it("scrubs the client's token from a server message and drops the cause that carried it", async () => {
    const err = (await client.getExecution({ executionId: "e-1" }).catch((e: unknown) => e)) as IgniteError;
    expect(err).toBeInstanceOf(IgniteError);
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.message).toContain("token *** is not allowed here");
    for (const text of [err.message, err.reason, String(err.stack), JSON.stringify(err)]) expect(text).not.toContain("tok-abcdef");
    expect(err.cause).toBeUndefined();
  });
});

describe("an endpoint nobody listens on", () => {
  it("fails UNAVAILABLE after retries, naming the endpoint", async () => {
    const dead = createIgniteClient({ endpoint: "127.0.0.1:1", token: "t0ken-value", retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    try {
      const err = (await dead.getApp({ organizationName: "o", appName: "a" }).catch((e: unknown) => e)) as IgniteError;
      expect(err.code).toBe(Code.Unavailable);
      expect(err.message).toContain("127.0.0.1:1 refused the connection");
      expect(dead.runner.attempts.get("GetApp")).toBe(2);
    } finally {
      dead.close();
    }
  });
});
