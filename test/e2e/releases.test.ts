// Issue 10 (2): versions mean releases. Repairing an out-of-band rollback, un-pinning and
// going back to older code make the version that already carries the code active again
// (RollbackVersion) instead of publishing a duplicate; the `codeHash` output is the code that
// actually runs. The real pulumi CLI on a local Ignite, with exact platform call counts.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 240_000;

const PROGRAM = [
  `import * as pulumi from "@pulumi/pulumi";`,
  `import * as ignite from "pulumi-ignite";`,
  `const pin = new pulumi.Config().getNumber("pin");`,
  `const app = new ignite.App("rel", {});`,
  `const draft = new ignite.Draft("rel", { app, code: "./app" });`,
  `const release = new ignite.PublishedVersion("rel", { app, codeHash: draft.codeHash, version: pin });`,
  `export const codeHash = release.codeHash;`,
  `export const draftCodeHash = draft.codeHash;`,
  `export const activeVersion = release.activeVersion;`,
].join("\n");

const V1 = `def handler(payload, ctx):\n    return {"v": 1}\n`;
const V2 = `def handler(payload, ctx):\n    return {"v": 2}\n`;

describe("versions mean releases, end to end (issue 10, part 2)", () => {
  let ws: Workspace;
  let dir: string;
  const write = (source: string) => fs.writeFileSync(path.join(dir, "app", "handler.py"), source);
  const live = async () => {
    const res = await ws.client.listVersions({ organizationName: "acme-corp", appName: "rel" });
    return { active: res.activeVersion, versions: res.versions.map((v) => v.version), hashes: Object.fromEntries(res.versions.map((v) => [v.version, v.codeHash])) };
  };
  const outputs = async () => JSON.parse((await ws.ok(dir, ["stack", "output", "--json"])).stdout) as { codeHash: string; draftCodeHash: string; activeVersion: number };

  beforeAll(async () => {
    ws = await createWorkspace();
    dir = ws.project("releases", PROGRAM);
    fs.mkdirSync(path.join(dir, "app"));
    write(V1);
    await ws.initStack(dir);
    await ws.ok(dir, ["up", "--yes"]);
    write(V2);
    await ws.ok(dir, ["up", "--yes"]);
    expect((await live()).versions).toEqual([1, 2]);
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("an out-of-band rollback is repaired by making version 2 active again: one RollbackVersion, no new version", async () => {
    await ws.client.rollbackVersion({ organizationName: "acme-corp", appName: "rel", version: 1 });
    const preview = await ws.pulumi(dir, ["preview", "--expect-no-changes"]);
    expect(preview.code).not.toBe(0);
    expect(preview.all).toMatch(/acme-corp\/rel was moved to version 1 outside Pulumi; version 2, which carries the planned code, will be made active again \(RollbackVersion, no new version\)/);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ RollbackVersion: 1 });
    expect(await live()).toMatchObject({ active: 2, versions: [1, 2] });
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("pinning version 1: one RollbackVersion, and codeHash is version 1's code, not the Draft's", async () => {
    await ws.ok(dir, ["config", "set", "pin", "1"]);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ RollbackVersion: 1 });
    const l = await live();
    const out = await outputs();
    expect(out.activeVersion).toBe(1);
    expect(out.codeHash).toBe(l.hashes[1]);
    expect(out.draftCodeHash).toBe(l.hashes[2]);
    expect(out.codeHash).not.toBe(out.draftCodeHash);
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("un-pinning makes version 2 active again instead of publishing a version 3", async () => {
    await ws.ok(dir, ["config", "rm", "pin"]);
    await ws.resetCalls();
    const up = await ws.ok(dir, ["up", "--yes"]);
    expect(up.all).toMatch(/making acme-corp\/rel version 2 active again/);
    expect(mutations(await ws.calls())).toEqual({ RollbackVersion: 1 });
    const l = await live();
    expect(l).toMatchObject({ active: 2, versions: [1, 2] });
    expect((await outputs()).codeHash).toBe(l.hashes[2]);
  }, STEP);

  it("going back to version 1's code saves the draft and re-activates version 1: no PublishDraft", async () => {
    write(V1);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, RollbackVersion: 1 });
    const l = await live();
    expect(l).toMatchObject({ active: 1, versions: [1, 2] });
    expect((await outputs()).codeHash).toBe(l.hashes[1]);
  }, STEP);

  it("only code no version holds is published", async () => {
    write(`def handler(payload, ctx):\n    return {"v": 3}\n`);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    expect(await live()).toMatchObject({ active: 3, versions: [1, 2, 3] });
    await ws.ok(dir, ["refresh", "--yes", "--expect-no-changes"]);
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
  }, STEP);
});
