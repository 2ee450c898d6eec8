// End-to-end harness: the real `pulumi` CLI (scripts/pulumi-toolchain.sh), a file backend and
// PULUMI_HOME in a temp dir, and a local Ignite over real sockets in this process.
//
// It runs on one toolchain line at a time (scripts/lines.js; scripts/test.js sets
// PULUMI_IGNITE_SDK to the line's npm project and puts the line's node first on PATH): the
// line's `@pulumi/pulumi`, its CLI and this process's Node run the programs and the dynamic
// providers.
//
// Projects are copied into the temp dir next to a node_modules laid out as a user's install:
// `pulumi-ignite` holds the package's files (package.json and dist/, not a link to the
// repository, so it resolves `@pulumi/pulumi` from the project as an installed package does),
// `@pulumi/pulumi` links to the line's SDK, and the other entries link to the repository's.
// So the shim's plain `require("pulumi-ignite/…")` path is the one tested, and each resource's
// `__provider` is the require of its kind's module an installed package writes; `npm start` tests
// the in-repo self-reference path, and test/e2e/package.test.ts the packed tarball.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createIgniteClient, type IgniteClient } from "../../src/client/index.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";
import { installPackageFiles } from "../support/package-files.js";

export const repo = path.resolve(__dirname, "..", "..");

/** The npm project holding this line's `@pulumi/pulumi` (the repository's own on the baseline). */
export const sdkDir = path.resolve(process.env.PULUMI_IGNITE_SDK ?? repo);
/** The version of this line's `@pulumi/pulumi`. */
export const sdkVersion: string = JSON.parse(fs.readFileSync(path.join(sdkDir, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")).version;
/** Whether this line's SDK is the version of the repository's own (what `npm start` deploys with). */
export const onRepoSdk = sdkVersion === JSON.parse(fs.readFileSync(path.join(repo, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")).version;

let toolchainBin: string | undefined;
let built = false;

/**
 * Runs a pulumi-toolchain.sh (the repository's, or an installed package's) for the SDK of the
 * npm project `sdk`; returns the directory holding pulumi, the Node.js language host and the
 * dynamic-provider plugin.
 */
export function toolchainFor(script: string, sdk: string): string {
  return execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, PULUMI_IGNITE_SDK: sdk } })
    .trim()
    .split("\n")
    .pop()!;
}

/** The toolchain directory for this line's SDK. */
export function pulumiBin(): string {
  toolchainBin ??= toolchainFor(path.join(repo, "scripts", "pulumi-toolchain.sh"), sdkDir);
  return toolchainBin;
}

/**
 * The environment the pulumi CLI runs in: the toolchain `bin` and this process's node first on
 * PATH (the language host and the dynamic-provider plugin call `node` from PATH, so this
 * process's node runs the programs and the providers), a file backend and PULUMI_HOME under
 * `dir`, and no Ignite credentials from the caller's environment.
 */
export function pulumiEnv(bin: string, dir: string): NodeJS.ProcessEnv {
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  for (const k of Object.keys(env)) if (k.startsWith("DODIL_") || k === "IGNITE_GRPC" || k === "PULUMI_IGNITE_SDK") delete env[k];
  return env;
}

export interface PulumiCommands {
  pulumi(cwd: string, args: string[], input?: string): Promise<RunResult>;
  /** Like pulumi(), but throws with the output when the command fails. */
  ok(cwd: string, args: string[], input?: string): Promise<RunResult>;
}

/** `pulumi …` (non-interactive) in an environment. */
export function pulumiCommands(env: NodeJS.ProcessEnv): PulumiCommands {
  const pulumi = (cwd: string, args: string[], input?: string) => run("pulumi", [...args, "--non-interactive"], { cwd, env, input });
  const ok = async (cwd: string, args: string[], input?: string) => {
    const r = await pulumi(cwd, args, input);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${r.code}:\n${r.all}`);
    return r;
  };
  return { pulumi, ok };
}

/**
 * The programs load pulumi-ignite from dist/. `npm test` compiles it before the suites; a test
 * file compiles it again only when a source is newer than dist/ (a file run on its own after
 * an edit), instead of once per file (~10 s each, on every line).
 */
export function buildOnce(): void {
  if (built) return;
  if (!distIsFresh()) {
    execFileSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(repo, "tsconfig.json")], { stdio: "inherit" });
  }
  built = true;
}

/** dist/ was compiled after the last change to src/ and tsconfig.json. */
function distIsFresh(): boolean {
  let compiled: number;
  try {
    compiled = fs.statSync(path.join(repo, "dist", "index.js")).mtimeMs;
  } catch {
    return false;
  }
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? newest(p) : e.name.endsWith(".ts") ? fs.statSync(p).mtimeMs : 0;
      }),
    );
  return Math.max(newest(path.join(repo, "src")), fs.statSync(path.join(repo, "tsconfig.json")).mtimeMs) < compiled;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr. */
  all: string;
}

/** Runs a command to its end, collecting its output (stdin from `input`, or none). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, all: stdout + stderr }));
  });
}

export interface Workspace extends PulumiCommands {
  dir: string;
  ignite: Emulator;
  client: IgniteClient;
  env: NodeJS.ProcessEnv;
  /** Copies a directory of the repository (e.g. "examples") into the workspace; returns its path. */
  copy(from: string, to?: string): string;
  /** Writes a Pulumi project (Pulumi.yaml + index.ts) into the workspace. */
  project(name: string, program: string): string;
  /** Creates stack `stack` (default "test") in `cwd` and points it at a local Ignite (default this workspace's; token as a secret). */
  initStack(cwd: string, stack?: string, ignite?: Emulator): Promise<void>;
  /** Starts another local Ignite in the workspace (stopped by dispose). */
  startIgnite(options?: Partial<EmulatorOptions>): Promise<Emulator>;
  /** The platform calls a local Ignite counted (default this workspace's). */
  calls(ignite?: Emulator): Promise<Record<string, number>>;
  resetCalls(ignite?: Emulator): Promise<void>;
  dispose(): Promise<void>;
}

/** A node_modules as a user's install of pulumi-ignite would have it, on this line's SDK. */
function installModules(modules: string): void {
  fs.mkdirSync(path.join(modules, "@pulumi"), { recursive: true });
  for (const entry of fs.readdirSync(path.join(repo, "node_modules"))) {
    if (entry === "@pulumi") continue;
    fs.symlinkSync(path.join(repo, "node_modules", entry), path.join(modules, entry));
  }
  fs.symlinkSync(path.join(sdkDir, "node_modules", "@pulumi", "pulumi"), path.join(modules, "@pulumi", "pulumi"));
  installPackageFiles(path.join(modules, "pulumi-ignite"));
}

/** Options of the workspace's local Ignite (e.g. a short cold-start budget). */
export async function createWorkspace(emulatorOptions: Partial<EmulatorOptions> = {}): Promise<Workspace> {
  buildOnce();
  const bin = pulumiBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-e2e-"));
  installModules(path.join(dir, "node_modules"));

  const ignite = await startEmulator({ port: 0, dataDir: path.join(dir, "ignite"), ...emulatorOptions });
  const others: Emulator[] = [];
  const client = createIgniteClient({ endpoint: ignite.grpcEndpoint, token: ignite.token });
  const env = pulumiEnv(bin, dir);
  const { pulumi, ok } = pulumiCommands(env);

  return {
    dir,
    ignite,
    client,
    env,
    copy(from, to = path.basename(from)) {
      const dest = path.join(dir, to);
      fs.cpSync(path.join(repo, from), dest, { recursive: true });
      return dest;
    },
    project(name, program) {
      const p = path.join(dir, name);
      fs.mkdirSync(p, { recursive: true });
      fs.writeFileSync(path.join(p, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: index.ts\n`);
      fs.writeFileSync(path.join(p, "index.ts"), program);
      return p;
    },
    async initStack(cwd, stack = "test", target = ignite) {
      await ok(cwd, ["stack", "init", stack]);
      await ok(cwd, ["config", "set", "ignite:endpoint", target.grpcEndpoint]);
      await ok(cwd, ["config", "set", "ignite:organization", target.org]);
      await ok(cwd, ["config", "set", "--secret", "ignite:token"], target.token);
    },
    async startIgnite(options = {}) {
      const other = await startEmulator({ port: 0, dataDir: path.join(dir, `ignite-${others.length + 2}`), ...options });
      others.push(other);
      return other;
    },
    pulumi,
    ok,
    async calls(target = ignite) {
      const res = await fetch(`${target.httpUrl}/_ignite/calls`);
      return ((await res.json()) as { calls: Record<string, number> }).calls;
    },
    async resetCalls(target = ignite) {
      await fetch(`${target.httpUrl}/_ignite/calls/reset`, { method: "POST" });
    },
    async dispose() {
      client.close();
      for (const other of others) await other.stop();
      await ignite.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Only the mutating calls, for "exactly these calls were made" assertions. */
export function mutations(calls: Record<string, number>): Record<string, number> {
  const mutating = ["CreateApp", "UpdateAppConfig", "DeleteApp", "SaveDraft", "CompileDraft", "PublishDraft", "RollbackVersion"];
  return Object.fromEntries(Object.entries(calls).filter(([k, n]) => mutating.includes(k) && n > 0));
}
