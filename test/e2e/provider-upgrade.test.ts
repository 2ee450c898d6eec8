// Upgrading pulumi-ignite must not make every resource show a diff (issue 11). Each resource's
// state holds the serialized provider (`__provider`); a new version of the package may
// serialize it differently (issue 11 made it one shared object per kind: the same text, but a
// later change need not be). The engine hands the new text to the provider's diff, which
// compares what the program asks for with the platform, so a changed `__provider` alone is no
// change: the preview is empty and `up` makes no platform call but reads. The older text left
// in state keeps working: it is only a loader of the installed package.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 240_000;

describe("upgrading the package, end to end", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await createWorkspace();
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("a __provider written by another version of the package is no change (issue 11)", async () => {
    const dir = ws.project(
      "upgrade",
      [
        `import * as ignite from "pulumi-ignite";`,
        `const app = new ignite.App("upgraded", {});`,
        `const draft = new ignite.Draft("upgraded", { app, code: "./app" });`,
        `new ignite.PublishedVersion("upgraded", { app, codeHash: draft.codeHash });`,
      ].join("\n"),
    );
    fs.mkdirSync(path.join(dir, "app"));
    fs.writeFileSync(path.join(dir, "app", "handler.py"), "def handler(payload, ctx):\n    return {'ok': True}\n");
    await ws.initStack(dir);
    await ws.ok(dir, ["up", "--yes"]);

    // What an earlier version would have left: another serialized provider in every resource
    // (here the current one with a line added, so it still works for reads and deletes).
    const exported = JSON.parse((await ws.ok(dir, ["stack", "export"])).stdout);
    let rewritten = 0;
    for (const r of exported.deployment.resources as Array<{ inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }>) {
      for (const props of [r.inputs, r.outputs]) {
        if (typeof props?.__provider === "string") {
          props.__provider = `${props.__provider}\n// serialized by pulumi-ignite 0.0.1\n`;
          rewritten++;
        }
      }
    }
    expect(rewritten).toBe(6);
    const file = path.join(ws.dir, "upgrade-state.json");
    fs.writeFileSync(file, JSON.stringify(exported));
    await ws.ok(dir, ["stack", "import", "--file", file]);

    const preview = await ws.ok(dir, ["preview", "--diff", "--expect-no-changes"]);
    expect(preview.all).not.toMatch(/__provider/);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes", "--expect-no-changes"]);
    expect(mutations(await ws.calls())).toEqual({});
    // The engine leaves an unchanged resource's state as it was, older provider text included;
    // that text only loads the installed package, so refresh (read) and destroy (delete), which
    // run through the state's text, work with it.
    expect((await ws.ok(dir, ["stack", "export"])).stdout).toContain("serialized by pulumi-ignite 0.0.1");
    await ws.ok(dir, ["refresh", "--yes", "--expect-no-changes"]);
    await ws.ok(dir, ["destroy", "--yes"]);
  }, STEP);
});
