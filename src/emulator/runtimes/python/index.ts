/**
 * The Python runtime (seeds 000 and 001): `handler(payload, ctx)` in handler.py, run by
 * worker.py in pool mode (the runtime environment: the pre-installed set of preinstalled.txt)
 * or dedicated mode (a venv with the version's requirements.txt in front of that set, built
 * before its first pod). See environments.ts.
 */
import * as path from "node:path";
import { Runtime } from "../../../gen/dodil/ignite/v1/compute_pb.js";
import { sourcePath } from "../../package-files.js";
import type { RuntimePlugin } from "../types.js";
import { PYTHON_ENV_BLOCKLIST, PythonEnvironments } from "./environments.js";

const environments = new Map<string, PythonEnvironments>();

/** One set of environments per interpreter and data dir (venvs are cached under the data dir). */
function environmentsFor(python: string, dataDir: string, log: (line: string) => void): PythonEnvironments {
  const key = `${python}\0${dataDir}`;
  let envs = environments.get(key);
  if (!envs) {
    envs = new PythonEnvironments(python, path.join(dataDir, "venvs"), log);
    environments.set(key, envs);
  }
  return envs;
}

export const python: RuntimePlugin = {
  name: "python",
  runtime: Runtime.PYTHON,
  entryFile: "handler.py",

  async worker(version, host, appLog) {
    const envs = environmentsFor(host.options.python, host.dataDir, host.log);
    const interpreter = await envs.forTree(version.treeDir, appLog);
    return {
      argv: [interpreter.executable, ...interpreter.flags, sourcePath("emulator/runtimes/python/worker.py")],
      env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1", IGNITE_PREINSTALLED_MISSING: interpreter.missing.join(",") },
      unsetEnv: PYTHON_ENV_BLOCKLIST,
      mode: interpreter.mode,
    };
  },

  async warmUp(host) {
    // The runtime environment is found (or built) now, so the first cold start does not pay for it.
    await environmentsFor(host.options.python, host.dataDir, host.log).runtimeEnvironment();
  },
};

/** Builds the runtime environment ahead of any pod (the set-up's step), again if incomplete. */
export async function prepareRuntimeEnvironment(python: string, log: (line: string) => void): Promise<string[]> {
  const envs = new PythonEnvironments(python, "", log);
  return (await envs.runtimeEnvironment(true)).missing;
}
