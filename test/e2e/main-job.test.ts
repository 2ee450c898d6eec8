// The main job as a newcomer runs it (`npm start` = scripts/main.js, on the repository's own
// examples through the root Pulumi.yaml), twice: the first run deploys and calls every app,
// the second changes nothing on the platform. Its state goes to a temp dir
// (IGNITE_MAIN_STATE_DIR) and the local Ignite to a free port (the same one for both runs: the
// public URLs in the stack's outputs name it), so a developer's own .ignite-local/ and
// .pulumi-state/ and port 7700 are untouched.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnce, mutations, onRepoSdk, repo, run } from "./harness";

let stateDir: string;
let port: number;
const strayStackFile = path.join(repo, "Pulumi.local.yaml");
let strayBefore = false;

async function mainJob(): Promise<{ code: number; out: string }> {
  const { code, all } = await run(process.execPath, [path.join(repo, "scripts", "main.js")], {
    cwd: repo,
    env: { ...process.env, IGNITE_LOCAL_PORT: String(port), IGNITE_MAIN_STATE_DIR: stateDir },
  });
  return { code, out: all };
}

/** The calls in main.js's "platform calls made by pulumi up: GetApp 3, …" line. */
function upCalls(out: string): Record<string, number> {
  const line = /platform calls made by pulumi up: (.*)/.exec(out)?.[1];
  if (line === undefined) throw new Error(`no platform-calls line in:\n${out}`);
  if (line === "none") return {};
  return Object.fromEntries(line.split(", ").map((entry) => [entry.split(" ")[0]!, Number(entry.split(" ")[1])]));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port: p } = server.address() as net.AddressInfo;
      server.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  buildOnce();
  port = await freePort();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-main-job-"));
  strayBefore = fs.existsSync(strayStackFile);
});
afterAll(() => {
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

// The main job deploys with the repository's own @pulumi/pulumi, so it runs on the lines whose
// SDK is that version (the baseline, Node 24), not on the oldest supported line.
describe.skipIf(!onRepoSdk)("npm start (scripts/main.js)", () => {
  it("deploys the examples, prints their versions and URLs, and calls them through their public URLs", async () => {
    const { code, out } = await mainJob();
    expect(code, out).toBe(0);
    expect(out).toMatch(/\[main\] greet: acme-corp\/greet version 1 http:\/\/greet-acme-corp\.ignite\.localhost:\d+/);
    expect(mutations(upCalls(out))).toMatchObject({ CreateApp: 5, SaveDraft: 5, PublishDraft: 5 });
    expect(out).toContain("Hello, Ada");
    expect(out).toMatch(/\[main\] {3}ada +1/); // tabler's table, rendered by tabulate in dedicated mode
    // The seed's compiled app: built by cargo at CompileDraft, run by its pod.
    expect(out).toMatch(/\[main\] tiny: acme-corp\/tiny version 1 http:\/\/tiny-acme-corp\.ignite\.localhost:\d+/);
    expect(out).toMatch(/\[main\] +"execution_id": "exec_[0-9A-Z]+",\n\[main\] +"function_id": "acme-corp\/tiny",\n\[main\] +"message": "hi there"/);
    // Deno and Go (issue 15): Go built at PublishDraft, both run by their pods.
    expect(out).toMatch(/\[main\] greet-deno: acme-corp\/greet-deno version 1 /);
    expect(out).toMatch(/\[main\] +"runtime": "deno"/);
    expect(out).toMatch(/\[main\] greet-go: acme-corp\/greet-go version 1 /);
    expect(out).toMatch(/\[main\] +"runtime": "go"/);
    expect(out).toContain("[main] done");
    // The repository is left as it was: `stack init` writes a stack file there, which is dropped.
    expect(fs.existsSync(strayStackFile)).toBe(strayBefore);
  }, 600_000);

  it("a second run changes nothing: no mutating platform call, every resource unchanged", async () => {
    const { code, out } = await mainJob();
    expect(code, out).toBe(0);
    expect(mutations(upCalls(out))).toEqual({});
    expect(out).toMatch(/\d+ unchanged/);
    expect(out).not.toMatch(/\d+ (created|updated|replaced|deleted)/);
    expect(out).toContain("Hello, Ada");
    expect(out).toContain('"function_id": "acme-corp/tiny"');
  }, 600_000);
});
