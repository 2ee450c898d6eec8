// Deno, Go and image Drafts through the provider with the real pulumi CLI (issue 15): the
// greet-deno and greet-go examples deploy and answer on their public URLs; a one-line edit is
// one SaveDraft and one PublishDraft; a Go compile error fails `up` naming main.go and its
// line, publishing nothing. An image Draft's build context is hashed per file: the preview
// names the changed file, `up` saves and publishes once, and a pinned reference's digest is
// its code hash; without a container engine its public URL answers FAILED_PRECONDITION.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, mutations, type Workspace } from "./harness.js";
import { hostOf, httpCall } from "../support/local-ignite.js";

const STEP = 240_000;

let ws: Workspace;
const savedEngine = process.env.IGNITE_CONTAINER_ENGINE;
beforeAll(async () => {
  // No container engine, on every machine: the image case asserts what the user sees then.
  process.env.IGNITE_CONTAINER_ENGINE = "/nonexistent/podman";
  ws = await createWorkspace();
}, STEP);
afterAll(async () => {
  if (savedEngine === undefined) delete process.env.IGNITE_CONTAINER_ENGINE;
  else process.env.IGNITE_CONTAINER_ENGINE = savedEngine;
  await ws?.dispose();
});

const outputs = async (cwd: string) => JSON.parse((await ws.ok(cwd, ["stack", "output", "--json"])).stdout) as { publicUrls: string[]; activeVersion: number };
const post = async (url: string, body: object) => {
  const res = await httpCall(ws.ignite.port, { host: hostOf(url), headers: { authorization: `Bearer ${ws.ignite.token}` }, body: JSON.stringify(body) });
  return { status: res.status, json: JSON.parse(res.body.toString()) as Record<string, unknown> };
};

describe.each([
  { example: "greet-deno", file: "main.ts", runtime: "deno" },
  { example: "greet-go", file: "main.go", runtime: "go" },
])("the $example example, end to end", ({ example, file, runtime }) => {
  let project: string;
  const source = () => path.join(project, "app", file);
  beforeAll(async () => {
    project = ws.copy(`examples/${example}`);
    await ws.initStack(project);
  }, STEP);

  it("up publishes version 1 and the public URL answers the greeting", async () => {
    await ws.ok(project, ["up", "--yes"]);
    const out = await outputs(project);
    expect(out.activeVersion).toBe(1);
    const res = await post(out.publicUrls[0]!, { name: "Ada" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ greeting: "Hello, Ada!", runtime, function_id: `${ws.ignite.org}/${example}` });
  }, STEP);

  it("a one-line edit shows the file in the preview and is one SaveDraft and one PublishDraft", async () => {
    fs.writeFileSync(source(), fs.readFileSync(source(), "utf8").replace("Hello, ", "Hi, "));
    const preview = await ws.ok(project, ["preview", "--diff"]);
    expect(preview.all).toContain(file);
    await ws.resetCalls();
    await ws.ok(project, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    const out = await outputs(project);
    expect(out.activeVersion).toBe(2);
    expect((await post(out.publicUrls[0]!, { name: "Ada" })).json.greeting).toBe("Hi, Ada!");
  }, STEP);

  it.runIf(runtime === "go")("a compile error fails up naming main.go and its line, and publishes nothing", async () => {
    fs.writeFileSync(source(), fs.readFileSync(source(), "utf8").replace(/"runtime":\s+"go",/, '"runtime": goRuntime,'));
    const r = await ws.pulumi(project, ["up", "--yes"]);
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(new RegExp(`the draft of ${ws.ignite.org}/greet-go does not build: main\\.go:\\d+:\\d+: undefined: goRuntime`));
    const versions = await ws.client.listVersions({ organizationName: ws.ignite.org, appName: "greet-go" });
    expect(versions.activeVersion).toBe(2);
    expect(versions.versions.length).toBe(2);
  }, STEP);
});

describe("an image Draft through the provider", () => {
  let project: string;
  const DIGEST = `sha256:${"d".repeat(64)}`;
  const program = (image: string) =>
    [
      `import * as ignite from "pulumi-ignite";`,
      `const app = new ignite.App("site", { runtime: "python", description: "a container image" });`,
      `const draft = new ignite.Draft("site", { app: app.appId, image: ${image} });`,
      `const release = new ignite.PublishedVersion("site", { app: app.appId, codeHash: draft.codeHash });`,
      `export const codeHash = draft.codeHash;`,
      `export const publicUrls = release.publicUrls;`,
      `export const activeVersion = release.activeVersion;`,
    ].join("\n");

  beforeAll(async () => {
    project = ws.project("site", program(`{ context: "./site", dockerfile: "Dockerfile" }`));
    fs.mkdirSync(path.join(project, "site"));
    fs.writeFileSync(path.join(project, "site", "Dockerfile"), "FROM docker.io/library/nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n");
    fs.writeFileSync(path.join(project, "site", "index.html"), "<h1>v1</h1>\n");
    await ws.initStack(project);
  }, STEP);

  it("up saves the build context and publishes it; the public URL says no container engine is usable", async () => {
    await ws.ok(project, ["up", "--yes"]);
    const out = await outputs(project);
    expect(out.activeVersion).toBe(1);
    const draft = (await ws.client.getDraft({ organizationName: ws.ignite.org, appName: "site" })).draft!;
    expect(draft).toMatchObject({ sourceKind: "image", files: ["Dockerfile", "index.html"] });
    const res = await httpCall(ws.ignite.port, { host: hostOf(out.publicUrls[0]!), headers: { authorization: `Bearer ${ws.ignite.token}` }, body: "{}" });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).message).toContain("the local Ignite runs image apps in a container engine");
  }, STEP);

  it("an edit in the context is named by the preview, and up saves and publishes once", async () => {
    fs.writeFileSync(path.join(project, "site", "index.html"), "<h1>v2</h1>\n");
    const preview = await ws.ok(project, ["preview", "--diff"]);
    expect(preview.all).toContain("index.html");
    expect(preview.all).not.toMatch(/[~+-]\s+"?Dockerfile"?\s*:/);
    await ws.resetCalls();
    await ws.ok(project, ["up", "--yes"]);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, PublishDraft: 1 });
    await ws.ok(project, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("switching to a reference pinned by digest makes the digest the code hash", async () => {
    fs.writeFileSync(path.join(project, "index.ts"), program(`{ ref: "ghcr.io/acme/site@${DIGEST}" }`));
    const preview = await ws.ok(project, ["preview", "--diff"]);
    expect(preview.all).toContain(`ghcr.io/acme/site@${DIGEST}`);
    await ws.ok(project, ["up", "--yes"]);
    const draft = (await ws.client.getDraft({ organizationName: ws.ignite.org, appName: "site" })).draft!;
    expect(draft.codeHash).toBe(DIGEST);
    expect(draft.image?.source).toEqual({ case: "imageRef", value: `ghcr.io/acme/site@${DIGEST}` });
    expect((await outputs(project)).activeVersion).toBe(3);
  }, STEP);
});
