#!/usr/bin/env node
// One-time set-up behind `npm start` and `npm test` (their pre-scripts), so that either
// command alone works on a fresh clone: installs npm dependencies when node_modules is
// missing or stale (Node 22 itself comes from the `node` npm package, so the machine's Node may
// be 20), compiles TypeScript, makes the Pulumi toolchain available (built from Go modules on
// first use, cached outside the clone) and the Python packages the tests use. Before `npm
// test` it also installs the other toolchain lines the tests run on (scripts/lines.js): their
// npm projects under test/lines/ and their Pulumi CLIs.
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

function pythonPackages() {
  const req = path.join(root, "requirements-dev.txt");
  if (!fs.existsSync(req)) return;
  const probe = spawnSync("python3", ["-c", "import requests"], { stdio: "ignore" });
  if (probe.status === 0) return;
  say("installing Python packages (requirements-dev.txt)…");
  run("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", req]);
}

const steps = process.argv.slice(2);
const want = (s) => steps.length === 0 || steps.includes(s);
if (want("npm")) {
  npmDependencies();
  nodeBinaries(selectedLines().filter((l) => l.baseline));
}
if (want("build")) build();
if (want("pulumi")) pulumiToolchain();
if (steps.includes("lines")) testLines();
if (want("python")) pythonPackages();
