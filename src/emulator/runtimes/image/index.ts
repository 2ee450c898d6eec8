/**
 * The image runtime: versions published from an image draft (`code.image`: dockerfile_path,
 * git_url, image_ref) run as containers in a container engine of the machine — podman, else
 * docker with a reachable daemon, or IGNITE_CONTAINER_ENGINE (docs/local-ignite.md, "Image
 * sources"). The container is the app's own HTTP server on the app's first port (80 by
 * default); the pod's worker is image-worker.py, which starts the container and forwards each
 * request frame to it over HTTP, so the pod agent, the pool and the three invocation surfaces
 * are the same as for code.
 *
 * The local Ignite never pulls: an image_ref must already be in the engine's store, and a
 * Dockerfile or git_url is built (once per version, tagged `localhost/ignite-local/<org>-<app>:v<n>`)
 * at the version's first cold start, by the engine, with what it can reach. Without an engine,
 * or without the image, every invocation answers FAILED_PRECONDITION saying what is missing —
 * never a silent success.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import type { ImageSource } from "../../../gen/dodil/ignite/v1/compute_pb.js";
import { Runtime } from "../../../gen/dodil/ignite/v1/compute_pb.js";
import { FailedPreconditionError } from "../../errors.js";
import { sourcePath } from "../../package-files.js";
import type { RuntimePlugin, VersionContext } from "../types.js";

interface Run {
  code: number | string;
  out: string;
}

function run(command: string, args: string[], timeoutMs: number, onOutput?: (chunk: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException).code ?? (err.killed ? "timeout" : 1)) : 0;
      resolve({ code: code as number | string, out: `${stdout}${stderr}` });
    });
    if (onOutput) {
      child.stdout?.on("data", (d: Buffer) => onOutput(d.toString()));
      child.stderr?.on("data", (d: Buffer) => onOutput(d.toString()));
    }
  });
}

const lastLine = (text: string): string => text.trim().split("\n").filter(Boolean).pop() ?? "";

/** The container engine to use, or why there is none; detection is cached for 10 s. */
export async function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<{ engine: string } | { missing: string }> {
  const now = Date.now();
  if (cached && cached.until > now && cached.key === env.IGNITE_CONTAINER_ENGINE) return cached.result;
  const candidates = env.IGNITE_CONTAINER_ENGINE ? [env.IGNITE_CONTAINER_ENGINE] : ["podman", "docker"];
  const notes: string[] = [];
  let result: { engine: string } | { missing: string } | undefined;
  for (const engine of candidates) {
    const r = await run(engine, ["info"], 15_000);
    if (r.code === 0) {
      result = { engine };
      break;
    }
    const name = path.basename(engine);
    notes.push(r.code === "ENOENT" ? `${name} is not installed` : `${name}: ${lastLine(r.out) || `info failed (${r.code})`}`);
  }
  result ??= { missing: notes.join("; ") };
  cached = { key: env.IGNITE_CONTAINER_ENGINE, until: now + 10_000, result };
  return result;
}
let cached: { key: string | undefined; until: number; result: { engine: string } | { missing: string } } | undefined;

/** "image_ref nginx@sha256:…", "dockerfile_path Dockerfile", "git_url https://…". */
export function imageSourcePhrase(image: ImageSource): string {
  switch (image.source.case) {
    case "imageRef":
      return `the image ${image.source.value}`;
    case "dockerfilePath":
      return `an image built from ${image.source.value} in its build context`;
    case "gitUrl":
      return `an image built from ${image.source.value}`;
    default:
      return "a container image";
  }
}

/** The local tag a built image gets, one per version. */
export function builtTag(appId: string, version: number): string {
  return `localhost/ignite-local/${appId.replace("/", "-")}:v${version}`;
}

const pythons = new Map<string, Promise<string>>();

/**
 * The interpreter itself, not a wrapper: a pyenv shim changes PATH and adds PYENV_* variables,
 * which the worker would take for the app's env and pass into the container.
 */
function realPython(python: string): Promise<string> {
  let real = pythons.get(python);
  if (!real) {
    real = run(python, ["-c", "import sys; print(sys.executable)"], 30_000).then((r) => (r.code === 0 && r.out.trim() ? r.out.trim().split("\n")[0]! : python));
    pythons.set(python, real);
  }
  return real;
}

/** Versions whose image is known to be present: app id@version → image name. */
const ready = new Map<string, Promise<string>>();

async function prepareImage(engine: string, version: VersionContext, image: ImageSource, appLog: (chunk: string) => void): Promise<string> {
  const what = `${version.appId} v${version.version} runs ${imageSourcePhrase(image)}`;
  const exists = async (name: string): Promise<boolean> => (await run(engine, ["image", "inspect", name], 30_000)).code === 0;
  if (image.source.case === "imageRef") {
    const ref = image.source.value;
    if (await exists(ref)) return ref;
    throw new FailedPreconditionError(
      `${what}, which ${path.basename(engine)} does not have here; the local Ignite does not pull images: pull or load it first (\`${path.basename(engine)} pull ${ref}\` where its registry is reachable, or \`${path.basename(engine)} load\`)`,
    );
  }
  const tag = builtTag(version.appId, version.version);
  if (await exists(tag)) return tag;
  const context = image.source.case === "dockerfilePath" ? version.treeDir : image.source.case === "gitUrl" ? image.source.value : undefined;
  if (context === undefined) throw new FailedPreconditionError(`${what}: the version has no image source`);
  const args = ["build", "-t", tag, ...(image.source.case === "dockerfilePath" ? ["-f", path.join(version.treeDir, image.source.value)] : []), context];
  appLog(`[ignite] building ${tag}: ${path.basename(engine)} ${args.join(" ")}\n`);
  const built = await run(engine, args, 2400_000, appLog);
  if (built.code !== 0) {
    throw new FailedPreconditionError(`${what}, and building it with ${path.basename(engine)} failed: ${lastLine(built.out) || `exit ${built.code}`}; see the app logs`);
  }
  return tag;
}

export const imageRuntime: RuntimePlugin = {
  name: "image",
  runtime: Runtime.UNSPECIFIED,
  entryFile: "Dockerfile",

  async worker(version, host, appLog) {
    const image = version.image;
    if (!image) throw new FailedPreconditionError(`${version.appId} v${version.version} is not an image version`);
    const found = await findEngine();
    if ("missing" in found) {
      throw new FailedPreconditionError(
        `${version.appId} v${version.version} runs ${imageSourcePhrase(image)}: the local Ignite runs image apps in a container engine (podman, or docker with a running daemon, or IGNITE_CONTAINER_ENGINE), and none is usable here (${found.missing}); ` +
          "install podman (or start Docker) and make the image available, or deploy code (code.compile) instead",
      );
    }
    const key = `${version.appId}@${version.version}@${found.engine}`;
    let name = ready.get(key);
    if (!name) {
      name = prepareImage(found.engine, version, image, appLog);
      ready.set(key, name);
      name.catch(() => ready.delete(key));
    }
    const port = version.ports?.[0] ?? 80;
    return {
      argv: [await realPython(host.options.python), "-I", sourcePath("emulator/runtimes/image/image-worker.py"), found.engine, await name, String(port)],
      // What the worker must not pass into the container: the local Ignite's own environment.
      env: { IGNITE_IMAGE_BASE_ENV: JSON.stringify(process.env) },
      mode: "image",
    };
  },
};
