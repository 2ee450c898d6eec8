/**
 * Every control-plane RPC of the local Ignite, run over gRPC and over the HTTP/JSON gateway, on
 * the file store and on the memory store (the same suite for all four), with the semantics and
 * error cases of the platform pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CompileState,
  ResourceTier,
  Runtime,
  RustTarget,
  ScaleMetric,
} from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { tarGz } from "../support/archive.js";
import { apiFor, type ComputeApi, type TransportName } from "../support/compute-api.js";
import { pythonArchive, pythonSource, rustArchive, startLocal, type Local } from "../support/local-ignite";

const ORG = "acme-corp";
const HANDLER = Buffer.from('def handler(payload, ctx):\n    return {"ok": True}\n');
const CARGO = '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nignite = "*"\n';
// A crate that really builds: CompileDraft runs cargo.
const LIB_RS = 'use ignite::prelude::*;\n\n#[ignite::main]\nasync fn handler(_req: Request, _ctx: Context) -> Result<impl IntoResponse> {\n    Ok(Response::text("hello"))\n}\n';

async function expectCode(p: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${Code[code]}`).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect(Code[ce.code]).toBe(Code[code]);
  if (message) expect(ce.rawMessage).toMatch(message);
  return ce;
}

const python = (source: Uint8Array = HANDLER) => pythonSource(source);


// The same suite over each transport and on each store (file and memory, as fake-gcs-server
// runs its suite against every backend).
describe.each<["file" | "memory", TransportName]>([
  ["file", "grpc"],
  ["file", "http"],
  ["memory", "grpc"],
  ["memory", "http"],
])("control plane on the %s store over %s", (store, kind) => {
  let t: Local;
  beforeAll(async () => {
    t = await startLocal({}, { maxUnpackedBytes: 64 * 1024, maxFiles: 20, store });
  });
  afterAll(async () => {
    await t?.stop();
  });

  let api: ComputeApi;
  let n = 0;
  /** A fresh app name per test, so tests do not depend on each other. */
  const fresh = (base: string) => `${base}-${kind}-${++n}`;
  const ref = (name: string) => ({ organizationName: ORG, appName: name });
  beforeAll(() => {
    api = apiFor(kind, t);
  });

  it("creates an app with metadata only: version 0, no public URLs, effective scaling defaults", async () => {
    const name = fresh("greet");
    const res = await api.createApp({ organizationName: ORG, name, description: "A tiny greeting microservice", resourceTier: ResourceTier.SMALL });
    expect(res.appId).toBe(`${ORG}/${name}`);
    expect(res.app?.activeVersion).toBe(0);
    expect(res.app?.publicUrls).toEqual([]);
    expect(res.app?.runtime).toBe(Runtime.PYTHON);
    expect(res.app?.ports).toEqual([80]);
    expect(res.app?.scaling).toMatchObject({ reservedCapacity: 0, maxReplicas: 5, scaleMetric: ScaleMetric.REQUEST_RATE, scaleThreshold: 10, scaledownPeriodSecs: 300 });
    const draft = await api.getDraft(ref(name));
    expect(draft.draft?.codeHash).toBe("");
    expect((await api.listVersions(ref(name))).versions).toEqual([]);
  });

  it("rejects an app name that is not a DNS label, naming the field and the rule", async () => {
    for (const bad of ["Greet", "-greet", "greet-", "gr_eet", "a".repeat(64), "a..b"]) {
      await expectCode(api.createApp({ organizationName: ORG, name: bad }), Code.InvalidArgument, /^name: .*DNS label/);
    }
    await expectCode(api.createApp({ organizationName: "Acme", name: "ok" }), Code.InvalidArgument, /organization_name: .*DNS label/);
  });

  it("rejects a second app with the same name as ALREADY_EXISTS", async () => {
    const name = fresh("dup");
    await api.createApp({ organizationName: ORG, name });
    await expectCode(api.createApp({ organizationName: ORG, name }), Code.AlreadyExists, /already exists/);
  });

  it("clamps scaling to the platform cap and the KEDA minimum, and names negative fields", async () => {
    const res = await api.createApp({
      organizationName: ORG,
      name: fresh("scaled"),
      scaling: { maxReplicas: 50, scaleMetric: ScaleMetric.CONCURRENCY, scaledownPeriodSecs: 5, reservedCapacity: 2 },
    });
    expect(res.app?.scaling).toMatchObject({ reservedCapacity: 2, maxReplicas: 5, scaleMetric: ScaleMetric.CONCURRENCY, scaleThreshold: 10, scaledownPeriodSecs: 30 });
    await expectCode(api.createApp({ organizationName: ORG, name: fresh("neg"), scaling: { scaleThreshold: -1 } }), Code.InvalidArgument, /^scaling\.scale_threshold: /);
    await expectCode(api.createApp({ organizationName: ORG, name: fresh("over"), scaling: { reservedCapacity: 6 } }), Code.InvalidArgument, /^scaling\.reserved_capacity: .*max_replicas 5/);
  });

  it("gets, lists sorted by name, and answers NOT_FOUND for an unknown app", async () => {
    const names = [fresh("zeta"), fresh("alpha"), fresh("mid")];
    for (const name of names) await api.createApp({ organizationName: ORG, name });
    const got = await api.getApp(ref(names[0]!));
    expect(got.app?.name).toBe(names[0]);
    const listed = (await api.listApps({ organizationName: ORG })).apps.map((a) => a.name);
    expect(listed).toEqual([...listed].sort());
    for (const name of names) expect(listed).toContain(name);
    const page = await api.listApps({ organizationName: ORG, pageSize: 1 });
    expect(page.apps).toHaveLength(1);
    expect(page.nextPageToken).toBe(page.apps[0]!.name);
    await expectCode(api.getApp(ref("nope")), Code.NotFound, /acme-corp\/nope/);
  });

  it("updates config in place per update_mask and never creates a version", async () => {
    const name = fresh("cfg");
    await api.createApp({ organizationName: ORG, name, description: "before", env: { A: "1" } });
    await api.saveDraft({ ...ref(name), code: python() });
    await api.publishDraft(ref(name));
    const masked = await api.updateAppConfig({ ...ref(name), description: "after", env: { B: "2" }, updateMask: { paths: ["description"] } });
    expect(masked.app?.description).toBe("after");
    expect(masked.app?.env).toEqual({ A: "1" }); // env not in the mask
    const implicit = await api.updateAppConfig({ ...ref(name), env: { B: "2" }, scaling: { maxReplicas: 3 } });
    expect(implicit.app?.env).toEqual({ B: "2" });
    expect(implicit.app?.description).toBe("after"); // default-valued fields untouched by an empty mask
    expect(implicit.app?.scaling?.maxReplicas).toBe(3);
    const partial = await api.updateAppConfig({ ...ref(name), scaling: { scaleThreshold: 7 }, updateMask: { paths: ["scaling.scale_threshold"] } });
    expect(partial.app?.scaling).toMatchObject({ maxReplicas: 3, scaleThreshold: 7 });
    expect(partial.app?.activeVersion).toBe(1);
    expect((await api.listVersions(ref(name))).versions).toHaveLength(1);
    await expectCode(api.updateAppConfig({ ...ref(name), updateMask: { paths: ["runtime"] } }), Code.InvalidArgument, /update_mask/);
    await expectCode(api.updateAppConfig({ ...ref("missing-app"), description: "x" }), Code.NotFound);
  });

  it("deletes an app with its draft and versions, and answers NOT_FOUND the second time", async () => {
    const name = fresh("gone");
    await api.createApp({ organizationName: ORG, name });
    await api.saveDraft({ ...ref(name), code: python() });
    await api.publishDraft(ref(name));
    await api.deleteApp(ref(name));
    await expectCode(api.getApp(ref(name)), Code.NotFound);
    await expectCode(api.deleteApp(ref(name)), Code.NotFound);
    // The name is free again, with nothing left over.
    await api.createApp({ organizationName: ORG, name });
    expect((await api.getDraft(ref(name))).draft?.codeHash).toBe("");
    expect((await api.listVersions(ref(name))).versions).toEqual([]);
  });

  it("saves a single file as handler.py and returns the sha256 code hash of the bytes", async () => {
    const name = fresh("single");
    await api.createApp({ organizationName: ORG, name });
    const saved = await api.saveDraft({ ...ref(name), code: python() });
    const { createHash } = await import("node:crypto");
    expect(saved.draft?.codeHash).toBe(`sha256:${createHash("sha256").update(HANDLER).digest("hex")}`);
    expect(saved.draft?.files).toEqual(["handler.py"]);
    expect(saved.draft?.compileState).toBe(CompileState.NOT_REQUIRED);
    expect((await api.getDraft(ref(name))).draft?.codeHash).toBe(saved.draft?.codeHash);
  });

  it("saves a directory archive keeping requirements.txt, and a new save overwrites the slot", async () => {
    const name = fresh("tabler");
    await api.createApp({ organizationName: ORG, name });
    const archive = await tarGz({ "handler.py": HANDLER, "requirements.txt": "tabulate==0.9.0\n" });
    const saved = await api.saveDraft({ ...ref(name), code: await pythonArchive(archive) });
    expect(saved.draft?.files).toEqual(["handler.py", "requirements.txt"]);
    expect(saved.draft?.sourceKind).toBe("archive");
    const again = await api.saveDraft({ ...ref(name), code: python() });
    expect(again.draft?.files).toEqual(["handler.py"]);
    expect(again.draft?.codeHash).not.toBe(saved.draft?.codeHash);
  });

  it("rejects archives that escape the tree, contain links, are not a tar, or exceed the limits", async () => {
    const name = fresh("hostile");
    await api.createApp({ organizationName: ORG, name });
    const save = async (archive: Uint8Array) => api.saveDraft({ ...ref(name), code: await pythonArchive(archive) });
    await expectCode(save(await tarGz([{ name: "../evil.py", data: "x" }])), Code.InvalidArgument, /code\.compile\.archive: .*'\.\.'/);
    await expectCode(save(await tarGz([{ name: "/etc/passwd", data: "x" }])), Code.InvalidArgument, /absolute path/);
    await expectCode(save(await tarGz([{ name: "link", type: "symlink", linkname: "/etc/passwd" }])), Code.InvalidArgument, /links are not allowed/);
    await expectCode(save(await tarGz([{ name: "hard", type: "link", linkname: "handler.py" }])), Code.InvalidArgument, /links are not allowed/);
    await expectCode(save(new Uint8Array([1, 2, 3, 4])), Code.InvalidArgument, /tar/);
    await expectCode(save(await tarGz({ "big.bin": Buffer.alloc(65 * 1024) })), Code.ResourceExhausted, /64 KiB/);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${String(i).padStart(2, "0")}.py`, "x"]));
    await expectCode(save(await tarGz(many)), Code.ResourceExhausted, /limit 20/);
    // Nothing of the rejected saves reached the slot.
    expect((await api.getDraft(ref(name))).draft?.codeHash).toBe("");
  });

  it("rejects a draft whose runtime does not match the app's", async () => {
    const name = fresh("mismatch");
    await api.createApp({ organizationName: ORG, name, runtime: Runtime.RUST });
    await expectCode(api.saveDraft({ ...ref(name), code: python() }), Code.InvalidArgument, /^code\.compile\.runtime: .*does not match/);
  });

  it("requires a Rust target, and a compile before publishing a Rust draft", async () => {
    const name = fresh("tiny");
    await api.createApp({ organizationName: ORG, name, runtime: Runtime.RUST });
    const crate = await tarGz({ "Cargo.toml": CARGO, "src/lib.rs": LIB_RS });
    await expectCode(api.saveDraft({ ...ref(name), code: await rustArchive(crate, RustTarget.UNSPECIFIED) }), Code.InvalidArgument, /^code\.compile\.runtime\.rust\.target: .*pass native or wasm/);
    const saved = await api.saveDraft({ ...ref(name), code: await rustArchive(crate) });
    expect(saved.draft?.compileState).toBe(CompileState.NOT_COMPILED);
    await expectCode(api.publishDraft(ref(name)), Code.FailedPrecondition, /not compiled.*CompileDraft/);

    const started = await api.compileDraft(ref(name));
    expect(started.draft?.compileState).toBe(CompileState.COMPILING);
    const lines = await api.streamCompileLogs({ ...ref(name), follow: true });
    expect(lines.map((l) => l.line)).toContain("checking Cargo.toml");
    expect(lines.at(-1)?.state).toBe(CompileState.SUCCEEDED);
    const draft = (await api.getDraft(ref(name))).draft;
    expect(draft?.compileState).toBe(CompileState.SUCCEEDED);
    expect(draft?.compiledCodeHash).toBe(saved.draft?.codeHash);
    expect((await api.publishDraft(ref(name))).publishedVersion).toBe(1);
  }, 300_000); // a real cargo build

  it("fails a compile naming the offending file and the fix", async () => {
    const name = fresh("broken");
    await api.createApp({ organizationName: ORG, name, runtime: Runtime.RUST });
    const crate = await tarGz({ "Cargo.toml": CARGO, "src/lib.rs": "async fn handler() {}\n" });
    await api.saveDraft({ ...ref(name), code: await rustArchive(crate) });
    await api.compileDraft(ref(name));
    const lines = await api.streamCompileLogs({ ...ref(name), follow: true });
    expect(lines.at(-1)?.state).toBe(CompileState.FAILED);
    const draft = (await api.getDraft(ref(name))).draft;
    expect(draft?.compileState).toBe(CompileState.FAILED);
    expect(draft?.compileError).toMatch(/^src\/lib\.rs: .*#\[ignite::main\]/);
    await expectCode(api.publishDraft(ref(name)), Code.FailedPrecondition, /compile failed/);
  });

  it("publishes versions N+1 with public URLs per port, lists them ascending, and rolls back", async () => {
    const name = fresh("multi.port");
    await api.createApp({ organizationName: ORG, name, ports: [80, 8080] });
    await expectCode(api.publishDraft(ref(name)), Code.FailedPrecondition, /no draft code/);
    await api.saveDraft({ ...ref(name), code: python() });
    const v1 = await api.publishDraft(ref(name));
    expect(v1.publishedVersion).toBe(1);
    const label = `${name.replace(".", "-dot-")}-${ORG}`;
    const port = t.emu.port;
    expect(v1.app?.publicUrls).toEqual([`http://${label}.ignite.localhost:${port}`, `http://${label}-8080.ignite.localhost:${port}`]);
    await api.saveDraft({ ...ref(name), code: python(Buffer.from("def handler(p, c):\n    return 2\n")) });
    expect((await api.publishDraft(ref(name))).publishedVersion).toBe(2);
    const listed = await api.listVersions(ref(name));
    expect(listed.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(listed.activeVersion).toBe(2);
    const rolled = await api.rollbackVersion({ ...ref(name), version: 1 });
    expect(rolled.app?.activeVersion).toBe(1);
    expect(rolled.app?.latestVersion).toBe(2);
    await expectCode(api.rollbackVersion({ ...ref(name), version: 9 }), Code.NotFound, /version 9/);
    // Versions are never reused: the next publish is 3, not 2.
    expect((await api.publishDraft(ref(name))).publishedVersion).toBe(3);
  });

  it("answers UNAUTHENTICATED without a token or with a wrong one", async () => {
    await expectCode(apiFor(kind, t, null).listApps({ organizationName: ORG }), Code.Unauthenticated);
    await expectCode(apiFor(kind, t, "not-a-token").listApps({ organizationName: ORG }), Code.Unauthenticated);
  });

  it("denies a caller of another org, except reading apps of the public org", async () => {
    const other = apiFor(kind, t, await t.emu.tokenFor("other-org"));
    const name = fresh("private");
    await api.createApp({ organizationName: ORG, name });
    await expectCode(other.getApp(ref(name)), Code.PermissionDenied, /other-org/);
    await expectCode(other.saveDraft({ ...ref(name), code: python() }), Code.PermissionDenied);

    const publisher = apiFor(kind, t, await t.emu.tokenFor("public"));
    const shared = fresh("shared");
    await publisher.createApp({ organizationName: "public", name: shared });
    expect((await other.getApp({ organizationName: "public", appName: shared })).app?.name).toBe(shared);
    await expectCode(other.deleteApp({ organizationName: "public", appName: shared }), Code.PermissionDenied);
  });
});

describe("the HTTP gateway", () => {
  let t: Local;
  beforeAll(async () => {
    t = await startLocal();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("answers malformed JSON with 400 INVALID_ARGUMENT in a google.rpc-style body", async () => {
    const res = await t.fetchJson("POST", `/v1/ignite/app/${ORG}`, "{not json");
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: Code.InvalidArgument, details: [] });
    expect((res.json as { message: string }).message).toMatch(/malformed JSON/);
  });

  it("renders pbjson: camelCase, enum wire names, int64 as strings, implicit fields present", async () => {
    const res = await t.fetchJson("POST", `/v1/ignite/app/${ORG}`, { name: "pbjson-shape", resourceTier: "RESOURCE_TIER_MEDIUM" });
    expect(res.status).toBe(200);
    const app = (res.json as { app: Record<string, unknown> }).app;
    expect(app).toMatchObject({ appId: `${ORG}/pbjson-shape`, resourceTier: "RESOURCE_TIER_MEDIUM", runtime: "RUNTIME_PYTHON", activeVersion: 0, publicUrls: [] });
    expect(typeof app.createTimeMs).toBe("string");
  });

  it("maps NOT_FOUND to 404 and PERMISSION_DENIED to 403", async () => {
    expect((await t.fetchJson("GET", `/v1/ignite/app/${ORG}/never-created`)).status).toBe(404);
    expect((await t.fetchJson("GET", `/v1/ignite/app/someone-else`)).status).toBe(403);
  });

  it("accepts camelCase query parameters for GET fields", async () => {
    const res = await t.fetchJson("GET", `/v1/ignite/app/${ORG}?pageSize=1`);
    expect(res.status).toBe(200);
    expect((res.json as { apps: unknown[] }).apps).toHaveLength(1);
  });
});
