// Upgrading pulumi-ignite must not make every resource show a diff (issue 11). Each resource's
// state holds the serialized provider (`__provider`); a new version of the package may
// serialize it differently: up to issue 11's last change every install wrote the provider
// object's code (~2.7 kB, what a linked package still writes); an install under node_modules
// now writes a require of its module. The engine hands the new text to the provider's diff, which
// compares what the program asks for with the platform, so a changed `__provider` alone is no
// change: the preview is empty and `up` makes no platform call but reads. The older text left
// in state keeps working: it is only a loader of the installed package.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, repo, type Workspace } from "./harness.js";

const requireHere = createRequire(__filename);

/** The provider of each resource type serialized by value, as a package loaded from outside node_modules writes it. */
async function byValue(): Promise<Record<string, string>> {
  const { serializeFunction } = requireHere("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: (f: () => unknown, o: object) => Promise<{ text: string }> };
  const { providerShim } = requireHere(path.join(repo, "dist", "resources", "shims", "index.js")) as { providerShim: (kind: string) => unknown };
  const texts: Record<string, string> = {};
  for (const [type, kind] of [["App", "app"], ["Draft", "draft"], ["PublishedVersion", "publishedVersion"]]) {
    const provider = providerShim(kind!);
    texts[`pulumi-nodejs:dynamic/ignite:${type}`] = (await serializeFunction(() => provider, { allowSecrets: true })).text;
  }
  return texts;
}

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

    // What an earlier version left: the provider object's code in every resource, where this
    // install writes a require of its module (with a line added, to find it again below).
    const older = await byValue();
    const exported = JSON.parse((await ws.ok(dir, ["stack", "export"])).stdout);
    let rewritten = 0;
    for (const r of exported.deployment.resources as Array<{ type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }>) {
      for (const props of [r.inputs, r.outputs]) {
        if (typeof props?.__provider === "string") {
          expect(props.__provider).toMatch(/require\("pulumi-ignite\/(dist\/)?resources\/shims\//);
          expect(older[r.type]).toContain("pulumi-ignite/resources/provider-impl");
          props.__provider = `${older[r.type]}\n// serialized by pulumi-ignite 0.0.1\n`;
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
