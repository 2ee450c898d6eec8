// Image drafts in the local Ignite (issue 15): SaveDraft validates and stores the three image
// sources (one source, its required fields, a git_url it cannot reach answered clearly),
// PublishDraft publishes them without a container engine, and invocations answer
// FAILED_PRECONDITION saying what is missing. With an engine (a stand-in for podman here:
// test/fixtures/fake-engine), the version runs as a container behind the same pod agent.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus, Runtime, type ImageSource } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { builtTag } from "../../src/emulator/runtimes/image/index";
import { tarGz } from "../support/archive";
import { eventually, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";

const FAKE_ENGINE = path.join(__dirname, "..", "fixtures", "fake-engine", "fake-engine.py");
const DIGEST = "sha256:" + "ab".repeat(32);

let local: Local;
const org = () => local.emu.org;
const savedEngine = process.env.IGNITE_CONTAINER_ENGINE;
beforeAll(async () => {
  local = await startLocal();
});
let state: string | undefined;
afterAll(async () => {
  // Pods first: their containers are removed through the engine, which needs its state.
  await local?.stop();
  // A pod's guard removes its container once the worker is gone, after waiting (at most a
  // minute, image-worker.py) for a `<engine> run` it may have left running: wait past that.
  // Once, under a loaded full CI run, 30 s was not enough and nothing said why; the engine's
  // call log now goes with the failure.
  try {
    await eventually(() => !state || !fs.existsSync(path.join(state, "containers")) || fs.readdirSync(path.join(state, "containers")).every((f) => !f.endsWith(".json")) || undefined, "every container to be removed", 90_000);
  } catch (err) {
    const log = state && fs.existsSync(path.join(state, "calls.log")) ? fs.readFileSync(path.join(state, "calls.log"), "utf8") : "(no calls.log)";
    const left = state ? fs.readdirSync(path.join(state, "containers")).filter((f) => f.endsWith(".json")) : [];
    throw new Error(`${(err as Error).message}: left ${left.join(", ")}; the engine's calls:\n${log}`);
  }
  if (state) fs.rmSync(state, { recursive: true, force: true });
});
afterEach(() => {
  if (savedEngine === undefined) delete process.env.IGNITE_CONTAINER_ENGINE;
  else process.env.IGNITE_CONTAINER_ENGINE = savedEngine;
});

let n = 0;
async function newApp(runtime = Runtime.PYTHON): Promise<string> {
  const name = `img-${++n}`;
  await local.client.createApp({ organizationName: org(), name, runtime });
  return name;
}

type Source = ImageSource["source"];
const saveImage = (app: string, source: Source, contextArchive: Uint8Array = new Uint8Array()) =>
  local.client.saveDraft({ organizationName: org(), appName: app, code: { source: { case: "image", value: { source, contextArchive } } } });

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

const sha256 = (s: string | Uint8Array) => "sha256:" + createHash("sha256").update(s).digest("hex");

describe("SaveDraft with code.image", () => {
  it("stores an image_ref draft: no files, source kind image, the code hash of the reference", async () => {
    const app = await newApp();
    const { draft } = await saveImage(app, { case: "imageRef", value: "ghcr.io/acme/greet:1.2" });
    expect(draft).toMatchObject({ sourceKind: "image", codeHash: sha256("ghcr.io/acme/greet:1.2"), files: [] });
    expect(draft!.image?.source).toEqual({ case: "imageRef", value: "ghcr.io/acme/greet:1.2" });
    expect(draft!.runtime).toBeUndefined();
    const got = (await local.client.getDraft({ organizationName: org(), appName: app })).draft!;
    expect(got.image?.source.value).toBe("ghcr.io/acme/greet:1.2");
  });

  it("gives an image_ref pinned by digest the digest as its code hash", async () => {
    const app = await newApp();
    const { draft } = await saveImage(app, { case: "imageRef", value: `ghcr.io/acme/greet:1.2@${DIGEST}` });
    expect(draft!.codeHash).toBe(DIGEST);
  });

  it("stores a dockerfile_path draft with its build context as the tree, hashed like code", async () => {
    const app = await newApp(Runtime.DENO);
    const context = await tarGz({ "Dockerfile": "FROM scratch\nCOPY server /server\n", "server": "x" });
    const { draft } = await saveImage(app, { case: "dockerfilePath", value: "./Dockerfile" }, context);
    expect(draft).toMatchObject({ sourceKind: "image", codeHash: sha256(context), files: ["Dockerfile", "server"] });
    expect(draft!.image?.source).toEqual({ case: "dockerfilePath", value: "Dockerfile" });
    expect(draft!.image?.contextArchive.length).toBe(0);
  });

  it.each([
    { what: "no source", source: { case: undefined } as Source, context: false, field: "code.image", message: /set exactly one image source/ },
    { what: "a bad image_ref", source: { case: "imageRef", value: "Not A Ref" } as Source, context: false, field: "code.image.image_ref", message: /contains whitespace/ },
    { what: "an uppercase repository", source: { case: "imageRef", value: "ghcr.io/Acme/app" } as Source, context: false, field: "code.image.image_ref", message: /is not an image reference/ },
    { what: "a short digest", source: { case: "imageRef", value: "app@sha256:abcd" } as Source, context: false, field: "code.image.image_ref", message: /is not an image reference/ },
    { what: "image_ref with a context", source: { case: "imageRef", value: "app:1" } as Source, context: true, field: "code.image.context_archive", message: /only used with dockerfile_path/ },
    { what: "dockerfile_path without a context", source: { case: "dockerfilePath", value: "Dockerfile" } as Source, context: false, field: "code.image.context_archive", message: /is required with dockerfile_path/ },
    { what: "a dockerfile_path outside the context", source: { case: "dockerfilePath", value: "../Dockerfile" } as Source, context: true, field: "code.image.dockerfile_path", message: /relative path inside the build context/ },
    { what: "a dockerfile_path missing from the context", source: { case: "dockerfilePath", value: "build/Dockerfile" } as Source, context: true, field: "code.image.dockerfile_path", message: /is not in the build context \(it has Dockerfile\)/ },
    { what: "a git_url that is no URL", source: { case: "gitUrl", value: "not a url" } as Source, context: false, field: "code.image.git_url", message: /is not a git repository URL/ },
  ])("refuses $what with INVALID_ARGUMENT on $field", async ({ source, context, field, message }) => {
    const app = await newApp();
    const err = await failure(saveImage(app, source, context ? await tarGz({ Dockerfile: "FROM scratch\n" }) : undefined));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage.startsWith(`${field}: `)).toBe(true);
    expect(err.rawMessage).toMatch(message);
    expect((await local.client.getDraft({ organizationName: org(), appName: app })).draft!.codeHash).toBe("");
  });

  it("answers a git_url it cannot reach with FAILED_PRECONDITION saying so, and stores nothing", async () => {
    const app = await newApp();
    const missing = `file://${path.join(os.tmpdir(), "no-such-repo-ignite")}`;
    const err = await failure(saveImage(app, { case: "gitUrl", value: missing }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toMatch(new RegExp(`^code\\.image\\.git_url: the local Ignite cannot reach ${missing} \\(.+\\); the platform builds the image from that repository`));
    expect((await local.client.getDraft({ organizationName: org(), appName: app })).draft!.codeHash).toBe("");
  });

  it("stores a git_url it can reach", async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-git-"));
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args]);
    git("init", "-q");
    fs.writeFileSync(path.join(repo, "Dockerfile"), "FROM scratch\n");
    git("add", ".");
    git("commit", "-qm", "init");
    const app = await newApp();
    const url = `file://${repo}`;
    const { draft } = await saveImage(app, { case: "gitUrl", value: url });
    expect(draft).toMatchObject({ sourceKind: "image", codeHash: sha256(url) });
    fs.rmSync(repo, { recursive: true, force: true });
  });
});

const call = async (url: string, body = "{}", urlPath = "/") => {
  const res = await httpCall(local.emu.port, { host: hostOf(url), path: urlPath, headers: { authorization: `Bearer ${local.emu.token}` }, body });
  return { status: res.status, text: res.body.toString(), headers: res.headers };
};

describe("publishing and invoking an image version without a container engine", () => {
  it("publishes, and every surface answers FAILED_PRECONDITION naming the image and what is missing", async () => {
    process.env.IGNITE_CONTAINER_ENGINE = "/nonexistent/podman";
    const app = await newApp();
    await saveImage(app, { case: "imageRef", value: `ghcr.io/acme/greet@${DIGEST}` });
    const published = await local.client.publishDraft({ organizationName: org(), appName: app });
    expect(published.publishedVersion).toBe(1);
    const versions = await local.client.listVersions({ organizationName: org(), appName: app });
    expect(versions.versions[0]!.image?.source.value).toBe(`ghcr.io/acme/greet@${DIGEST}`);

    const res = await call(published.app!.publicUrls[0]!);
    expect(res.status).toBe(400);
    const message = JSON.parse(res.text).message as string;
    expect(message).toContain(`runs the image ghcr.io/acme/greet@${DIGEST}: the local Ignite runs image apps in a container engine`);
    expect(message).toContain("none is usable here (podman is not installed)");

    const err = await failure(
      (async () => {
        for await (const _ of local.client.invoke({ organizationName: org(), appName: app, body: new Uint8Array() })) void _;
      })(),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toContain("container engine");

    const asyncErr = await local.client.invokeAsync({ organizationName: org(), appName: app, body: new Uint8Array() }).then(
      async ({ executionId }) =>
        eventually(async () => {
          const e = (await local.client.getExecution({ executionId })).execution!;
          return e.status === ExecutionStatus.FAILED ? e.error : undefined;
        }, "the execution to fail"),
      (e: ConnectError) => e.rawMessage,
    );
    expect(asyncErr).toContain("container engine");
  });
});

describe("image versions with a container engine (a stand-in for podman)", () => {
  beforeAll(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "fake-engine-"));
    process.env.FAKE_ENGINE_STATE = state;
  });
  const useEngine = () => (process.env.IGNITE_CONTAINER_ENGINE = FAKE_ENGINE);
  const containers = () => {
    const dir = path.join(state!, "containers");
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).length : 0;
  };
  let echoApp = "";

  it("runs an image_ref the engine has: the container gets the request, the execution id and the app's env, on the app's port", async () => {
    useEngine();
    fs.mkdirSync(path.join(state!, "images"), { recursive: true });
    fs.writeFileSync(path.join(state!, "images", "ghcr.io_acme_echo_1"), "");
    const name = (echoApp = `img-${++n}`);
    await local.client.createApp({ organizationName: org(), name, env: { GREETING: "hi" }, ports: [8080] });
    await saveImage(name, { case: "imageRef", value: "ghcr.io/acme/echo:1" });
    const app = (await local.client.publishDraft({ organizationName: org(), appName: name })).app!;
    const res = await call(app.publicUrls[0]!, '{"a":1}', "/hello?x=1");
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ image: "ghcr.io/acme/echo:1", container_port: "8080", method: "POST", path: "/hello?x=1", body: '{"a":1}' });
    expect(body.execution_id).toMatch(/^exec_/);
    expect(body.env).toMatchObject({ GREETING: "hi", IGNITE_FUNCTION_ID: `${org()}/${name}` });
    expect(Object.keys(body.env).sort()).toEqual(["GREETING", "IGNITE_FUNCTION_ID", "IGNITE_ORGANIZATION_ID"]);
    const streamed = await call(app.publicUrls[0]!, "", "/stream");
    expect(streamed).toMatchObject({ status: 200, text: "one two" });
    expect(streamed.headers["transfer-encoding"]).toBe("chunked");
  });

  it("answers FAILED_PRECONDITION when the engine does not have the image, saying the local Ignite does not pull", async () => {
    useEngine();
    const app = await newApp();
    await saveImage(app, { case: "imageRef", value: "ghcr.io/acme/absent:2" });
    const published = (await local.client.publishDraft({ organizationName: org(), appName: app })).app!;
    const res = await call(published.publicUrls[0]!);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toMatch(/runs the image ghcr\.io\/acme\/absent:2, which fake-engine\.py does not have here; the local Ignite does not pull images/);
  });

  it("builds a dockerfile_path version at its first cold start, tagged per version, and runs it", async () => {
    useEngine();
    const app = await newApp();
    await saveImage(app, { case: "dockerfilePath", value: "Dockerfile" }, await tarGz({ Dockerfile: "FROM scratch\n" }));
    const published = (await local.client.publishDraft({ organizationName: org(), appName: app })).app!;
    const res = await call(published.publicUrls[0]!);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).image).toBe(builtTag(`${org()}/${app}`, 1));
  });

  it("answers a failed image build with FAILED_PRECONDITION naming the engine's error", async () => {
    useEngine();
    const app = await newApp();
    await saveImage(app, { case: "dockerfilePath", value: "Dockerfile" }, await tarGz({ Dockerfile: "FROM scratch\nRUN FAIL\n" }));
    const published = (await local.client.publishDraft({ organizationName: org(), appName: app })).app!;
    const res = await call(published.publicUrls[0]!);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toContain("and building it with fake-engine.py failed: Error: building at STEP 1/1: the Dockerfile asked to fail; see the app logs");
  });

  it("removes the container of a pod stopped while the engine was still starting it", async () => {
    useEngine();
    const runs = () => (fs.existsSync(path.join(state!, "runs.log")) ? fs.readFileSync(path.join(state!, "runs.log"), "utf8").trim().split("\n").length : 0);
    fs.mkdirSync(path.join(state!, "images"), { recursive: true });
    fs.writeFileSync(path.join(state!, "images", "ghcr.io_acme_echo_1"), "");
    // A local Ignite of its own, stopped in the middle of a cold start, as the suite's end does.
    const other = await startLocal();
    try {
      const name = "slow-start";
      await other.client.createApp({ organizationName: other.emu.org, name });
      await other.client.saveDraft({ organizationName: other.emu.org, appName: name, code: { source: { case: "image", value: { source: { case: "imageRef", value: "ghcr.io/acme/echo:1" }, contextArchive: new Uint8Array() } } } });
      const app = (await other.client.publishDraft({ organizationName: other.emu.org, appName: name })).app!;
      const before = containers();
      const started = runs();
      process.env.FAKE_ENGINE_RUN_DELAY = "1.5";
      try {
        // The cold start's `run` takes 1.5 s; the local Ignite stops, and kills the pod, during it.
        const request = httpCall(other.emu.port, { host: hostOf(app.publicUrls[0]!), headers: { authorization: `Bearer ${other.emu.token}` }, body: "{}" }).catch(() => undefined);
        await eventually(() => runs() > started || undefined, "the engine to start the container");
        await other.stop();
        await request;
      } finally {
        delete process.env.FAKE_ENGINE_RUN_DELAY;
      }
      // The container appears when `run` ends, after its pod is gone; the guard removes it then.
      await new Promise((r) => setTimeout(r, 1_600));
      await eventually(() => containers() === before || undefined, "the late container to be removed");
    } finally {
      await other.stop();
    }
  });

  it("removes a pod's container when the pod stops", async () => {
    const before = containers();
    expect(before).toBeGreaterThan(0);
    await local.client.deleteApp({ organizationName: org(), appName: echoApp });
    await eventually(() => containers() === before - 1 || undefined, "the container to be removed");
  });
});
