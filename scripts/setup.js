#!/usr/bin/env node
// One-time set-up behind `npm start` and `npm test` (their pre-scripts), so that either
// command alone works on a fresh clone: installs npm dependencies when node_modules is
// missing or stale (Node 22 itself comes from the `node` npm package, so the machine's Node may
// be 20), compiles TypeScript, makes the Pulumi toolchain available (built from Go modules on
// first use, cached outside the clone), the pod agent of the local Ignite (built with cargo,
// cached likewise), the Python packages the tests use, and what Rust wasm apps need (the
// wasm32-wasip2 target, the wasm runner's Wasmtime). The Rust wasm steps never fail the
// set-up: where they cannot be done they say why, and wasm drafts then fail to compile or run
// with that reason, and the wasm tests are skipped saying so. Before `npm test` it also
// installs the other toolchain lines the tests run on (scripts/lines.js): their npm projects
// under test/lines/ and their Pulumi CLIs.
// Only Node built-ins here: it runs before node_modules exists.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const { root, selectedLines } = require("./lines.js");
const say = (msg) => process.stderr.write(`[setup] ${msg}\n`);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...opts });
  if (r.status !== 0) {
    say(`'${cmd} ${args.join(" ")}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  return r;
};

/** `npm ci` in `dir` when its node_modules is missing or older than its lockfile. */
function npmDependencies(dir = root) {
  const lock = path.join(dir, "package-lock.json");
  const installed = path.join(dir, "node_modules", ".package-lock.json");
  const stale =
    !fs.existsSync(installed) || fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs + 1000;
  if (!stale) return;
  say(`installing npm dependencies (npm ci${dir === root ? "" : ` in ${path.relative(root, dir)}`})…`);
  run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir });
}

/** Each line's Node.js comes from the `node` npm package, whose install script fetches the binary. */
function nodeBinaries(lines) {
  for (const line of lines) {
    if (fs.existsSync(line.node)) continue;
    say(`${path.relative(root, line.node)} is missing: the install script of the \`node\` npm package (Node ${line.nodeVersion}) did not run.`);
    say(`allow it (package.json "allowScripts": { "node": true }, or \`npm install-scripts approve node\` in ${path.relative(root, line.dir) || "."}) and remove node_modules there`);
    process.exit(1);
  }
}

function build() {
  say("compiling TypeScript (tsc)…");
  run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]);
}

function pulumiToolchain(line) {
  // Built (or found) and cached here so the first test or deploy does not wait on it; the
  // end-to-end harness and the main job ask the same script for its directory.
  const env = line ? { ...process.env, PULUMI_IGNITE_SDK: line.dir, PULUMI_IGNITE_CLI_MATCH: line.cliMatch } : process.env;
  run("bash", [path.join(root, "scripts", "pulumi-toolchain.sh")], { stdio: ["ignore", "ignore", "inherit"], env });
}

/** The test lines other than the baseline: their npm project (node, @pulumi/pulumi) and CLI. */
function testLines() {
  for (const line of selectedLines()) {
    if (line.baseline) continue;
    npmDependencies(line.dir);
    nodeBinaries([line]);
    pulumiToolchain(line);
  }
}

function podAgent() {
  // Every pod of the local Ignite runs the pod agent, built from Rust sources with cargo and
  // cached outside the clone (docs/pod-protocol.md); building it now spares the first pod.
  const agent = path.join(root, "dist", "emulator", "runtime", "agent.js");
  const script = `require(${JSON.stringify(agent)}).podAgent({ log: (l) => process.stderr.write("[setup] " + l + "\\n") }).catch((e) => { process.stderr.write(String(e.message || e) + "\\n"); process.exit(1); })`;
  run(process.execPath, ["-e", script]);
}

/** grpcurl, for the test of the local Ignite's server reflection (a tool the platform pages use). */
const GRPCURL = "v1.9.4";
function grpcurl() {
  const cache = process.env.PULUMI_IGNITE_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(require("node:os").homedir(), ".cache"), "pulumi-ignite");
  const bin = path.join(cache, `grpcurl-${GRPCURL}`);
  if (fs.existsSync(path.join(bin, "grpcurl"))) return;
  say(`building grpcurl ${GRPCURL} from its Go module (once; about two minutes)…`);
  run("go", ["install", `github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL}`], {
    env: { ...process.env, GOBIN: bin, GOFLAGS: "-mod=mod", GOSUMDB: "off", GOTOOLCHAIN: "local" },
  });
}

function pythonPackages() {
  // The Python runtime's pre-installed set (numpy, pandas, …), the environment pool-mode pods
  // run on, cached outside the clone; an incomplete one (no registry earlier) is built again.
  const env = path.join(root, "dist", "emulator", "runtimes", "python", "index.js");
  const script = `require(${JSON.stringify(env)}).prepareRuntimeEnvironment(process.env.IGNITE_PYTHON || "python3", (l) => process.stderr.write("[setup] " + l + "\\n")).then((missing) => { if (missing.length) process.stderr.write("[setup] warning: the Python runtime lacks " + missing.join(", ") + "\\n"); }).catch((e) => { process.stderr.write(String(e.message || e) + "\\n"); process.exit(1); })`;
  run(process.execPath, ["-e", script]);

  const req = path.join(root, "requirements-dev.txt");
  if (!fs.existsSync(req)) return;
  const probe = spawnSync("python3", ["-c", "import requests"], { stdio: "ignore" });
  if (probe.status === 0) return;
  say("installing Python packages (requirements-dev.txt)…");
  run("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", req]);
}

// Where the Pulumi toolchain and the Rust caches live (as scripts/pulumi-toolchain.sh and
// src/emulator/runtimes/rust/settings.ts).
const cacheRoot =
  process.env.PULUMI_IGNITE_CACHE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(require("node:os").homedir(), ".cache"), "pulumi-ignite");

function wasmTarget() {
  const installed = spawnSync("rustup", ["target", "list", "--installed"], { encoding: "utf8" });
  if (installed.error) {
    say("rustup is not installed: cannot add the wasm32-wasip2 target (wasm drafts will not compile; wasm tests are skipped). Carrying on.");
    return;
  }
  if (installed.stdout.split("\n").includes("wasm32-wasip2")) return;
  say("adding the wasm32-wasip2 target for Rust wasm apps (rustup target add wasm32-wasip2)…");
  const r = spawnSync("rustup", ["target", "add", "wasm32-wasip2"], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) say(`could not add wasm32-wasip2 (exit ${r.status ?? r.signal}): wasm drafts will not compile; wasm tests are skipped. Carrying on.`);
}

function wasmtime() {
  const req = path.join(root, "src", "emulator", "runtimes", "rust", "wasm-requirements.txt");
  const version = /^wasmtime==(\S+)$/m.exec(fs.readFileSync(req, "utf8"))[1];
  const venv = path.join(cacheRoot, `wasmtime-${version}`);
  const python = path.join(venv, "bin", "python");
  const check = `import importlib.metadata as m; assert m.version("wasmtime") == "${version}"`;
  if (spawnSync(python, ["-c", check], { stdio: "ignore" }).status === 0) return;
  say(`creating the wasm runner's Python (wasmtime==${version}) in ${venv}…`);
  const steps = [
    ["python3", ["-m", "venv", venv]],
    [python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", req]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) {
      say(`'${path.basename(cmd)} ${args.join(" ")}' failed (exit ${r.status ?? r.signal}): wasm apps cannot run here and wasm tests are skipped. Carrying on.`);
      return;
    }
  }
}

const steps = process.argv.slice(2);
const want = (s) => steps.length === 0 || steps.includes(s);
if (want("npm")) {
  npmDependencies();
  nodeBinaries(selectedLines().filter((l) => l.baseline));
}
if (want("build")) build();
if (want("agent")) podAgent();
if (want("pulumi")) pulumiToolchain();
if (steps.includes("lines")) testLines();
if (want("python")) pythonPackages();
if (want("wasm")) wasmTarget();
if (want("wasmtime")) wasmtime();
// Only for the tests, and only when asked (npm test's pre-script names it).
if (steps.includes("grpcurl")) grpcurl();
