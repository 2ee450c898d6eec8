/**
 * Which Python environment a published version runs in (seed 000, "Pre-installed vs custom
 * deps").
 *
 * - The runtime environment: a venv holding the runtime's pre-installed set, pinned in
 *   preinstalled.txt, built once and cached outside the clone (cache-dir/python-runtime/<hash>)
 *   so every data dir and checkout shares it. It never sees the machine's site-packages.
 * - Pool mode (no requirements.txt): pods run on the runtime environment.
 * - Dedicated mode (requirements.txt): an isolated venv with the declared dependencies
 *   pip-installed, plus the runtime environment behind them (a .pth file), so an app sees the
 *   pre-installed set and its own packages, its own pins first. Built before the version's
 *   first pod starts and cached under the data dir by the hash of requirements.txt and of the
 *   runtime environment.
 *
 * If part of the pre-installed set cannot be installed (no package registry), the runtime
 * environment holds what could be installed and remembers what is missing: the local Ignite
 * says so when it starts, and a handler that imports a missing package gets a 500 naming it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, sourcePath } from "../../package-files.js";

export interface Interpreter {
  /** Absolute path of the python executable. */
  executable: string;
  /** Flags placed before the worker script. */
  flags: string[];
  mode: "pool" | "dedicated";
  /** Packages of the pre-installed set the runtime environment lacks. */
  missing: string[];
}

/** The built runtime environment. */
export interface RuntimeEnvironment {
  python: string;
  sitePackages: string;
  /** Import names of the pre-installed set that could not be installed. */
  missing: string[];
  /** Identifies this build (dedicated venvs are keyed by it). */
  id: string;
}

/** Env variables that would leak the emulator's Python setup into a pod. */
export const PYTHON_ENV_BLOCKLIST = ["PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "VIRTUAL_ENV"];

export class DependencyInstallError extends Error {}

/** The pinned pre-installed set: the requirement lines and the import names it provides. */
export function preinstalledSet(): { file: string; text: string; requirements: string[]; provides: string[] } {
  const file = sourcePath("emulator/runtimes/python/preinstalled.txt");
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n").map((l) => l.trim());
  const provides = (lines.find((l) => l.startsWith("# provides:")) ?? "").replace("# provides:", "").trim().split(/\s+/).filter(Boolean);
  return { file, text, requirements: lines.filter((l) => l && !l.startsWith("#")), provides };
}

const runtimeBuilds = new Map<string, Promise<RuntimeEnvironment>>();

export class PythonEnvironments {
  private base: Promise<string> | undefined;
  private readonly building = new Map<string, Promise<string>>();

  constructor(
    private readonly python: string,
    private readonly venvRoot: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * The real interpreter behind `python3`: version managers (pyenv) put a shell shim on PATH
   * that costs ~150 ms per start, which would be billed to every cold start.
   */
  baseExecutable(): Promise<string> {
    this.base ??= run(this.python, ["-s", "-c", "import sys; sys.stdout.write(sys.executable)"], {}).then((r) => {
      if (r.code !== 0 || !r.stdout) throw new Error(`cannot run ${this.python}: ${r.output.trim()}`);
      return r.stdout.trim();
    });
    return this.base;
  }

  /**
   * The runtime environment, built (once per machine) when missing. `retryIncomplete` (the
   * set-up) builds it again when an earlier build could not install everything.
   */
  async runtimeEnvironment(retryIncomplete = false): Promise<RuntimeEnvironment> {
    const base = await this.baseExecutable();
    const key = `${cacheDir()}\0${base}`;
    let build = runtimeBuilds.get(key);
    if (!build) {
      build = buildRuntimeEnvironment(base, this.log, retryIncomplete);
      runtimeBuilds.set(key, build);
      build.catch(() => runtimeBuilds.delete(key));
    }
    return build;
  }

  /** The interpreter for a version tree; builds the dedicated venv when needed. */
  async forTree(treeDir: string, appLog: (chunk: string) => void): Promise<Interpreter> {
    let requirements: Buffer | undefined;
    try {
      requirements = await fs.promises.readFile(path.join(treeDir, "requirements.txt"));
    } catch {
      requirements = undefined;
    }
    const runtime = await this.runtimeEnvironment();
    if (requirements === undefined) return { executable: runtime.python, flags: ["-s"], mode: "pool", missing: runtime.missing };
    const executable = await this.venvFor(runtime, requirements, path.join(treeDir, "requirements.txt"), appLog);
    return { executable, flags: ["-s"], mode: "dedicated", missing: runtime.missing };
  }

  private venvFor(runtime: RuntimeEnvironment, requirements: Buffer, file: string, appLog: (chunk: string) => void): Promise<string> {
    const hash = createHash("sha256").update(runtime.id).update("\0").update(requirements).digest("hex").slice(0, 32);
    let pending = this.building.get(hash);
    if (!pending) {
      pending = this.buildVenv(runtime, hash, file, appLog);
      this.building.set(hash, pending);
      // A failed build is retried on the next cold start rather than cached forever.
      pending.catch(() => this.building.delete(hash));
    }
    return pending;
  }

  private async buildVenv(runtime: RuntimeEnvironment, hash: string, file: string, appLog: (chunk: string) => void): Promise<string> {
    const dir = path.join(this.venvRoot, hash);
    const python = path.join(dir, "bin", "python");
    const marker = path.join(dir, ".ignite-ready");
    if (fs.existsSync(marker)) return python;
    await fs.promises.rm(dir, { recursive: true, force: true });
    await fs.promises.mkdir(this.venvRoot, { recursive: true });
    const base = await this.baseExecutable();
    this.log(`runtime: building dedicated venv ${hash} from ${file}`);
    appLog(`[ignite] installing dependencies from requirements.txt (venv ${hash.slice(0, 12)})\n`);
    // --without-pip skips ensurepip (seconds); the base interpreter's pip installs into the
    // venv through --python, so what requirements.txt pins is resolved on its own.
    const steps: Array<[string, string[]]> = [
      [base, ["-s", "-m", "venv", "--without-pip", dir]],
      [base, ["-s", "-m", "pip", "--python", python, "install", "--disable-pip-version-check", "--no-input", "-r", file]],
    ];
    for (const [cmd, args] of steps) {
      const r = await run(cmd, args, { PIP_NO_INPUT: "1" });
      appLog(r.output);
      if (r.code !== 0) {
        throw new DependencyInstallError(`installing requirements.txt failed (exit ${r.code}); see the app logs`);
      }
    }
    // The pre-installed set comes after the app's own packages on sys.path.
    await fs.promises.writeFile(path.join(await sitePackagesOf(python), "_ignite_preinstalled.pth"), runtime.sitePackages + "\n");
    await fs.promises.writeFile(marker, new Date().toISOString());
    return python;
  }
}

async function sitePackagesOf(python: string): Promise<string> {
  const r = await run(python, ["-s", "-c", "import sysconfig, sys; sys.stdout.write(sysconfig.get_paths()['purelib'])"], {});
  if (r.code !== 0 || !r.stdout) throw new Error(`cannot ask ${python} for its site-packages: ${r.output.trim()}`);
  return r.stdout.trim();
}

/**
 * Builds the runtime environment in a temporary directory and renames it into place, so
 * concurrent builders (test workers, the set-up) never see half a venv; a venv only records
 * its base interpreter, so it works after the rename.
 */
async function buildRuntimeEnvironment(base: string, log: (line: string) => void, retryIncomplete: boolean): Promise<RuntimeEnvironment> {
  const set = preinstalledSet();
  const id = createHash("sha256").update(base).update("\0").update(set.text).digest("hex").slice(0, 16);
  const dir = path.join(cacheDir(), "python-runtime", id);
  const marker = path.join(dir, ".ignite-ready");
  const ready = async (): Promise<RuntimeEnvironment> => {
    const python = path.join(dir, "bin", "python");
    const { missing } = JSON.parse(await fs.promises.readFile(marker, "utf8")) as { missing: string[] };
    return { python, sitePackages: await sitePackagesOf(python), missing, id };
  };
  const report = (env: RuntimeEnvironment): RuntimeEnvironment => {
    if (env.missing.length > 0) {
      log(`runtime: python: the pre-installed set lacks ${env.missing.join(", ")} (pip could not install them here); handlers importing them fail until \`npm run setup\` can reach the package registry`);
    }
    return env;
  };
  if (fs.existsSync(marker)) {
    const env = await ready();
    if (env.missing.length === 0 || !retryIncomplete) return report(env);
    await fs.promises.rm(dir, { recursive: true, force: true });
  }

  log(`runtime: python: building the runtime environment with the pre-installed set (${set.provides.join(", ")}) in ${dir}; this happens once`);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await fs.promises.mkdir(path.dirname(dir), { recursive: true });
  const venv = await run(base, ["-s", "-m", "venv", "--without-pip", tmp], {});
  if (venv.code !== 0) throw new Error(`creating the Python runtime environment failed: ${venv.output.trim()}`);
  const python = path.join(tmp, "bin", "python");
  const pip = (args: string[]) =>
    run(base, ["-s", "-m", "pip", "--python", python, "install", "--disable-pip-version-check", "--no-input", "--no-deps", ...args], { PIP_NO_INPUT: "1" });
  const all = await pip(["-r", set.file]);
  if (all.code !== 0) {
    // Whatever can be installed is: one requirement at a time.
    log(`runtime: python: installing the pre-installed set failed; trying package by package:\n${all.output.trim().split("\n").slice(-5).join("\n")}`);
    for (const requirement of set.requirements) await pip([requirement]);
  }
  const probe = await run(
    python,
    ["-s", "-c", "import importlib.util, json, sys; print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))", ...set.provides],
    {},
  );
  const missing = probe.code === 0 ? (JSON.parse(probe.stdout) as string[]) : set.provides;
  await fs.promises.writeFile(path.join(tmp, ".ignite-ready"), JSON.stringify({ missing, built: new Date().toISOString() }));
  try {
    await fs.promises.rename(tmp, dir);
  } catch {
    await fs.promises.rm(tmp, { recursive: true, force: true }); // another builder won
  }
  return report(await ready());
}

interface RunResult {
  code: number | null;
  stdout: string;
  output: string;
}

function run(cmd: string, args: string[], extraEnv: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, ...extraEnv };
    for (const name of PYTHON_ENV_BLOCKLIST) delete env[name];
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (err) => resolve({ code: -1, stdout: "", output: String(err) }));
    child.on("close", (code) => resolve({ code, stdout, output }));
  });
}
