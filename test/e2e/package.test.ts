// The package as a user gets it, on this line's Node, SDK and CLI: `npm pack` of a fresh copy
// of the repository (its files under version control, so dist/ can only come from the prepack
// build), installed with npm into a Pulumi project outside the repository that has its own
// package.json and no link back. The project's toolchain comes from the installed package's
// scripts/pulumi-toolchain.sh and its local Ignite from the installed `ignite-local`; then
// `pulumi up`, `preview --expect-no-changes`, a call to the published app and `destroy`. The
// program exports every output docs/resources.md lists, and each must be readable.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIgniteClient } from "../../src/client/index.js";
import { pulumiCommands, pulumiEnv, repo, run, sdkVersion, toolchainFor, type PulumiCommands, type RunResult } from "./harness";

const STEP = 300_000;

/** The outputs docs/resources.md lists, per resource. */
const DOCUMENTED = {
  app: ["appId", "name", "organization", "runtime", "description", "resourceTier", "scaling", "env", "ports", "allowUnauthenticated"],
  draft: ["app", "code", "include", "exclude", "runtime", "manifest", "codeHash", "compileState", "files", "sizeBytes"],
  release: ["app", "codeHash", "version", "activeVersion", "publicUrls"],
};

// No arg beyond the required ones: every other output must still be readable (the defaults
// the platform holds), not undefined.
const PROGRAM = `import * as ignite from "pulumi-ignite";

const app = new ignite.App("hello", { runtime: "python", env: { GREETING: "Hello" } });
const draft = new ignite.Draft("hello", { app: app.appId, code: "./app/handler.py" });
const release = new ignite.PublishedVersion("hello", { app: app.appId, codeHash: draft.codeHash });

export const appOutputs = { ${DOCUMENTED.app.map((k) => `${k}: app.${k}`).join(", ")} };
export const draftOutputs = { ${DOCUMENTED.draft.map((k) => `${k}: draft.${k}`).join(", ")} };
export const releaseOutputs = { ${DOCUMENTED.release.map((k) => `${k}: release.${k}`).join(", ")} };
export const url = release.publicUrls[0];
// What ran the program: this line's Node and SDK.
export const ranOn = { node: process.version, sdk: require("@pulumi/pulumi/package.json").version };
`;

const HANDLER = `import json


def handler(payload, ctx):
    event = json.loads(payload) if payload else {}
    return {"greeting": f"Hello, {event.get('name', 'world')}!"}
`;

/** The tsconfig `pulumi new typescript` writes. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** The repository's files as a fresh clone has them: tracked, plus new ones not ignored. */
function freshCopy(dest: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(repo, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(repo, f), path.join(dest, f));
  }
  // The dependencies only (a fresh clone runs `npm ci` before `npm pack`).
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dest, "node_modules"));
}

function devVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")).devDependencies[name];
}

describe("the packed package, installed into a project of its own", () => {
  let dir: string;
  let project: string;
  let tarball: string;
  let files: string[];
  let ignite: ChildProcess | undefined;
  let grpc: string;
  let token: string;
  let commands: PulumiCommands;
  const ok = (args: string[], input?: string): Promise<RunResult> => commands.ok(project, args, input);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-package-"));
    const clone = path.join(dir, "clone");
    freshCopy(clone);
    const packed = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: clone, env: process.env });
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.all}`);
    // The JSON report follows the prepack script's output.
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[$/m))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, info!.filename);
    files = info!.files.map((f) => f.path);

    project = path.join(dir, "hello");
    fs.mkdirSync(path.join(project, "app"), { recursive: true });
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: hello\nruntime: nodejs\ndescription: pulumi-ignite from its tarball\n");
    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    fs.writeFileSync(path.join(project, "index.ts"), PROGRAM);
    fs.writeFileSync(path.join(project, "app", "handler.py"), HANDLER);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify(
        {
          name: "hello",
          private: true,
          main: "index.ts",
          dependencies: { "@pulumi/pulumi": sdkVersion, "pulumi-ignite": `file:${tarball}` },
          devDependencies: { "@types/node": devVersion("@types/node"), typescript: devVersion("typescript") },
        },
        null,
        2,
      ),
    );
    // npm on this line's node (first on PATH); packages come from npm's cache when it has them.
    const installed = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, env: process.env });
    if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.all}`);

    // The toolchain through the installed package's own script, for the project's SDK.
    const pkg = path.join(project, "node_modules", "pulumi-ignite");
    const bin = toolchainFor(path.join(pkg, "scripts", "pulumi-toolchain.sh"), project);

    // The installed `ignite-local` (its pods run the shipped pod.py).
    const started = await startIgniteLocal(path.join(pkg, "bin", "ignite-local.js"), path.join(dir, "ignite"));
    ignite = started.child;
    grpc = started.info.grpc!;
    token = started.info.token!;

    commands = pulumiCommands(pulumiEnv(bin, dir));
    await ok(["stack", "init", "test"]);
    await ok(["config", "set", "ignite:endpoint", grpc]);
    await ok(["config", "set", "ignite:organization", "acme-corp"]);
    await ok(["config", "set", "--secret", "ignite:token"], token);
  }, STEP * 2);

  afterAll(async () => {
    if (ignite && ignite.exitCode === null) {
      const exited = new Promise((resolve) => ignite!.once("exit", resolve));
      ignite.kill("SIGTERM");
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("ships dist/ built by prepack, the docs the README links to, and the emulator's runtime files; no TypeScript sources", () => {
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    // What the local Ignite builds or runs at run time: the pod agent's sources, the workers,
    // the Python runtime's pinned set, the Rust SDK and the wasm runner — no build output.
    for (const f of [
      "src/emulator/runtime/agent/Cargo.toml",
      "src/emulator/runtime/agent/Cargo.lock",
      "src/emulator/runtime/agent/src/main.rs",
      "src/emulator/runtimes/python/worker.py",
      "src/emulator/runtimes/python/preinstalled.txt",
      "src/emulator/runtimes/rust/sdk/ignite/src/lib.rs",
      "src/emulator/runtimes/rust/sdk/ignite-macros/src/lib.rs",
      "src/emulator/runtimes/rust/wasm-runner.py",
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.includes("/target/"))).toEqual([]);
    expect(files).toContain("bin/ignite-local.js");
    expect(files.filter((f) => f.startsWith("src/") && f.endsWith(".ts"))).toEqual([]);
    // Every relative link in the shipped README and docs points at a shipped file.
    const pkg = path.join(project, "node_modules", "pulumi-ignite");
    const broken: string[] = [];
    for (const doc of ["README.md", ...files.filter((f) => /^docs\/.*\.md$/.test(f))]) {
      const text = fs.readFileSync(path.join(pkg, doc), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!) || target!.startsWith("#")) continue;
        const file = path.join(path.dirname(path.join(pkg, doc)), target!.split("#")[0]!);
        if (!fs.existsSync(file)) broken.push(`${doc} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it(`installs beside @pulumi/pulumi ${sdkVersion} with no link back to the repository`, () => {
    const pkg = path.join(project, "node_modules", "pulumi-ignite");
    expect(fs.lstatSync(pkg).isSymbolicLink()).toBe(false);
    expect(fs.realpathSync(pkg).startsWith(repo)).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(project, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")).version).toBe(sdkVersion);
  });

  it("up deploys it, with every documented output readable; preview then expects no changes", async () => {
    const up = await ok(["up", "--yes"]);
    expect(up.all).not.toContain("Undefined value");
    const outputs = JSON.parse((await ok(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, Record<string, unknown>>;
    for (const [group, keys] of [["appOutputs", DOCUMENTED.app], ["draftOutputs", DOCUMENTED.draft], ["releaseOutputs", DOCUMENTED.release]] as const) {
      const missing = keys.filter((k) => outputs[group]?.[k] === undefined || outputs[group]?.[k] === null);
      expect(missing, group).toEqual([]);
    }
    expect(outputs.appOutputs!.scaling).toMatchObject({ reservedCapacity: 0, maxReplicas: 5, scaleMetric: "REQUEST_RATE" });
    expect(outputs.appOutputs!.resourceTier).toBe("small");
    expect(outputs.appOutputs!.env).toEqual({ GREETING: "Hello" });
    expect(outputs.releaseOutputs!.activeVersion).toBe(1);
    expect(outputs.ranOn).toEqual({ node: process.version, sdk: sdkVersion });
    // Each resource's provider is a require of its kind's module, by the package's export (issue 11).
    const state = JSON.parse((await ok(["stack", "export"])).stdout) as { deployment: { resources: { type: string; inputs?: { __provider?: string }; outputs?: { __provider?: string } }[] } };
    const modules: Record<string, string> = { App: "app", Draft: "draft", PublishedVersion: "published-version" };
    for (const r of state.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/ignite:"))) {
      const module = modules[r.type.slice("pulumi-nodejs:dynamic/ignite:".length)];
      for (const text of [r.inputs?.__provider, r.outputs?.__provider]) {
        expect(text, r.type).toContain(`require("pulumi-ignite/resources/shims/${module}")`);
        expect(text!.length, r.type).toBeLessThan(400);
      }
    }
    await ok(["preview", "--expect-no-changes"]);
  }, STEP);

  it("the published app answers through its public URL", async () => {
    const url = JSON.parse((await ok(["stack", "output", "url", "--json"])).stdout) as string;
    const r = await run("curl", ["-sS", "--max-time", "120", "-X", "POST", url, "-H", `Authorization: Bearer ${token}`, "-d", '{"name": "Ada"}'], { env: process.env });
    expect(r.code, r.all).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ greeting: "Hello, Ada!" });
  }, STEP);

  it("destroy removes it", async () => {
    await ok(["destroy", "--yes"]);
    const client = createIgniteClient({ endpoint: grpc, token });
    try {
      expect(await client.getAppOrUndefined("acme-corp", "hello")).toBeUndefined();
    } finally {
      client.close();
    }
  }, STEP);
});

/** Starts `ignite-local --port 0` and reads its "key: value" banner from stdout. */
function startIgniteLocal(script: string, dataDir: string): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, "--port", "0", "--data-dir", dataDir, "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`ignite-local printed no banner in 60 s:\n${out}${err}`)), 60_000);
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      if (!/^data_dir: /m.test(out)) return;
      clearTimeout(timer);
      resolve({ child, info: Object.fromEntries(out.split("\n").filter((l) => l.includes(": ")).map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)])) });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ignite-local exited with ${code}:\n${out}${err}`));
    });
  });
}
