// The storage contract of the local Ignite (store.ts), run against both stores, as
// fake-gcs-server runs its suite against each backend: what is stored comes back as stored,
// never aliased to what a caller holds; drafts are replaced as a unit; a version is a snapshot
// of the draft, tree and artifact, that later drafts do not change; the files programs read are
// on disk with their content and modes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { AppMetaSchema, CompileLogLineSchema, CompileState, DraftSchema, ExecutionSchema, ExecutionStatus, VersionSchema } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { FileStore } from "../../src/emulator/fs-store";
import { MemoryStore } from "../../src/emulator/memory-store";
import type { Store, TreeFile } from "../../src/emulator/store";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-store-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const STORES: Array<[string, () => Promise<Store>]> = [
  ["file", () => FileStore.open(tmp())],
  ["memory", async () => new MemoryStore(tmp())],
];

const app = (org: string, name: string) => create(AppMetaSchema, { appId: `${org}/${name}`, organizationName: org, name, description: `${name}!` });
const tree = (text: string): TreeFile[] => [
  { path: "handler.py", data: Buffer.from(text), executable: false },
  { path: "bin/run.sh", data: Buffer.from("#!/bin/sh\n"), executable: true },
];
const draft = (hash: string) => ({ draft: create(DraftSchema, { appId: "acme/a", codeHash: hash, compileState: CompileState.NOT_REQUIRED }), compileLog: [] });

describe.each(STORES)("the %s store", (_name, open) => {
  it("stores apps and lists them by org, sorted; deletes say whether there was one", async () => {
    const store = await open();
    await store.putApp(app("acme", "b"));
    await store.putApp(app("acme", "a"));
    await store.putApp(app("zeta", "z"));
    expect(await store.listOrgs()).toEqual(["acme", "zeta"]);
    expect((await store.listApps("acme")).map((a) => a.name)).toEqual(["a", "b"]);
    expect(await store.listAppNames("acme")).toEqual(["a", "b"]);
    expect(await store.listAppNames("none")).toEqual([]);
    expect((await store.getApp("acme/a"))?.description).toBe("a!");
    expect(await store.getApp("acme/none")).toBeUndefined();
    expect(await store.deleteApp("zeta/z")).toBe(true);
    expect(await store.deleteApp("zeta/z")).toBe(false);
    expect(await store.listOrgs()).toEqual(["acme"]);
  });

  it("never aliases stored state to what the caller holds", async () => {
    const store = await open();
    const mine = app("acme", "a");
    await store.putApp(mine);
    mine.description = "changed after put";
    const read = (await store.getApp("acme/a"))!;
    expect(read.description).toBe("a!");
    read.description = "changed after get";
    expect((await store.getApp("acme/a"))!.description).toBe("a!");
  });

  it("never aliases a draft or a version to what the caller holds", async () => {
    const store = await open();
    await store.putApp(app("acme", "a"));
    await store.replaceDraft("acme/a", draft("sha256:one"), Buffer.from("x"), tree("v1"));
    const d = (await store.getDraft("acme/a"))!;
    d.draft.codeHash = "changed after get";
    d.compileLog.push(create(CompileLogLineSchema, { line: "added after get" }));
    expect((await store.getDraft("acme/a"))!.draft.codeHash).toBe("sha256:one");
    expect((await store.getDraft("acme/a"))!.compileLog).toEqual([]);
    const v = create(VersionSchema, { version: 1, codeHash: "sha256:one" });
    await store.createVersionFromDraft("acme/a", v);
    v.codeHash = "changed after create";
    const read = (await store.getVersion("acme/a", 1))!;
    expect(read.codeHash).toBe("sha256:one");
    read.codeHash = "changed after get";
    expect((await store.getVersion("acme/a", 1))!.codeHash).toBe("sha256:one");
  });

  it("replaces a draft as a unit and hands out its tree on disk, content and modes kept", async () => {
    const store = await open();
    await store.putApp(app("acme", "a"));
    expect(await store.getDraft("acme/a")).toBeUndefined();
    await store.replaceDraft("acme/a", draft("sha256:1"), Buffer.from("saved"), tree("v1"));
    const dir = await store.files.draftTree("acme/a");
    expect(fs.readFileSync(path.join(dir, "handler.py"), "utf8")).toBe("v1");
    expect(fs.statSync(path.join(dir, "bin", "run.sh")).mode & 0o111).not.toBe(0);
    await store.replaceDraft("acme/a", draft("sha256:2"), Buffer.from("saved"), tree("v2"));
    expect(fs.readFileSync(path.join(await store.files.draftTree("acme/a"), "handler.py"), "utf8")).toBe("v2");
    const meta = (await store.getDraft("acme/a"))!;
    expect(meta.draft.codeHash).toBe("sha256:2");
    meta.draft.compileState = CompileState.SUCCEEDED;
    await store.putDraftMeta("acme/a", meta);
    expect((await store.getDraft("acme/a"))!.draft.compileState).toBe(CompileState.SUCCEEDED);
  });

  it("snapshots the draft into a version, tree and artifact, which later drafts do not change", async () => {
    const store = await open();
    await store.putApp(app("acme", "a"));
    await store.replaceDraft("acme/a", draft("sha256:1"), Buffer.from("saved"), tree("one"));
    const artifact = path.join(tmp(), "bin");
    fs.writeFileSync(artifact, "ELF-one", { mode: 0o755 });
    await store.files.putDraftArtifact("acme/a", artifact);
    await store.createVersionFromDraft("acme/a", create(VersionSchema, { version: 1, codeHash: "sha256:1" }));
    await store.replaceDraft("acme/a", draft("sha256:2"), Buffer.from("saved"), tree("two"));
    await store.createVersionFromDraft("acme/a", create(VersionSchema, { version: 2, codeHash: "sha256:2" }));

    expect((await store.listVersions("acme/a")).map((v) => [v.version, v.codeHash])).toEqual([[1, "sha256:1"], [2, "sha256:2"]]);
    expect(fs.readFileSync(path.join(await store.files.versionTree("acme/a", 1), "handler.py"), "utf8")).toBe("one");
    expect(fs.readFileSync(path.join(await store.files.versionTree("acme/a", 2), "handler.py"), "utf8")).toBe("two");
    const one = (await store.files.versionArtifact("acme/a", 1))!;
    expect(fs.readFileSync(one, "utf8")).toBe("ELF-one");
    expect(fs.statSync(one).mode & 0o111).not.toBe(0);
    // A new draft drops the artifact: version 2 has none.
    expect(await store.files.versionArtifact("acme/a", 2)).toBeUndefined();
    expect(await store.getVersion("acme/a", 3)).toBeUndefined();
    expect(await store.getVersion("acme/a", 0)).toBeUndefined();
  });

  it("keeps executions with the org that invoked them, listed per app", async () => {
    const store = await open();
    const e = (id: string, appId: string) => create(ExecutionSchema, { id, appId, status: ExecutionStatus.COMPLETED });
    await store.putExecution({ execution: e("exec_1", "public/shared"), invokerOrg: "acme" });
    await store.putExecution({ execution: e("exec_2", "public/shared"), invokerOrg: "zeta" });
    await store.putExecution({ execution: e("exec_3", "acme/a"), invokerOrg: "acme" });
    expect(await store.getExecution("exec_2")).toMatchObject({ invokerOrg: "zeta", execution: { appId: "public/shared" } });
    expect(await store.getExecution("exec_404")).toBeUndefined();
    expect((await store.listExecutions("public/shared")).map((x) => x.id).sort()).toEqual(["exec_1", "exec_2"]);
  });
});

describe("the local Ignite on the memory store", () => {
  it("runs a published app from the trees it writes out, and writes no state files", async () => {
    const { startLocal, hostOf, httpCall } = await import("../support/local-ignite");
    const local = await startLocal({}, { store: "memory" });
    try {
      const url = (await local.deploy("mem", { "handler.py": "import os\ndef handler(p, c):\n    return os.getcwd()\n" })).publicUrls[0]!;
      const res = await httpCall(local.emu.port, { host: hostOf(url), headers: { authorization: `Bearer ${local.emu.token}` } });
      expect(res.status).toBe(200);
      // The pod ran in the version's tree, written out under the data dir's scratch space.
      expect(res.body.toString()).toContain(path.join(local.emu.dataDir, "data-plane", "memory-store"));
      expect(fs.existsSync(path.join(local.emu.dataDir, "apps"))).toBe(false);
    } finally {
      await local.stop();
    }
  });
});

// The file store keeps what it read and wrote in memory (fs-store.ts, RecordCache), so a read
// that was under way while a write or a removal ran must not leave the older record behind.
describe("the file store's memory of its records", () => {
  it("reads what the last write or removal left, even when first reads overlapped them", async () => {
    const dir = tmp();
    const before = await FileStore.open(dir);
    const N = 30;
    const ids = Array.from({ length: N }, (_, i) => `acme/r${i}`);
    for (const [i, id] of ids.entries()) {
      await before.putApp({ ...app("acme", `r${i}`), description: "old" });
      await before.replaceDraft(id, draft("sha256:old"), Buffer.from("x"), tree("old"));
    }
    // A store that has read nothing yet: each first read goes to the disk while the change runs.
    const store = await FileStore.open(dir);
    for (const [i, id] of ids.entries()) {
      await Promise.all([store.getApp(id), store.putApp({ ...app("acme", `r${i}`), description: "new" }), store.getApp(id)]);
      expect((await store.getApp(id))!.description).toBe("new");
      await Promise.all([store.getDraft(id), store.replaceDraft(id, draft("sha256:new"), Buffer.from("y"), tree("new")), store.getDraft(id)]);
      expect((await store.getDraft(id))!.draft.codeHash).toBe("sha256:new");
      await Promise.all([store.getDraft(id), store.putDraftMeta(id, draft("sha256:meta")), store.getDraft(id)]);
      expect((await store.getDraft(id))!.draft.codeHash).toBe("sha256:meta");
      await Promise.all([store.getApp(id), store.getDraft(id), store.deleteApp(id), store.getApp(id), store.getDraft(id)]);
      expect(await store.getApp(id)).toBeUndefined();
      expect(await store.getDraft(id)).toBeUndefined();
    }
    // And what it wrote is what the disk holds: a store opened afresh reads the same.
    expect(await (await FileStore.open(dir)).listApps("acme")).toEqual([]);
  });
});
