/**
 * The runtimes the local Ignite runs (types.ts). Adding one is a folder beside these and a
 * line in RUNTIME_PLUGINS.
 */
import { Runtime } from "../../gen/dodil/ignite/v1/compute_pb.js";
import { deno } from "./deno/index.js";
import { goRuntime } from "./go/index.js";
import { imageRuntime } from "./image/index.js";
import { python } from "./python/index.js";
import { rustRuntime } from "./rust/index.js";
import type { RuntimePlugin } from "./types.js";
import type { Version } from "../../gen/dodil/ignite/v1/compute_pb.js";

export const RUNTIME_PLUGINS: readonly RuntimePlugin[] = [python, rustRuntime, deno, goRuntime];

/** The runtime of an app (an unspecified runtime is Python, as CreateApp defaults it). */
export function runtimeFor(runtime: Runtime): RuntimePlugin | undefined {
  const wanted = runtime === Runtime.UNSPECIFIED ? Runtime.PYTHON : runtime;
  return RUNTIME_PLUGINS.find((r) => r.runtime === wanted);
}

/** The runtime of a CompileRuntime oneof case ("python", "rust", ...). */
export function runtimeNamed(name: string | undefined): RuntimePlugin | undefined {
  return RUNTIME_PLUGINS.find((r) => r.name === name);
}

/**
 * The runtime that runs a published version: the image runtime for a version published from
 * an image draft (whatever the app's runtime), else the app's.
 */
export function runtimeForVersion(appRuntime: Runtime, version: Version | undefined): RuntimePlugin | undefined {
  return version?.image?.source.case ? imageRuntime : runtimeFor(appRuntime);
}
