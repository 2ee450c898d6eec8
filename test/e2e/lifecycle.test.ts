// The examples through their whole life with the real pulumi CLI on a local Ignite: up,
// no-op preview, touch, refresh, a one-file edit, drift, a scaling-only edit, a rollback pin,
// destroy. Each step counts the platform calls it caused.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 240_000;

describe("the examples, end to end", () => {
  let ws: Workspace;
  let project: string;
  const edit = (file: string, from: string, to: string) => {
    const p = path.join(project, file);
    const text = fs.readFileSync(p, "utf8");
    expect(text).toContain(from);
    fs.writeFileSync(p, text.replace(from, to));
  };
  const app = async (name: string) => (await ws.client.getApp({ organizationName: ws.ignite.org, appName: name })).app!;

  beforeAll(async () => {
    ws = await createWorkspace();
    project = ws.copy("examples");
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: ignite-examples\nruntime: nodejs\nmain: index.ts\n");
    await ws.initStack(project);
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("up creates greet, tabler, tiny, greet-deno and greet-go at version 1 with their public URLs", async () => {
    const r = await ws.ok(project, ["up", "--yes"]);
    expect(r.all).toContain("[compile acme-corp/tiny]"); // the Rust compile log is shown
    const port = new URL(ws.ignite.httpUrl).port;
    const out = JSON.parse((await ws.ok(project, ["stack", "output", "--json"])).stdout).apps;
    for (const name of ["greet", "tabler", "tiny", "greet-deno", "greet-go"]) {
      expect(out[name]).toEqual({
        appId: `acme-corp/${name}`,
        activeVersion: 1,
        publicUrls: [`http://${name}-acme-corp.ignite.localhost:${port}`],
      });
      expect((await app(name)).activeVersion).toBe(1);
    }
    expect((await ws.client.getDraft({ organizationName: "acme-corp", appName: "tiny" })).draft?.compiledCodeHash).toMatch(/^sha256:/);
  }, STEP);

  it("a following preview (and up) makes no change and no mutating call", async () => {
    await ws.resetCalls();
    await ws.ok(project, ["preview", "--expect-no-changes"]);
    const r = await ws.ok(project, ["up", "--yes"]);
    expect(r.all).toMatch(/16 unchanged/);
    expect(mutations(await ws.calls())).toEqual({});
  }, STEP);

  it("touching files (mtime only) changes nothing", async () => {
    const later = new Date(Date.now() + 60_000);
    for (const f of ["greet/app/handler.py", "tabler/app/handler.py", "tiny/app/src/lib.rs"]) fs.utimesSync(path.join(project, f), later, later);
    await ws.ok(project, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("refresh after up is clean", async () => {
    await ws.ok(project, ["refresh", "--yes", "--expect-no-changes"]);
  }, STEP);

  it("editing one file shows that file in the diff and makes exactly one SaveDraft and one PublishDraft", async () => {
    edit("greet/app/handler.py", `"Hello, {name}!"`, `"Hi, {name}!"`);
    const preview = await ws.ok(project, ["preview", "--diff"]);
    expect(preview.all).toMatch(/~ manifest\s*: \{\s*~ handler\.py: "sha256:[0-9a-f]+" => "sha256:[0-9a-f]+"/);
    expect(preview.all).toMatch(/2 to update/);
    await ws.resetCalls();
    await ws.ok(project, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    expect((await app("greet")).activeVersion).toBe(2);
    expect((await app("tabler")).activeVersion).toBe(1);
  }, STEP);

  it("a draft saved out of band is detected by preview and repaired by up", async () => {
    await ws.client.saveDraft({
      organizationName: "acme-corp",
      appName: "greet",
      code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: Buffer.from("def handler(p, c):\n    return 'x'\n") } } } },
    });
    const preview = await ws.pulumi(project, ["preview", "--expect-no-changes"]);
    expect(preview.code).not.toBe(0);
    expect(preview.all).toMatch(/draft of acme-corp\/greet was changed outside Pulumi/);
    await ws.resetCalls();
    await ws.ok(project, ["up", "--yes"]);
    // The active version already carries the planned code: only the draft is put back.
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1 });
    await ws.ok(project, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("editing scaling only updates the App in place: UpdateAppConfig, no new version", async () => {
    edit("greet/greet.ts", `resourceTier: "small",`, `resourceTier: "small",\n    scaling: { maxReplicas: 2, scaledownPeriodSecs: 60 },`);
    const preview = await ws.ok(project, ["preview", "--diff"]);
    expect(preview.all).toMatch(/maxReplicas\s*: 5 => 2/);
    expect(preview.all).toMatch(/1 to update/);
    await ws.resetCalls();
    await ws.ok(project, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1 });
    const greet = await app("greet");
    expect(greet.scaling).toMatchObject({ maxReplicas: 2, scaledownPeriodSecs: 60 });
    expect(greet.activeVersion).toBe(2);
  }, STEP);

  it("scaling edited out of band shows in preview and up sets it back", async () => {
    await ws.client.updateAppConfig({ organizationName: "acme-corp", appName: "greet", scaling: { maxReplicas: 4 }, updateMask: { paths: ["scaling"] } });
    const preview = await ws.pulumi(project, ["preview", "--expect-no-changes"]);
    expect(preview.all).toMatch(/app acme-corp\/greet: changed outside Pulumi: scaling\.maxReplicas 4 → 2, scaling\.scaledownPeriodSecs 300 → 60 \(live → this program\)/);
    await ws.ok(project, ["up", "--yes"]);
    expect((await app("greet")).scaling?.maxReplicas).toBe(2);
  }, STEP);

  it("pinning version: 1 rolls back", async () => {
    edit("greet/greet.ts", "codeHash: draft.codeHash,", "codeHash: draft.codeHash,\n    version: 1,");
    await ws.resetCalls();
    await ws.ok(project, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ RollbackVersion: 1 });
    expect((await app("greet")).activeVersion).toBe(1);
    await ws.ok(project, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("destroy leaves no app on the local Ignite", async () => {
    await ws.ok(project, ["destroy", "--yes"]);
    const apps = (await ws.client.listApps({ organizationName: "acme-corp" })).apps;
    expect(apps.map((a) => a.name)).toEqual([]);
  }, STEP);
});
