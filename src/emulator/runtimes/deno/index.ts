/**
 * The Deno runtime: `export default function handler(payload, ctx)` in main.ts, run by
 * worker.js under `deno run` (docs/runtime.md, "Deno apps"). Deno comes from the npm package
 * `deno` (an optional dependency of this package, whose binary ships as `@deno/<platform>`),
 * else from IGNITE_DENO or PATH.
 *
 * PublishDraft checks and caches the module graph (`deno cache main.ts`: a syntax error or a
 * missing import fails the publish, naming the file and line), as the platform compiles Deno
 * "as part of the draft/publish flow" (seed 003). There is no artifact: pods run the version's
 * tree. Every Deno process shares one DENO_DIR outside the data dir, so a dependency is
 * downloaded and transpiled once per machine.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Runtime } from "../../../gen/dodil/ignite/v1/compute_pb.js";
import { FailedPreconditionError } from "../../errors.js";
import { cacheDir, sourcePath } from "../../package-files.js";
import { runTool } from "../run-tool.js";
import type { CompileJob, PublishBuildResult, RuntimePlugin } from "../types.js";

export const ENTRY_FILE = "main.ts";

/**
 * The deno binary: IGNITE_DENO, else the npm package's (the platform package's binary,
 * resolved the way the package's own bin.cjs does, without needing its install script), else
 * `deno` on PATH. Undefined when none exists.
 */
export function denoBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.IGNITE_DENO) return env.IGNITE_DENO;
  const candidates: string[] = [];
  try {
    const pkg = path.dirname(require.resolve("deno/package.json"));
    candidates.push(path.join(pkg, "deno"));
    const platform = `@deno/${process.platform}-${process.arch}${process.platform === "linux" ? "-glibc" : ""}`;
    candidates.push(path.join(path.dirname(require.resolve(`${platform}/package.json`, { paths: [pkg] })), "deno"));
  } catch {
    // not installed (an optional dependency), or not for this platform
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) candidates.push(path.join(dir, "deno"));
  return candidates.find((c) => isExecutable(c));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Deno's cache (DENO_DIR), shared by every local Ignite on the machine: IGNITE_DENO_DIR, else <cache>/deno. */
export function denoDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.IGNITE_DENO_DIR ?? path.join(cacheDir(env), "deno"));
}

const MISSING =
  "Deno is not installed here: the local Ignite runs Deno apps with the npm package `deno` (an optional dependency of pulumi-ignite: reinstall without --omit=optional), IGNITE_DENO, or `deno` on PATH";

/** What every deno process of this runtime gets: the shared cache, no colours, no update check, no prompt. */
const denoSettings = (): Record<string, string> => ({ DENO_DIR: denoDir(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" });
/** Set for the local Ignite (cargo), not for Deno: it would add a Rust backtrace to every error. */
const UNSET = ["RUST_BACKTRACE"];

/**
 * The app's own deno.json(c) when it has one (import maps, compiler options), else none: Deno
 * would otherwise look for a config, package.json or node_modules in the directories above the
 * tree, which are the local Ignite's, not the app's.
 */
function configFlags(treeDir: string): string[] {
  for (const name of ["deno.json", "deno.jsonc"]) {
    if (fs.existsSync(path.join(treeDir, name))) return ["--config", path.join(treeDir, name)];
  }
  return ["--no-config"];
}

export const deno: RuntimePlugin = {
  name: "deno",
  runtime: Runtime.DENO,
  entryFile: ENTRY_FILE,

  async worker(version) {
    const bin = denoBinary();
    if (!bin) throw new FailedPreconditionError(`${version.appId} is a Deno app: ${MISSING}`);
    return {
      argv: [bin, "run", "--allow-all", "--no-prompt", "--quiet", ...configFlags(version.treeDir), sourcePath("emulator/runtimes/deno/worker.js")],
      env: denoSettings(),
      unsetEnv: UNSET,
      mode: "deno",
    };
  },

  publishBuild: cacheModuleGraph,
};

/**
 * `deno cache main.ts` on the draft: downloads and transpiles every import into the shared
 * DENO_DIR and fails on what would fail every invoke (a syntax error, a missing module).
 * Type errors are not checked: `deno run` does not check them either.
 */
async function cacheModuleGraph(job: CompileJob): Promise<PublishBuildResult> {
  if (!fs.existsSync(path.join(job.treeDir, ENTRY_FILE))) {
    return { ok: false, error: "main.ts: not found at the root of the draft; put `export default function handler(payload, ctx)` in main.ts" };
  }
  const bin = denoBinary();
  if (!bin) return { ok: false, error: MISSING };
  const lines: string[] = [];
  const code = await runTool(bin, ["cache", ...configFlags(job.treeDir), ENTRY_FILE], {
    cwd: job.treeDir,
    env: { ...withoutKeys(process.env, UNSET), ...denoSettings() },
    signal: job.signal,
    onLine: (line) => {
      const shown = line.split(`file://${job.treeDir}/`).join("");
      lines.push(shown);
      job.log(shown);
    },
  });
  if (code === "missing") return { ok: false, error: MISSING };
  if (code !== 0) return { ok: false, error: denoError(lines) ?? `deno cache failed (exit ${code})` };
  job.log("main.ts and its imports are cached");
  return { ok: true };
}

/** "main.ts:1:35: SyntaxError: Expression expected" from deno's `error:` block. */
export function denoError(lines: string[]): string | undefined {
  const start = lines.findIndex((l) => l.startsWith("error: "));
  if (start < 0) return undefined;
  const message = lines[start]!.slice("error: ".length);
  const at = lines.slice(start).map((l) => /^\s+at (\S+:\d+:\d+)\s*$/.exec(l)?.[1]).find(Boolean);
  return at ? `${at}: ${message}` : message;
}

function withoutKeys(env: NodeJS.ProcessEnv, keys: readonly string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !keys.includes(k)));
}
