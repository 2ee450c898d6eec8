// Every ComputeService RPC through IgniteClient against the local Ignite over a real socket:
// the code set's hash equals the platform's, errors read well, secrets stay out of them.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIgniteClient, IgniteError, type IgniteClient } from "../../src/client/index.js";
import { collectCodeSet, packCodeSet } from "../../src/code/index.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
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

let emu: Emulator;
let client: IgniteClient;
let work: string;
const org = "acme-corp";

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "client-emu-"));
  emu = await startEmulator({ port: 0, dataDir: path.join(work, "data"), org, compileDelayMs: 50 });
  client = createIgniteClient({ endpoint: emu.grpcEndpoint, token: emu.token });
});

afterAll(async () => {
  client?.close();
  await emu?.stop();
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
    for await (const f of client.invoke({ organizationName: org, appName: "greet", http: { method: HttpMethod.POST }, body: Buffer.from('{"name":"Ada"}') })) {
      frames.push(f.frame.case ?? "none");
      if (f.frame.case === "chunk") body += Buffer.from(f.frame.value.data).toString();
      if (f.frame.case === "head") expect(f.frame.value.statusCode).toBe(200);
    }
    expect(frames[0]).toBe("head");
    expect(frames.at(-1)).toBe("trailer");
    expect(JSON.parse(body)).toEqual({ greeting: "Hello, Ada!" });

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

    // GetExecutionStats
    const stats = await client.getExecutionStats({ organizationName: org, appName: "greet" });
    expect(stats.buckets.reduce((n, b) => n + b.completed, 0)).toBeGreaterThanOrEqual(1);

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
    await rustSave("tiny", { "Cargo.toml": '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n', "src/lib.rs": LIB });
    const err = (await client.publishDraft({ organizationName: org, appName: "tiny" }).catch((e: unknown) => e)) as IgniteError;
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.message).toMatch(/^ignite: PublishDraft acme-corp\/tiny failed: .*\(FAILED_PRECONDITION\)\. Run CompileDraft/);

    const started = await client.compileDraft({ organizationName: org, appName: "tiny" });
    expect([CompileState.COMPILING, CompileState.SUCCEEDED]).toContain(started.draft?.compileState);
    const lines: string[] = [];
    const draft = await client.waitForCompile(org, "tiny", { onLog: (l) => lines.push(l), timeoutMs: 30_000 });
    expect(draft.compileState).toBe(CompileState.SUCCEEDED);
    expect(lines.length).toBeGreaterThan(0);
    const logs: string[] = [];
    for await (const l of client.streamCompileLogs({ organizationName: org, appName: "tiny" })) logs.push(l.line);
    expect(logs).toEqual(lines);
    expect((await client.publishDraft({ organizationName: org, appName: "tiny" })).publishedVersion).toBe(1);
  });

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
    const bad = createIgniteClient({ endpoint: emu.grpcEndpoint, token: "wrong-token-1234567" });
    try {
      const err = (await bad.getApp({ organizationName: org, appName: "dup" }).catch((e: unknown) => e)) as IgniteError;
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.message).toContain("ignite:token / DODIL_TOKEN");
      expect(err.message).not.toContain("wrong-token-1234567");
    } finally {
      bad.close();
    }
  });

  it("PERMISSION_DENIED when the token's organization does not own the app", async () => {
    const other = createIgniteClient({ endpoint: emu.grpcEndpoint, token: await emu.tokenFor("other-org") });
    try {
      const err = (await other.getApp({ organizationName: org, appName: "dup" }).catch((e: unknown) => e)) as IgniteError;
      expect(err.code).toBe(Code.PermissionDenied);
      expect(err.message).toContain("organization does not own acme-corp/dup");
    } finally {
      other.close();
    }
  });

  it("PublishDraft is attempted once even when the endpoint is down; GetApp is retried", async () => {
    const dead = createIgniteClient({ endpoint: "127.0.0.1:1", token: emu.token, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      await expect(dead.publishDraft({ organizationName: org, appName: "dup" })).rejects.toMatchObject({ code: Code.Unavailable });
      await expect(dead.getApp({ organizationName: org, appName: "dup" })).rejects.toMatchObject({ code: Code.Unavailable });
      expect(dead.runner.attempts.get("PublishDraft")).toBe(1);
      expect(dead.runner.attempts.get("GetApp")).toBe(3);
    } finally {
      dead.close();
    }
  });

  it("the emulator counts one PublishDraft call for one failed publish", async () => {
    await fetch(`${emu.httpUrl}/_ignite/calls/reset`, { method: "POST" });
    await client.createApp({ organizationName: org, name: "nocode", runtime: Runtime.PYTHON });
    await expect(client.publishDraft({ organizationName: org, appName: "nocode" })).rejects.toBeInstanceOf(IgniteError);
    const { calls } = (await (await fetch(`${emu.httpUrl}/_ignite/calls`)).json()) as { calls: Record<string, number> };
    expect(calls.PublishDraft).toBe(1);
  });
});
