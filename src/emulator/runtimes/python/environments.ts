/**
 * Which Python interpreter a published version runs on.
 *
 * - Pool mode (no requirements.txt): the machine's python3 with `-s`, so only the base
 *   interpreter's site-packages are importable (the "pre-installed" set), never the user's
 *   ~/.local packages.
 * - Dedicated mode (requirements.txt): an isolated venv (no system site-packages) with the
 *   declared dependencies pip-installed, built before the version's first pod starts and
 *   cached under the data plane's directory by the hash of requirements.txt, so later
 *   versions and restarts with the same requirements reuse it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface Interpreter {
  /** Absolute path of the python executable. */
  executable: string;
  /** Flags placed before the pod script. */
  flags: string[];
  mode: "pool" | "dedicated";
}

/** Env variables that would leak the emulator's Python setup into a pod. */
export const PYTHON_ENV_BLOCKLIST = ["PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "VIRTUAL_ENV"];

export class DependencyInstallError extends Error {}

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

  /** The interpreter for a version tree; builds the dedicated venv when needed. */
  async forTree(treeDir: string, appLog: (chunk: string) => void): Promise<Interpreter> {
    let requirements: Buffer | undefined;
    try {
      requirements = await fs.promises.readFile(path.join(treeDir, "requirements.txt"));
    } catch {
      requirements = undefined;
    }
    const base = await this.baseExecutable();
    if (requirements === undefined) return { executable: base, flags: ["-s"], mode: "pool" };
    const executable = await this.venvFor(base, requirements, path.join(treeDir, "requirements.txt"), appLog);
    return { executable, flags: ["-s"], mode: "dedicated" };
  }

  private venvFor(base: string, requirements: Buffer, file: string, appLog: (chunk: string) => void): Promise<string> {
    const hash = createHash("sha256").update(requirements).digest("hex").slice(0, 32);
    let pending = this.building.get(hash);
    if (!pending) {
      pending = this.buildVenv(base, hash, file, appLog);
      this.building.set(hash, pending);
      // A failed build is retried on the next cold start rather than cached forever.
      pending.catch(() => this.building.delete(hash));
    }
    return pending;
  }

  private async buildVenv(base: string, hash: string, file: string, appLog: (chunk: string) => void): Promise<string> {
    const dir = path.join(this.venvRoot, hash);
    const python = path.join(dir, "bin", "python");
    const marker = path.join(dir, ".ignite-ready");
    if (fs.existsSync(marker)) return python;
    await fs.promises.rm(dir, { recursive: true, force: true });
    await fs.promises.mkdir(this.venvRoot, { recursive: true });
    this.log(`runtime: building dedicated venv ${hash} from ${file}`);
    appLog(`[ignite] installing dependencies from requirements.txt (venv ${hash.slice(0, 12)})\n`);
    // --without-pip skips ensurepip (seconds); the base interpreter's pip installs into the
    // venv through --python, so the venv holds only what requirements.txt declares.
    const steps: Array<[string, string[]]> = [
      [base, ["-s", "-m", "venv", "--without-pip", dir]],
      [
        base,
        ["-s", "-m", "pip", "--python", python, "install", "--disable-pip-version-check", "--no-input", "-r", file],
      ],
    ];
    for (const [cmd, args] of steps) {
      const r = await run(cmd, args, { PIP_NO_INPUT: "1" });
      appLog(r.output);
      if (r.code !== 0) {
        throw new DependencyInstallError(`installing requirements.txt failed (exit ${r.code}); see the app logs`);
      }
    }
    await fs.promises.writeFile(marker, new Date().toISOString());
    return python;
  }
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
