// Every ComputeService RPC through IgniteClient against the local Ignite over a real socket,
// once over gRPC and once over the HTTP/JSON gateway (protocol "http"): the code set's hash
// equals the platform's, errors read well, secrets stay out of them.
import * as diagnostics from "node:diagnostics_channel";
import type * as http from "node:http";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIgniteClient, IgniteError, type ClientOptions, type IgniteClient, type IgniteProtocol } from "../../src/client/index.js";
import { collectCodeSet, packCodeSet } from "../../src/code/index.js";
import type { Emulator } from "../../src/emulator/index.js";
import { startLocal, type Local } from "../support/local-ignite";
import {
  CompileState,
  ExecutionStatus,
  HttpMethod,
  ResourceTier,
  Runtime,
  RustTarget,
  ScaleMetric,
} from "../../src/gen/dodil/ignite/v1/compute_pb.js";

const HANDLER = (greeting: string) => `import json

def handler(payload, ctx):
    try:
        event = json.loads(payload) if payload else {}
    except (TypeError, ValueError):
        event = {}
    return {"greeting": "${greeting}, " + event.get("name", "world") + "!"}
`;

const PROTOCOLS: Array<[IgniteProtocol]> = [["grpc"], ["http"]];

describe.each(PROTOCOLS)("over %s", (protocol) => {
let local: Local;
let emu: Emulator;
let client: IgniteClient;
let work: string;
const org = "acme-corp";

/** A client over this suite's protocol (the endpoint defaults to the local Ignite). */
const connect = (opts: Partial<ClientOptions>): IgniteClient =>
  createIgniteClient({ endpoint: protocol === "http" ? emu.httpUrl : emu.grpcEndpoint, protocol, ...opts });

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), `client-emu-${protocol}-`));
  local = await startLocal({}, { org });
  emu = local.emu;
  client = connect({ token: emu.token });
});

afterAll(async () => {
  client?.close();
  await local?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function writeTree(dir: string, files: Record<string, string>): string {
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), body);
  }
  return dir;
}

async function saveDirectory(appName: string, dir: string) {
  const set = await collectCodeSet({ path: dir });
  const archive = await packCodeSet(set);
  const res = await client.saveDraft({
    organizationName: org,
    appName,
    code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "archive", value: archive } } } },
  });
  return { set, draft: res.draft! };
}

/** Creates, saves (single file) and publishes a Python app. */
async function deploySource(appName: string, source: string) {
  await client.createApp({ organizationName: org, name: appName, runtime: Runtime.PYTHON });
  await client.saveDraft({
    organizationName: org,
    appName,
    code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: Buffer.from(source) } } } },
  });
  await client.publishDraft({ organizationName: org, appName });
}

describe("the wire", () => {
  it(`speaks ${protocol}: gateway paths over HTTP/1.1 only with protocol "http"`, async () => {
    const seen: string[] = [];
    const onRequest = (msg: unknown) => {
      const req = (msg as { request: http.ClientRequest }).request;
      if (req.path.startsWith("/v1/ignite/")) seen.push(`${req.method} ${req.path}`);
    };
    diagnostics.subscribe("http.client.request.start", onRequest);
    try {
      await client.getAppOrUndefined(org, "wire-check");
      await client.listApps({ organizationName: org, pageSize: 2 });
    } finally {
      diagnostics.unsubscribe("http.client.request.start", onRequest);
    }
    expect(seen).toEqual(protocol === "http" ? ["GET /v1/ignite/app/acme-corp/wire-check", "GET /v1/ignite/app/acme-corp?pageSize=2"] : []);
  });
});

describe("apps, drafts, versions and invocation through the client", () => {
  it("runs the whole flow", async () => {
    // CreateApp / GetApp / ListApps
    const created = await client.createApp({ organizationName: org, name: "greet", runtime: Runtime.PYTHON, resourceTier: ResourceTier.SMALL, description: "hi" });
    expect(created.appId).toBe("acme-corp/greet");
    expect((await client.getApp({ organizationName: org, appName: "greet" })).app?.activeVersion).toBe(0);
    expect((await client.listApps({ organizationName: org })).apps.map((a) => a.name)).toContain("greet");
    expect(await client.getAppOrUndefined(org, "greet")).toBeDefined();

    // UpdateAppConfig (by mask)
    const updated = await client.updateAppConfig({
      organizationName: org,
      appName: "greet",
      scaling: { reservedCapacity: 0, maxReplicas: 3, scaleMetric: ScaleMetric.CONCURRENCY },
      updateMask: { paths: ["scaling"] },
    });
    expect(updated.app?.scaling?.maxReplicas).toBe(3);

    // SaveDraft (directory archive): the platform's hash is the code set's hash
    const dir = writeTree(path.join(work, "greet"), { "handler.py": HANDLER("Hello"), "lib/util.py": "X = 1\n" });
    const { set, draft } = await saveDirectory("greet", dir);
    expect(draft.codeHash).toBe(set.codeHash);
    const got = (await client.getDraft({ organizationName: org, appName: "greet" })).draft!;
    expect(got.codeHash).toBe(set.codeHash);
    expect(got.files).toEqual(Object.keys(set.manifest));

    // PublishDraft / ListVersions
    const v1 = await client.publishDraft({ organizationName: org, appName: "greet" });
    expect(v1.publishedVersion).toBe(1);
    expect(v1.app?.publicUrls.length).toBeGreaterThan(0);
    const versions = await client.listVersions({ organizationName: org, appName: "greet" });
    expect(versions.activeVersion).toBe(1);
    expect(versions.versions[0].codeHash).toBe(set.codeHash);

    // Invoke: head → chunks → trailer
    const frames: string[] = [];
    let body = "";
    let totalBodyBytes: bigint | undefined;
    for await (const f of client.invoke({ organizationName: org, appName: "greet", http: { method: HttpMethod.POST }, body: Buffer.from('{"name":"Ada"}') })) {
      frames.push(f.frame.case ?? "none");
      if (f.frame.case === "chunk") body += Buffer.from(f.frame.value.data).toString();
      if (f.frame.case === "head") {
        expect(f.frame.value.statusCode).toBe(200);
        expect(f.frame.value.executionId).toMatch(/^exec_/);
        expect(f.frame.value.responseHeaders["content-type"]).toBe("application/json");
      }
      if (f.frame.case === "trailer") totalBodyBytes = f.frame.value.totalBodyBytes;
    }
    expect(frames[0]).toBe("head");
    expect(frames.filter((f) => f === "head" || f === "trailer")).toEqual(["head", "trailer"]);
    expect(frames.at(-1)).toBe("trailer");
    expect(JSON.parse(body)).toEqual({ greeting: "Hello, Ada!" });
    expect(totalBodyBytes).toBe(BigInt(Buffer.byteLength(body)));

    // InvokeAsync / GetExecution / WatchExecution
    const { executionId } = await client.invokeAsync({ organizationName: org, appName: "greet", body: Buffer.from('{"name":"Bob"}') });
    let last: ExecutionStatus | undefined;
    for await (const w of client.watchExecution({ executionId }, { timeoutMs: 60_000 })) {
      if (w.execution) last = w.execution.status;
    }
    expect(last).toBe(ExecutionStatus.COMPLETED);
    const exec = (await client.getExecution({ executionId })).execution!;
    expect(exec.appId).toBe("acme-corp/greet");
    expect(JSON.parse(Buffer.from(exec.result).toString())).toEqual({ greeting: "Hello, Bob!" });

    // GetExecutionStats (int64 range and bucket width travel as query params over HTTP)
    const stats = await client.getExecutionStats({ organizationName: org, appName: "greet" });
    expect(stats.buckets.reduce((n, b) => n + b.completed, 0)).toBeGreaterThanOrEqual(1);
    const now = BigInt(Date.now());
    const daily = await client.getExecutionStats({ organizationName: org, appName: "greet", bucketSecs: 86_400, startTimeMs: now - 3_600_000n, endTimeMs: now + 60_000n });
    expect(daily.bucketSecs).toBe(86_400);
    expect(daily.buckets.reduce((n, b) => n + b.completed, 0)).toBe(1);

    // ListApps paging (page_size / page_token as query params over HTTP)
    await client.createApp({ organizationName: org, name: "greet-z", runtime: Runtime.PYTHON });
    const page1 = await client.listApps({ organizationName: org, pageSize: 1 });
    expect(page1.apps).toHaveLength(1);
    expect(page1.nextPageToken).not.toBe("");
    const page2 = await client.listApps({ organizationName: org, pageSize: 1, pageToken: page1.nextPageToken });
    expect(page2.apps[0]?.name).not.toBe(page1.apps[0]?.name);
    await client.deleteApp({ organizationName: org, appName: "greet-z" });

    // A second version, then RollbackVersion
    fs.writeFileSync(path.join(dir, "handler.py"), HANDLER("Hi"));
    const second = await saveDirectory("greet", dir);
    expect(second.draft.codeHash).not.toBe(set.codeHash);
    expect((await client.publishDraft({ organizationName: org, appName: "greet" })).publishedVersion).toBe(2);
    const rolled = await client.rollbackVersion({ organizationName: org, appName: "greet", version: 1 });
    expect(rolled.app?.activeVersion).toBe(1);

    // DeleteApp
    await client.deleteApp({ organizationName: org, appName: "greet" });
    expect(await client.getAppOrUndefined(org, "greet")).toBeUndefined();
  });

  it("saves a single file as source code with the file's sha256 as its hash", async () => {
    await client.createApp({ organizationName: org, name: "tiny-py", runtime: Runtime.PYTHON });
    const file = writeTree(path.join(work, "single"), { "handler.py": HANDLER("Yo") });
    const set = await collectCodeSet({ path: path.join(file, "handler.py") });
    const res = await client.saveDraft({
      organizationName: org,
      appName: "tiny-py",
      code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: await packCodeSet(set) } } } },
    });
    expect(res.draft?.codeHash).toBe(set.codeHash);
  });
});

describe("Rust compile", () => {
  const rustSave = async (appName: string, files: Record<string, string>) => {
    const dir = writeTree(path.join(work, appName), files);
    const archive = await packCodeSet(await collectCodeSet({ path: dir }));
    await client.saveDraft({
      organizationName: org,
      appName,
      code: {
        source: {
          case: "compile",
          value: { runtime: { runtime: { case: "rust", value: { target: RustTarget.NATIVE } } }, input: { case: "archive", value: archive } },
        },
      },
    });
  };
  const LIB = `use ignite::prelude::*;\n#[ignite::main]\nasync fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> { Ok(Response::text("hi")) }\n`;

  it("compiles, follows the log and returns the final draft", async () => {
    await client.createApp({ organizationName: org, name: "tiny", runtime: Runtime.RUST });
    await rustSave("tiny", { "Cargo.toml": '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nignite = "*"\n', "src/lib.rs": LIB });
    const err = (await client.publishDraft({ organizationName: org, appName: "tiny" }).catch((e: unknown) => e)) as IgniteError;
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.message).toMatch(/^ignite: PublishDraft acme-corp\/tiny failed: .*\(FAILED_PRECONDITION\)\. Run CompileDraft/);

    const started = await client.compileDraft({ organizationName: org, appName: "tiny" });
    expect([CompileState.COMPILING, CompileState.SUCCEEDED]).toContain(started.draft?.compileState);
    const lines: string[] = [];
    const draft = await client.waitForCompile(org, "tiny", { onLog: (l) => lines.push(l), timeoutMs: 300_000 });
    expect(draft.compileState).toBe(CompileState.SUCCEEDED);
    expect(lines.length).toBeGreaterThan(0);
    const logs: string[] = [];
    for await (const l of client.streamCompileLogs({ organizationName: org, appName: "tiny" })) logs.push(l.line);
    expect(logs).toEqual(lines);
    expect((await client.publishDraft({ organizationName: org, appName: "tiny" })).publishedVersion).toBe(1);
  }, 300_000); // a real cargo build

  it("throws the log tail when the compile fails", async () => {
    await client.createApp({ organizationName: org, name: "broken", runtime: Runtime.RUST });
    await rustSave("broken", { "src/lib.rs": LIB });
    await client.compileDraft({ organizationName: org, appName: "broken" });
    const err = (await client.waitForCompile(org, "broken", { timeoutMs: 30_000 }).catch((e: unknown) => e)) as IgniteError;
    expect(err).toBeInstanceOf(IgniteError);
    expect(err.message).toMatch(/CompileDraft acme-corp\/broken failed: the compile failed: Cargo\.toml/);
    expect(err.message).toMatch(/compile log lines:\n {2}\| /);
  });
});

describe("errors from the platform", () => {
  it("NOT_FOUND names the app", async () => {
    const err = (await client.getApp({ organizationName: org, appName: "nope" }).catch((e: unknown) => e)) as IgniteError;
    expect(err.code).toBe(Code.NotFound);
    expect(err.message).toMatch(/^ignite: GetApp acme-corp\/nope failed: .*\(NOT_FOUND\)/);
  });

  it("ALREADY_EXISTS on a second CreateApp", async () => {
    await client.createApp({ organizationName: org, name: "dup", runtime: Runtime.PYTHON });
    const err = (await client.createApp({ organizationName: org, name: "dup", runtime: Runtime.PYTHON }).catch((e: unknown) => e)) as IgniteError;
    expect(err.code).toBe(Code.AlreadyExists);
    expect(err.appId).toBe("acme-corp/dup");
  });

  it("UNAUTHENTICATED says how to authenticate and never echoes the token", async () => {
    const bad = connect({ token: "wrong-token-1234567" });
    try {
      const err = (await bad.getApp({ organizationName: org, appName: "dup" }).catch((e: unknown) => e)) as IgniteError;
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.message).toContain("`ignite:token` / DODIL_TOKEN");
      expect(err.message).toContain("invalid bearer token"); // issue 9: the word "token" is not redacted
      expect(err.message).not.toContain("wrong-token-1234567");
    } finally {
      bad.close();
    }
  });

  it("PERMISSION_DENIED when the token's organization does not own the app", async () => {
    const other = connect({ token: await emu.tokenFor("other-org") });
    try {
      const err = (await other.getApp({ organizationName: org, appName: "dup" }).catch((e: unknown) => e)) as IgniteError;
      expect(err.code).toBe(Code.PermissionDenied);
      expect(err.message).toContain("organization does not own acme-corp/dup");
    } finally {
      other.close();
    }
  });

  it("PublishDraft is attempted once even when the endpoint is down; GetApp is retried", async () => {
    const dead = connect({ endpoint: "127.0.0.1:1", token: emu.token, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      await expect(dead.publishDraft({ organizationName: org, appName: "dup" })).rejects.toMatchObject({ code: Code.Unavailable });
      await expect(dead.getApp({ organizationName: org, appName: "dup" })).rejects.toMatchObject({ code: Code.Unavailable });
      expect(dead.runner.attempts.get("PublishDraft")).toBe(1);
      expect(dead.runner.attempts.get("GetApp")).toBe(3);
    } finally {
      dead.close();
    }
  });

  it("Invoke of a missing app is NOT_FOUND before any frame", async () => {
    const frames: unknown[] = [];
    const err = (await (async () => {
      for await (const f of client.invoke({ organizationName: org, appName: "absent", body: Buffer.from("{}") })) frames.push(f);
    })().catch((e: unknown) => e)) as IgniteError;
    expect(frames).toEqual([]);
    expect(err).toBeInstanceOf(IgniteError);
    expect(err.code).toBe(Code.NotFound);
    expect(err.message).toMatch(/^ignite: Invoke acme-corp\/absent failed: .*\(NOT_FOUND\)/);
  });

  it("a handler that raises is a 500 head frame, not an error", async () => {
    await deploySource("raises", "def handler(payload, ctx):\n    raise RuntimeError('boom')\n");
    const frames: string[] = [];
    let status = 0;
    for await (const f of client.invoke({ organizationName: org, appName: "raises", body: Buffer.from("{}") })) {
      frames.push(f.frame.case ?? "none");
      if (f.frame.case === "head") status = f.frame.value.statusCode;
    }
    expect(status).toBe(500);
    expect(frames[0]).toBe("head");
    expect(frames.at(-1)).toBe("trailer");
  });

  it("a deadline ends an Invoke with DEADLINE_EXCEEDED, attempted once", async () => {
    await deploySource("slow", "import time\n\ndef handler(payload, ctx):\n    time.sleep(3)\n    return 'late'\n");
    const before = client.runner.attempts.get("Invoke") ?? 0;
    const started = Date.now();
    const err = (await (async () => {
      for await (const _ of client.invoke({ organizationName: org, appName: "slow", body: Buffer.from("{}") }, { timeoutMs: 300 })) void _;
    })().catch((e: unknown) => e)) as IgniteError;
    expect(err).toBeInstanceOf(IgniteError);
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(client.runner.attempts.get("Invoke")).toBe(before + 1);
  });

  it("an empty path field is INVALID_ARGUMENT", async () => {
    const err = (await client.getApp({ organizationName: org, appName: "" }).catch((e: unknown) => e)) as IgniteError;
    expect(err).toBeInstanceOf(IgniteError);
    expect(err.code).toBe(Code.InvalidArgument);
  });

  it("the emulator counts one PublishDraft call for one failed publish", async () => {
    await fetch(`${emu.httpUrl}/_ignite/calls/reset`, { method: "POST" });
    await client.createApp({ organizationName: org, name: "nocode", runtime: Runtime.PYTHON });
    await expect(client.publishDraft({ organizationName: org, appName: "nocode" })).rejects.toBeInstanceOf(IgniteError);
    const { calls } = (await (await fetch(`${emu.httpUrl}/_ignite/calls`)).json()) as { calls: Record<string, number> };
    expect(calls.PublishDraft).toBe(1);
  });
});
});
