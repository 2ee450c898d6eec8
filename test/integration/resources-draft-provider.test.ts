// The Draft provider implementation (src/resources/provider-impl.ts) driven directly against a
// local Ignite over real sockets: configured the way the dynamic-provider host configures it,
// with inputs computed the way the Draft resource computes them (describeCode in the program,
// then the provider's check). Every platform call is counted by the local Ignite itself.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
// The class the dynamic-provider host builds from the stack config and hands to `configure`.
import { Config as HostConfig } from "@pulumi/pulumi/cmd/dynamic-provider/config.js";
import { createIgniteClient, type IgniteClient } from "../../src/client/index.js";
import { collectCodeSet, packCodeSet } from "../../src/code/index.js";
import type { Emulator } from "../../src/emulator/index.js";
import { eventually, startLocal, type Local } from "../support/local-ignite";
import { Runtime, RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { describeCode, type DraftInputs, type DraftOutputs } from "../../src/resources/draft.js";
import * as impl from "../../src/resources/provider-impl.js";

const HANDLER = 'def handler(payload, ctx):\n    return {"message": "hello"}\n';
const CARGO = '[package]\nname = "crab"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nignite = "*"\n';
// A crate that really builds: CompileDraft runs cargo.
const LIB_RS = 'use ignite::prelude::*;\n\n#[ignite::main]\nasync fn handler(_req: Request, _ctx: Context) -> Result<impl IntoResponse> {\n    Ok(Response::text("hello"))\n}\n';

describe("the Draft provider against a local Ignite", () => {
  let ignite: Emulator;
  let local: Local;
  let client: IgniteClient;
  let dir: string;
  const draft = impl.providers.draft;
  let logged: string[] = [];
  const realWrite = process.stderr.write.bind(process.stderr);

  const calls = async (): Promise<Record<string, number>> =>
    ((await (await fetch(`${ignite.httpUrl}/_ignite/calls`)).json()) as { calls: Record<string, number> }).calls;
  const resetCalls = async () => {
    await fetch(`${ignite.httpUrl}/_ignite/calls/reset`, { method: "POST" });
  };

  /** A code directory with these files, relative to the test's temp dir. */
  const codeDir = (name: string, files: Record<string, string>): string => {
    const root = path.join(dir, name);
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    }
    return root;
  };

  /** What `new ignite.Draft(...)` sends, after the engine ran the provider's check on it. */
  const planInputs = async (args: { app: string; code: string; rust?: { target: "native" | "wasm" }; __timeouts?: Record<string, number> }): Promise<DraftInputs> => {
    const described = await describeCode({ code: args.code });
    const checked = await draft.check!({}, { app: args.app, rust: args.rust, ...described, ...(args.__timeouts ? { __timeouts: args.__timeouts } : {}) });
    expect(checked.failures ?? []).toEqual([]);
    return checked.inputs as DraftInputs;
  };

  const createApp = async (name: string, runtime = Runtime.PYTHON) => {
    await client.createApp({ organizationName: ignite.org, name, runtime });
    return `${ignite.org}/${name}`;
  };

  const failureOf = async (p: Promise<unknown>): Promise<Error> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "expected the call to fail").toBeInstanceOf(Error);
    return err as Error;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-draft-provider-"));
    local = await startLocal();
    ignite = local.emu;
    client = createIgniteClient({ endpoint: ignite.grpcEndpoint, token: ignite.token });
    // The host passes the whole stack config, keyed "<namespace>:<key>".
    await impl.configure({
      config: new HostConfig({ "ignite:endpoint": ignite.grpcEndpoint, "ignite:organization": ignite.org, "ignite:token": ignite.token }, "draft-provider-test"),
    });
    // The provider talks to the person running `pulumi up` through its stderr.
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (realWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    logged = [];
  });
  afterAll(async () => {
    process.stderr.write = realWrite;
    client?.close();
    await local?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("create with the planned code saves it exactly once", async () => {
    const app = await createApp("planned");
    const code = codeDir("planned", { "handler.py": HANDLER, "requirements.txt": "requests\n" });
    const inputs = await planInputs({ app, code });
    expect(inputs.manifest).toEqual({ "handler.py": expect.stringMatching(/^sha256:/), "requirements.txt": expect.stringMatching(/^sha256:/) });
    await resetCalls();
    const { id, outs } = await draft.create(inputs);
    expect(id).toBe(`${app}/draft`);
    expect(outs).toMatchObject({ codeHash: inputs.codeHash, compileState: "not-required", files: ["handler.py", "requirements.txt"] });
    expect(await calls()).toMatchObject({ SaveDraft: 1 });
    expect((await calls()).CompileDraft ?? 0).toBe(0);
    expect((await client.getDraft({ organizationName: ignite.org, appName: "planned" })).draft?.codeHash).toBe(inputs.codeHash);
  });

  it("diff with the same inputs and the live draft unchanged reports no change; an out-of-band SaveDraft is a change", async () => {
    const app = await createApp("drift");
    const code = codeDir("drift", { "handler.py": HANDLER });
    const inputs = await planInputs({ app, code });
    const { id, outs } = await draft.create(inputs);

    await resetCalls();
    const same = await draft.diff!(id, outs as DraftOutputs, inputs);
    expect(same.changes).toBe(false);
    expect(same.replaces ?? []).toEqual([]);
    expect(await calls()).toEqual({ GetDraft: 1 }); // diff only reads

    await client.saveDraft({
      organizationName: ignite.org,
      appName: "drift",
      code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: Buffer.from("def handler(p, c):\n    return 'x'\n") } } } },
    });
    const drifted = await draft.diff!(id, outs as DraftOutputs, inputs);
    expect(drifted.changes).toBe(true);
    expect(drifted.replaces ?? []).toEqual([]);
    expect(logged.join("")).toContain(`the draft of ${app} was changed outside Pulumi (it holds other code`);

    // update puts the planned code back with one SaveDraft.
    await resetCalls();
    const { outs: repaired } = await draft.update!(id, outs as DraftOutputs, inputs);
    expect(repaired).toMatchObject({ codeHash: inputs.codeHash });
    expect((await calls()).SaveDraft).toBe(1);
    expect((await draft.diff!(id, repaired as DraftOutputs, inputs)).changes).toBe(false);
  });

  it("create refuses code that changed after the plan, naming the file, and uploads nothing", async () => {
    const app = await createApp("stale");
    const code = codeDir("stale", { "handler.py": HANDLER, "util.py": "X = 1\n" });
    const inputs = await planInputs({ app, code });
    fs.writeFileSync(path.join(code, "util.py"), "X = 2\n"); // edited between preview and up

    await resetCalls();
    const err = await failureOf(draft.create(inputs));
    expect(err.message).toContain(`ignite: Draft \`code\` "${inputs.code}" of ${app}`);
    expect(err.message).toMatch(/changed after preview: changed util\.py;/);
    expect(err.message).not.toContain("handler.py");
    expect(err.message).toContain(`expected ${inputs.codeHash}; run pulumi up again`);
    expect(err.message).toContain("Nothing was uploaded.");
    expect((await calls()).SaveDraft ?? 0).toBe(0);
    expect((await client.getDraft({ organizationName: ignite.org, appName: "stale" })).draft?.codeHash ?? "").toBe("");

    // Planning again (the next `pulumi up`) takes the edit and saves it.
    const replanned = await planInputs({ app, code });
    expect(replanned.codeHash).not.toBe(inputs.codeHash);
    await draft.create(replanned);
    expect((await calls()).SaveDraft).toBe(1);
  });

  it("update refuses stale inputs too: an added and a removed file are named, and the live draft stays as it was", async () => {
    const app = await createApp("stale-update");
    const code = codeDir("stale-update", { "handler.py": HANDLER, "old.py": "A = 1\n" });
    const first = await planInputs({ app, code });
    const { id, outs } = await draft.create(first);

    fs.writeFileSync(path.join(code, "handler.py"), HANDLER.replace("hello", "hi"));
    const second = await planInputs({ app, code }); // the preview of the edit
    fs.rmSync(path.join(code, "old.py"));
    fs.writeFileSync(path.join(code, "new.py"), "B = 2\n");

    await resetCalls();
    const err = await failureOf(draft.update!(id, outs as DraftOutputs, second));
    expect(err.message).toMatch(/changed after preview: .*added new\.py/);
    expect(err.message).toMatch(/changed after preview: .*removed old\.py/);
    expect(err.message).toContain("run pulumi up again");
    expect((await calls()).SaveDraft ?? 0).toBe(0);
    expect((await client.getDraft({ organizationName: ignite.org, appName: "stale-update" })).draft?.codeHash).toBe(first.codeHash);
  });

  // The program's crate check fails such a crate at preview (preview-cases.ts); a compile the
  // platform fails anyway (a real build error) reaches the user like this.
  it("a failed compile fails the Draft with the compile's error and log tail; nothing is published", async () => {
    const app = await createApp("broken-crab", Runtime.RUST);
    const code = codeDir("broken-crab", { "Cargo.toml": CARGO, "src/lib.rs": "async fn handler() {}\n" });
    const inputs = await planInputs({ app, code, rust: { target: "native" } });
    await resetCalls();
    const err = await failureOf(draft.create(inputs));
    expect(err.message).toContain(`ignite: CompileDraft ${app} failed: the compile failed: src/lib.rs: no \`#[ignite::main]\` attribute on an \`async fn handler\``);
    expect(err.message).toMatch(/Fix the build and save the draft again\. Last \d+ compile log lines:\n {2}\| /);
    expect(logged.join("")).toContain(`[compile ${app}] checking src/lib.rs`);
    expect(await calls()).toMatchObject({ SaveDraft: 1, CompileDraft: 1 });
    expect((await calls()).PublishDraft ?? 0).toBe(0);
  });

  it("a Rust draft saved with the same code but not compiled is compiled without a new SaveDraft", async () => {
    const app = await createApp("crab", Runtime.RUST);
    const code = codeDir("crab", { "Cargo.toml": CARGO, "src/lib.rs": LIB_RS });
    const inputs = await planInputs({ app, code, rust: { target: "native" } });
    await resetCalls();
    const { id, outs } = await draft.create(inputs);
    expect(outs).toMatchObject({ compileState: "succeeded", codeHash: inputs.codeHash });
    expect(await calls()).toMatchObject({ SaveDraft: 1, CompileDraft: 1 });
    expect(logged.join("")).toContain(`[compile ${app}] compile succeeded`);
    expect((await draft.diff!(id, outs as DraftOutputs, inputs)).changes).toBe(false);

    // The same bytes saved again outside Pulumi: the platform resets the compile state.
    const archive = await packCodeSet(await collectCodeSet({ path: code }));
    const resaved = await client.saveDraft({
      organizationName: ignite.org,
      appName: "crab",
      code: { source: { case: "compile", value: { runtime: { runtime: { case: "rust", value: { target: RustTarget.NATIVE } } }, input: { case: "archive", value: archive } } } },
    });
    expect(resaved.draft?.codeHash).toBe(inputs.codeHash);
    expect(resaved.draft?.compiledCodeHash).toBe(inputs.codeHash); // compiled once, but not now

    logged = [];
    const diff = await draft.diff!(id, outs as DraftOutputs, inputs);
    expect(diff.changes).toBe(true);
    expect(logged.join("")).toContain(`the draft of ${app} is not compiled (not-compiled); it will be compiled`);

    await resetCalls();
    const { outs: compiled } = await draft.update!(id, outs as DraftOutputs, inputs);
    expect(compiled).toMatchObject({ compileState: "succeeded", codeHash: inputs.codeHash });
    const c = await calls();
    expect(c.CompileDraft).toBe(1);
    expect(c.SaveDraft ?? 0).toBe(0);
  }, 300_000); // a real cargo build

  // Issue 10 (4): customTimeouts reach the provider as an internal input and bound the compile wait.
  it("customTimeouts.create bounds the wait for a compile: the create stops then, naming the option, and the compile goes on", async () => {
    const app = await createApp("slow-crab", Runtime.RUST);
    const code = path.join(dir, "slow-crab");
    fs.cpSync(path.join(__dirname, "..", "fixtures", "rust-slow-build"), code, { recursive: true });
    const inputs = await planInputs({ app, code, rust: { target: "native" }, __timeouts: { create: 2 } });
    expect(inputs.__timeouts).toEqual({ create: 2 });
    await resetCalls();
    const started = Date.now();
    const err = await failureOf(draft.create(inputs));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.message).toMatch(new RegExp(`^ignite: creating ${app} took longer than its customTimeouts\\.create \\(2 s\\) allows, and was stopped: .*Raise customTimeouts\\.create`, "s"));
    expect(await calls()).toMatchObject({ SaveDraft: 1, CompileDraft: 1 });
    // What the platform accepted goes on: the compile is still running, and is not started again by the next up.
    const live = (await client.getDraft({ organizationName: ignite.org, appName: "slow-crab" })).draft!;
    expect(live.codeHash).toBe(inputs.codeHash);
  }, 60_000);
  it("an App's check reads ahead what its resources' diffs need: one GetApp for the App's and the PublishedVersion's diffs, GetDraft for the Draft's; each used as often as started, and not after a change (read-ahead.ts)", async () => {
    const app = await createApp("ahead");
    const code = codeDir("ahead", { "handler.py": HANDLER });
    const inputs = await planInputs({ app, code });
    const { id, outs } = await draft.create(inputs);
    await client.publishDraft({ organizationName: ignite.org, appName: "ahead" });
    const created = Number((await client.getApp({ organizationName: ignite.org, appName: "ahead" })).app!.createTimeMs);
    const appInputs = { organization: ignite.org, name: "ahead", appId: app, runtime: "python" };
    // The state a PublishedVersion wrote when it published version 1 of this app.
    const version = { app, codeHash: inputs.codeHash, version: 1, activeVersion: 1, pinned: false, draftCodeHash: inputs.codeHash, appCreateTimeMs: created };
    const pv = impl.providers.publishedVersion;

    await resetCalls();
    const checked = await impl.providers.app.check!(appInputs, appInputs);
    expect(checked.failures ?? []).toEqual([]);
    // The reads are under way before any diff asks.
    await eventually(async () => ((c) => (c.GetApp === 1 && c.GetDraft === 1) || undefined)(await calls()), "the reads ahead");
    await impl.providers.app.diff!(app, checked.inputs, checked.inputs);
    expect((await draft.diff!(id, outs as DraftOutputs, inputs)).changes).toBe(false);
    expect((await pv.diff!(`${app}/published`, version, { app, codeHash: inputs.codeHash })).changes).toBe(false);
    // The app's metadata shows the same app at the same version: no ListVersions.
    expect(await calls()).toMatchObject({ GetApp: 1, GetDraft: 1 });
    expect((await calls()).ListVersions ?? 0).toBe(0);
    // Used as often as started: the next diffs read live.
    await draft.diff!(id, outs as DraftOutputs, inputs);
    expect((await calls()).GetDraft).toBe(2);
    await pv.diff!(`${app}/published`, version, { app, codeHash: inputs.codeHash });
    expect((await calls()).GetApp).toBe(2);

    // A change this process makes drops what was read ahead for the app.
    await impl.providers.app.check!(appInputs, appInputs);
    await eventually(async () => ((await calls()).GetApp === 3) || undefined, "the reads ahead");
    const changed = await planInputs({ app, code: codeDir("ahead-2", { "handler.py": HANDLER.replace("hello", "hello again") }) });
    await draft.update!(id, outs as DraftOutputs, changed);
    expect((await calls()).SaveDraft).toBe(1);
    // The active version does not carry the new code: the plan needs every version.
    expect((await pv.diff!(`${app}/published`, version, { app, codeHash: changed.codeHash })).changes).toBe(true);
    // (The update read the app live: GetApp 4; the diff after it too: 5.)
    expect(await calls()).toMatchObject({ GetApp: 5, ListVersions: 1 });
  });

  it("from an organization's second app on, the apps' reads ahead come from one listing (ListApps pages), not a GetApp each; an app changed since is read on its own", async () => {
    const names = ["list-a", "list-b", "list-c"];
    for (const n of names) await createApp(n);
    const check = (n: string) => {
      const inputs = { organization: ignite.org, name: n, appId: `${ignite.org}/${n}`, runtime: "python" };
      return impl.providers.app.check!(inputs, inputs).then((c) => impl.providers.app.diff!(inputs.appId, c.inputs, c.inputs));
    };
    await resetCalls();
    for (const n of names) expect((await check(n)).changes).toBe(false);
    const c = await calls();
    // The first app of the organization this process checks is read on its own (another test
    // of this file may have been the first); the others come from one listing (the connection
    // check's ListApps of one app comes first when this test runs alone).
    expect(c.GetApp ?? 0).toBeLessThanOrEqual(1);
    expect(c.ListApps).toBe((c.GetApp ?? 0) + 1);
    // Changed elsewhere after the listing: an update reads live, never what was read ahead...
    await client.updateAppConfig({ organizationName: ignite.org, appName: "list-b", description: "changed elsewhere", updateMask: { paths: ["description"] } });
    const b = { organization: ignite.org, name: "list-b", appId: `${ignite.org}/list-b`, runtime: "python" };
    const checked = await impl.providers.app.check!(b, b);
    await resetCalls();
    await impl.providers.app.update!(b.appId, checked.inputs, checked.inputs);
    expect(await calls()).toMatchObject({ GetApp: 1, UpdateAppConfig: 1 });
    // ...and an app this process changed is not answered from a listing made before the change.
    await resetCalls();
    const again = await impl.providers.app.check!(b, b);
    expect((await impl.providers.app.diff!(b.appId, again.inputs, again.inputs)).changes).toBe(false);
    expect((await calls()).GetApp).toBe(1);
  });

  it("an organization's listing reads page after page until the last, and no more than its page cap", async () => {
    // An organization of its own, so the listing holds exactly the apps made here.
    const org = "listing-pages";
    const own = createIgniteClient({ endpoint: ignite.grpcEndpoint, token: await ignite.tokenFor(org) });
    try {
      const names = ["p1", "p2", "p3", "p4", "p5"];
      for (const name of names) await own.createApp({ organizationName: org, name, runtime: Runtime.PYTHON });
      await resetCalls();
      // Pages of two: three pages hold the five apps; the third says there is no next one.
      const all = await impl.listOrganization(own, org, 2, 10);
      expect([...all.keys()].sort()).toEqual(names);
      expect(all.get("p5")?.appId).toBe(`${org}/p5`);
      expect((await calls()).ListApps).toBe(3);
      // At most two pages: the first four apps, and no third call.
      await resetCalls();
      const capped = await impl.listOrganization(own, org, 2, 2);
      expect([...capped.keys()].sort()).toEqual(["p1", "p2", "p3", "p4"]);
      expect((await calls()).ListApps).toBe(2);
    } finally {
      own.close();
    }
  });

  it("a PublishedVersion's diff lists the versions when the app's metadata cannot vouch for the state: another app of the same name, another active version, or state without the app's create time", async () => {
    const app = await createApp("vouch");
    const inputs = await planInputs({ app, code: codeDir("vouch", { "handler.py": HANDLER }) });
    await draft.create(inputs);
    await client.publishDraft({ organizationName: ignite.org, appName: "vouch" });
    const created = Number((await client.getApp({ organizationName: ignite.org, appName: "vouch" })).app!.createTimeMs);
    const state = { app, codeHash: inputs.codeHash, version: 1, activeVersion: 1, pinned: false, draftCodeHash: inputs.codeHash, appCreateTimeMs: created };
    const pv = impl.providers.publishedVersion;
    const listed = async (olds: Record<string, unknown>, expectChanges: boolean) => {
      await resetCalls();
      expect((await pv.diff!(`${app}/published`, olds as never, { app, codeHash: inputs.codeHash })).changes).toBe(expectChanges);
      return (await calls()).ListVersions ?? 0;
    };
    expect(await listed(state, false)).toBe(0);
    const { appCreateTimeMs: _, ...older } = state;
    expect(await listed(older, false)).toBe(1);
    // Version 2 made active elsewhere with the same code: listed, and still no change to make.
    expect(await listed({ ...state, activeVersion: 2, version: 2 }, false)).toBe(1);

    // The app deleted and created again, its version 1 carrying other code: the same version
    // number and the same active version, but not the app this state describes.
    await client.deleteApp({ organizationName: ignite.org, appName: "vouch" });
    await new Promise((r) => setTimeout(r, 5));
    await createApp("vouch");
    const other = await planInputs({ app, code: codeDir("vouch-2", { "handler.py": HANDLER.replace("hello", "other") }) });
    await draft.create(other);
    await client.publishDraft({ organizationName: ignite.org, appName: "vouch" });
    expect(await listed(state, true)).toBe(1);
  });
});
