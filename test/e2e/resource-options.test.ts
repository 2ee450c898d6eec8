// Issue 10 (4): Pulumi's resource options do what Pulumi users expect, with the real pulumi CLI
// on a local Ignite: customTimeouts bound what an operation waits for; ignoreChanges leaves
// an ignored field alone on the live app too; refresh (and preview --refresh --diff) show each
// drifted field old → new on its own resource; an adoption shows as one in the preview; a
// per-stack name prefix keeps two stacks of one program apart.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScaleMetric } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 240_000;
const HANDLER = (v: number) => `def handler(payload, ctx):\n    return {"ok": True, "v": ${v}}\n`;

const program = (...lines: string[]) => [`import * as pulumi from "@pulumi/pulumi";`, `import * as ignite from "pulumi-ignite";`, `const cfg = new pulumi.Config();`, ...lines].join("\n");

describe("resource options, end to end (issue 10, part 4)", () => {
  let ws: Workspace;
  const getApp = async (name: string) => (await ws.client.getApp({ organizationName: "acme-corp", appName: name })).app!;
  const withCode = (dir: string, source: string) => {
    fs.mkdirSync(path.join(dir, "app"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "handler.py"), source);
  };

  beforeAll(async () => {
    ws = await createWorkspace();
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("customTimeouts: a create of \"5s\" stops its health check after 5 s instead of waiting through a minute-long cold start", async () => {
    const dir = ws.project(
      "timeouts",
      program(
        `const app = new ignite.App("slow", {});`,
        `const draft = new ignite.Draft("slow", { app, code: "./app" });`,
        `new ignite.PublishedVersion("slow", { app, codeHash: draft.codeHash, healthCheck: { timeoutSecs: 300 } }, { customTimeouts: { create: "5s" } });`,
      ),
    );
    withCode(dir, `import time\ntime.sleep(90)\n\n\ndef handler(payload, ctx):\n    return {"ok": True}\n`);
    await ws.initStack(dir);
    await ws.resetCalls();
    const started = Date.now();
    const up = await ws.pulumi(dir, ["up", "--yes"]);
    const took = Date.now() - started;
    const shown = up.all.replace(/\s+/g, " ");
    expect(up.code).not.toBe(0);
    expect(shown).toMatch(/acme-corp\/slow version 1 failed its health check: GET http:\/\/slow-acme-corp\.ignite\.localhost:\d+\/ no answer within [\d.]+ s after 1 attempt \(cut short by customTimeouts\.create, 5 s\)/);
    expect(shown).toMatch(/no earlier version to roll back to/);
    expect(took).toBeLessThan(60_000); // the cold start alone takes 90 s
    expect(mutations(await ws.calls())).toEqual({ CreateApp: 1, SaveDraft: 1, PublishDraft: 1 });
    await ws.ok(dir, ["destroy", "--yes"]);
  }, STEP);

  it("customTimeouts that are not durations fail the preview, naming the option", async () => {
    const dir = ws.project("bad-timeouts", program(`new ignite.App("t", {}, { customTimeouts: { update: "soon" } });`));
    await ws.initStack(dir);
    await ws.resetCalls();
    const preview = await ws.pulumi(dir, ["preview"]);
    expect(preview.code).not.toBe(0);
    // The engine itself refuses it when the resource registers (the provider's check would too).
    expect(preview.all.replace(/\s+/g, " ")).toMatch(/unable to parse customTimeout Value soon|customTimeouts\.update.* must be a duration like "30s"/);
    expect(mutations(await ws.calls())).toEqual({});
  }, STEP);

  describe("ignoreChanges: [\"scaling\"]", () => {
    let dir: string;
    beforeAll(async () => {
      dir = ws.project("ignore", program(`new ignite.App("keep", { description: cfg.get("description") ?? "v1", scaling: { maxReplicas: 2 } }, { ignoreChanges: ["scaling"] });`));
      await ws.initStack(dir);
      await ws.ok(dir, ["up", "--yes"]);
      await ws.client.updateAppConfig({ organizationName: "acme-corp", appName: "keep", scaling: { maxReplicas: 4 }, updateMask: { paths: ["scaling.max_replicas"] } });
    }, STEP);

    it("a scaling change made outside Pulumi is not a change: preview and up leave it", async () => {
      await ws.resetCalls();
      await ws.ok(dir, ["preview", "--expect-no-changes"]);
      await ws.ok(dir, ["up", "--yes", "--expect-no-changes"]);
      expect(mutations(await ws.calls())).toEqual({});
      expect((await getApp("keep")).scaling?.maxReplicas).toBe(4);
    }, STEP);

    it("another field's update keeps the live scaling: one UpdateAppConfig without it", async () => {
      await ws.ok(dir, ["config", "set", "description", "v2"]);
      await ws.resetCalls();
      await ws.ok(dir, ["up", "--yes"]);
      expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1 });
      const app = await getApp("keep");
      expect(app.description).toBe("v2");
      expect(app.scaling?.maxReplicas).toBe(4);
    }, STEP);
  });

  describe("drift, shown per resource and field", () => {
    let dir: string;
    let hashes: Record<number, string>;
    beforeAll(async () => {
      dir = ws.project(
        "drift",
        program(
          `const app = new ignite.App("drifty", { description: "mine", scaling: { maxReplicas: 2 }, env: { MODE: "prod" } });`,
          `const draft = new ignite.Draft("drifty", { app, code: "./app" });`,
          `new ignite.PublishedVersion("drifty", { app, codeHash: draft.codeHash });`,
        ),
      );
      withCode(dir, HANDLER(1));
      await ws.initStack(dir);
      await ws.ok(dir, ["up", "--yes"]);
      withCode(dir, HANDLER(2));
      await ws.ok(dir, ["up", "--yes"]);
      hashes = Object.fromEntries((await ws.client.listVersions({ organizationName: "acme-corp", appName: "drifty" })).versions.map((v) => [v.version, v.codeHash]));
      // Someone edits the app and rolls it back by hand.
      await ws.client.updateAppConfig({
        organizationName: "acme-corp",
        appName: "drifty",
        description: "theirs",
        scaling: { maxReplicas: 4, scaleMetric: ScaleMetric.REQUEST_RATE },
        env: { MODE: "prod", SIDECAR: "sidecar-token-0042" },
        updateMask: { paths: ["description", "scaling.max_replicas", "env"] },
      });
      await ws.client.rollbackVersion({ organizationName: "acme-corp", appName: "drifty", version: 1 });
    }, 2 * STEP);

    it("preview (without refresh) names each drifted field with both values", async () => {
      const preview = await ws.pulumi(dir, ["preview", "--expect-no-changes"]);
      expect(preview.code).not.toBe(0);
      expect(preview.all).toMatch(/app acme-corp\/drifty: changed outside Pulumi: description "theirs" → "mine"; scaling\.maxReplicas 4 → 2; env \(SIDECAR removed\) \(live → this program\)/);
      expect(preview.all).not.toContain("sidecar-token-0042");
    }, STEP);

    it("preview --refresh --diff shows each drifted field old → new on its own resource", async () => {
      await ws.resetCalls();
      const preview = await ws.ok(dir, ["preview", "--refresh", "--diff"]);
      // What the refresh found on the platform …
      const found = section(preview.all, "ignite:App", "refresh");
      expect(found).toMatch(/~ description\s*: "mine" => "theirs"/);
      expect(found).toMatch(/~ maxReplicas\s*: 2 => 4/);
      expect(section(preview.all, "ignite:PublishedVersion", "refresh")).toMatch(/~ activeVersion\s*: 2 => 1/);
      // … and what up will set back, old → new, on each resource.
      const app = section(preview.all, "ignite:App", "update");
      expect(app).toMatch(/~ description\s*: "theirs" => "mine"/);
      expect(app).toMatch(/~ maxReplicas\s*: 4 => 2/);
      expect(app).toMatch(/- SIDECAR: \[secret\]/); // set elsewhere: shown, its value kept secret
      const release = section(preview.all, "ignite:PublishedVersion", "update");
      expect(release).toMatch(new RegExp(`~ codeHash\\s*: "${hashes[1]}" => "${hashes[2]}"`));
      expect(preview.all).not.toContain("sidecar-token-0042");
      expect(mutations(await ws.calls())).toEqual({});
    }, STEP);

    it("pulumi refresh shows what changed on each resource, and the refreshed state keeps the program's view for up", async () => {
      const refresh = await ws.ok(dir, ["refresh", "--yes", "--diff"]);
      const app = section(refresh.all, "ignite:App", "update");
      expect(app).toMatch(/~ description\s*: "mine" => "theirs"/);
      expect(app).toMatch(/~ maxReplicas\s*: 2 => 4/);
      expect(section(refresh.all, "ignite:PublishedVersion", "update")).toMatch(/~ activeVersion\s*: 2 => 1/);
      // A variable set elsewhere is stored encrypted.
      expect((await ws.ok(dir, ["stack", "export"])).stdout).not.toContain("sidecar-token-0042");
      // After the refresh, a plain preview --diff shows the same fields, old → new.
      const preview = await ws.ok(dir, ["preview", "--diff"]);
      expect(section(preview.all, "ignite:App", "update")).toMatch(/~ maxReplicas\s*: 4 => 2/);
      expect(section(preview.all, "ignite:PublishedVersion", "update")).toMatch(new RegExp(`~ codeHash\\s*: "${hashes[1]}" => "${hashes[2]}"`));
      await ws.resetCalls();
      await ws.ok(dir, ["up", "--yes"]);
      expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1, RollbackVersion: 1 });
      await ws.ok(dir, ["preview", "--expect-no-changes"]);
      await ws.ok(dir, ["refresh", "--yes", "--expect-no-changes"]);
    }, STEP);
  });

  it("an app that up will adopt shows as an adoption in the preview, then is adopted with one UpdateAppConfig", async () => {
    await ws.client.createApp({ organizationName: "acme-corp", name: "heirloom", description: "made by hand" });
    const dir = ws.project("adopt-preview", program(`new ignite.App("heirloom", { description: "managed now", adopt: true });`));
    await ws.initStack(dir);
    await ws.resetCalls();
    const preview = await ws.ok(dir, ["preview", "--diff"]);
    expect(preview.all).toMatch(/adopting\s*: "adopt existing app acme-corp\/heirloom \(no CreateApp; no published version\): UpdateAppConfig sets description: \\"made by hand\\" → \\"managed now\\""/);
    await ws.ok(dir, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ UpdateAppConfig: 1 });
    await ws.ok(dir, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("two stacks of one program in one organization: the name rule, and ignite:namePrefix per stack", async () => {
    const dir = ws.project(
      "named",
      program(
        `const app = new ignite.App("web", {});`,
        `const draft = new ignite.Draft("web", { app, code: "./app" });`,
        `new ignite.PublishedVersion("web", { app, codeHash: draft.codeHash });`,
        `export const name = app.name;`,
      ),
    );
    withCode(dir, HANDLER(1));
    await ws.initStack(dir, "blue");
    await ws.ok(dir, ["up", "--yes", "--stack", "blue"]);
    await ws.initStack(dir, "green");
    // Both default the app's name to the resource name: the second is refused at preview, told how to tell them apart.
    const clash = await ws.pulumi(dir, ["preview", "--stack", "green"]);
    expect(clash.code).not.toBe(0);
    expect(clash.all.replace(/\s+/g, " ")).toMatch(/acme-corp\/web already exists on the platform, and this stack does not manage it.*`ignite:namePrefix`/);
    await ws.ok(dir, ["config", "set", "ignite:namePrefix", "green-", "--stack", "green"]);
    await ws.resetCalls();
    await ws.ok(dir, ["up", "--yes", "--stack", "green"]);
    expect(mutations(await ws.calls())).toEqual({ CreateApp: 1, SaveDraft: 1, PublishDraft: 1 });
    expect(JSON.parse((await ws.ok(dir, ["stack", "output", "--json", "--stack", "green"])).stdout).name).toBe("green-web");
    const names = (await ws.client.listApps({ organizationName: "acme-corp" })).apps.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(["web", "green-web"]));
  }, STEP);
});

/** The lines of a diff display under the first `<type>: (<op>)` header. */
function section(out: string, type: string, op: string): string {
  const lines = out.split("\n");
  const start = lines.findIndex((l) => l.includes(`dynamic/${type}: (${op})`));
  if (start < 0) return "";
  const end = lines.findIndex((l, i) => i > start && /^\s*[~+\-]?\s*(pulumi-nodejs:dynamic\/\S+|pulumi:pulumi:Stack): \(|^Resources:|^Outputs:|^Diagnostics:/.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}
