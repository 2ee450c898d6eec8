/**
 * Files the local Ignite needs at run time that tsc does not emit (the pod agent's Rust
 * sources, runtime workers, the Rust SDK), and the cache outside the clone where what is
 * built from them is kept.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

let root: string | undefined;

/** The package root: the nearest directory above this module that holds package.json. */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`pulumi-ignite: no package.json above ${__dirname}`);
  }
}

/** A file or directory of the package's src/ tree, e.g. sourcePath("emulator/runtimes/python/worker.py"). */
export function sourcePath(relative: string): string {
  return path.join(packageRoot(), "src", ...relative.split("/"));
}

/**
 * Where built tools are cached across clones and data dirs: PULUMI_IGNITE_CACHE, else
 * $XDG_CACHE_HOME/pulumi-ignite, else ~/.cache/pulumi-ignite (as scripts/pulumi-toolchain.sh).
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PULUMI_IGNITE_CACHE) return path.resolve(env.PULUMI_IGNITE_CACHE);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-ignite");
}
