// End-to-end harness: the real `pulumi` CLI (scripts/pulumi-toolchain.sh), a file backend and
// PULUMI_HOME in a temp dir, and a local Ignite over real sockets in this process.
//
// Projects are copied into the temp dir next to a node_modules whose entries link to the
// repository's, plus `pulumi-ignite` → the repository: the layout of a user who installed the
// package from npm (so the shim's plain `require("pulumi-ignite/…")` path is the one tested;
// `npm start` tests the in-repo self-reference path).
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createIgniteClient, type IgniteClient } from "../../src/client/index.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";

export const repo = path.resolve(__dirname, "..", "..");

let toolchainBin: string | undefined;
let built = false;

/** The directory holding pulumi, the Node.js language host and the dynamic-provider plugin. */
export function pulumiBin(): string {
  toolchainBin ??= execFileSync("bash", [path.join(repo, "scripts", "pulumi-toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    .trim()
    .split("\n")
    .pop()!;
  return toolchainBin;
}

/** The programs load pulumi-ignite from dist/: compile it once per test file. */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(repo, "tsconfig.json")], { stdio: "inherit" });
  built = true;
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
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, all: stdout + stderr }));
  });
}

export interface Workspace {
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
  pulumi(cwd: string, args: string[], input?: string): Promise<RunResult>;
  /** Like pulumi(), but throws with the output when the command fails. */
  ok(cwd: string, args: string[], input?: string): Promise<RunResult>;
  /** The platform calls a local Ignite counted (default this workspace's). */
  calls(ignite?: Emulator): Promise<Record<string, number>>;
  resetCalls(ignite?: Emulator): Promise<void>;
  dispose(): Promise<void>;
}

/** Options of the workspace's local Ignite (e.g. a short cold-start budget). */
export async function createWorkspace(emulatorOptions: Partial<EmulatorOptions> = {}): Promise<Workspace> {
  buildOnce();
  const bin = pulumiBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-e2e-"));
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(repo, "node_modules"))) {
    fs.symlinkSync(path.join(repo, "node_modules", entry), path.join(modules, entry));
  }
  fs.symlinkSync(repo, path.join(modules, "pulumi-ignite"));

  const ignite = await startEmulator({ port: 0, dataDir: path.join(dir, "ignite"), ...emulatorOptions });
  const others: Emulator[] = [];
  const client = createIgniteClient({ endpoint: ignite.grpcEndpoint, token: ignite.token });
  fs.mkdirSync(path.join(dir, "state"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  for (const k of Object.keys(env)) if (k.startsWith("DODIL_") || k === "IGNITE_GRPC") delete env[k];

  const pulumi = (cwd: string, args: string[], input?: string) => run("pulumi", [...args, "--non-interactive"], { cwd, env, input });
  const ok = async (cwd: string, args: string[], input?: string) => {
    const r = await pulumi(cwd, args, input);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${r.code}:\n${r.all}`);
    return r;
  };

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
