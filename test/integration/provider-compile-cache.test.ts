// The provider process keeps its modules' compiled code in Node's compile cache (issue 11,
// src/resources/compile-cache.ts): the engine stops that process without letting Node write
// the cache at exit, so provider-impl flushes it once its imports are loaded. Run the way the
// dynamic-provider host runs it: plain Node loading the compiled package, here a throwaway
// transpile of src/ (dist/ may be rebuilt by another test file meanwhile), in a child process
// that is then killed from outside, as the engine stops it.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "../..");
const hasCompileCache = typeof (nodeModule as { flushCompileCache?: unknown }).flushCompileCache === "function";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-compile-cache-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** src/ transpiled to CommonJS under `work`/pkg, with the repository's node_modules beside it. */
beforeAll(() => {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path.join(dir, e.name)] : []));
  for (const file of walk(path.join(repo, "src"))) {
    const out = path.join(work, "pkg", path.relative(path.join(repo, "src"), file).replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    fs.writeFileSync(out, outputText);
  }
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(work, "node_modules"));
}, 60_000);

/**
 * Loads provider-impl in a fresh Node with the compile cache in `cacheDir`, then kills it from
 * outside once it has loaded, as the engine stops the provider process: Node's own write of
 * the cache at exit never runs.
 */
function loadAndKill(cacheDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ signal: NodeJS.Signals | null; output: string }> {
  const script = `require(${JSON.stringify(path.join(work, "pkg", "resources", "provider-impl.js"))}); console.log("loaded"); setInterval(() => {}, 1000);`;
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", NODE_COMPILE_CACHE: cacheDir };
  delete base.NODE_DISABLE_COMPILE_CACHE;
  const child = spawn(process.execPath, ["-e", script], { env: { ...base, ...env } });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      output += d;
      if (output.includes("loaded")) child.kill("SIGKILL");
    });
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ signal, output }));
  });
}

function cachedEntries(cacheDir: string): number {
  if (!fs.existsSync(cacheDir)) return 0;
  return fs.readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

describe("the provider process's compile cache", () => {
  it.skipIf(!hasCompileCache)("is written while the process runs, so it survives the process being stopped from outside (Node >= 22.1)", async () => {
    const cacheDir = path.join(work, "cache");
    const run = await loadAndKill(cacheDir);
    expect(run.signal, run.output).toBe("SIGKILL");
    expect(cachedEntries(cacheDir)).toBeGreaterThan(20);
  });

  it.skipIf(!hasCompileCache)("is left alone when the user turns it off (NODE_DISABLE_COMPILE_CACHE=1; Node >= 22.1)", async () => {
    const cacheDir = path.join(work, "off");
    const run = await loadAndKill(cacheDir, { NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(run.signal, run.output).toBe("SIGKILL");
    expect(cachedEntries(cacheDir)).toBe(0);
  });

  it("without the cache (turned off, or a Node without it) the providers load as before", () => {
    // Node 20 has neither enableCompileCache nor flushCompileCache: the optional calls are
    // no-ops there, as they are here with the cache turned off.
    const script = `const m = require(${JSON.stringify(path.join(work, "pkg", "resources", "provider-impl.js"))}); console.log(Object.keys(m.providers).join(","));`;
    const res = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, NODE_OPTIONS: "", NODE_DISABLE_COMPILE_CACHE: "1" }, encoding: "utf8" });
    expect(res.stderr).toBe("");
    expect(res.stdout.trim()).toBe("app,draft,publishedVersion");
  });
});
