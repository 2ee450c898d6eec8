#!/usr/bin/env node
// `npm start` (after `npm run build`): deploys every example (greet, tabler, tiny) with the
// real Pulumi CLI onto a local Ignite, prints each app's active version and public URLs, then
// stops what it started. Everything it keeps lives in the repository and is ignored by git:
//   .ignite-local/   the local Ignite's data (apps, drafts, versions, dev token)
//   .pulumi-state/   the file backend, PULUMI_HOME and the stack's config file
// A second run changes nothing (the apps are already at their code); it ends by checking that
// with `pulumi preview --expect-no-changes`.
//
// Environment: IGNITE_LOCAL_PORT (default 7700; 0 = any free port), PULUMI_CONFIG_PASSPHRASE
// (default "ignite-local-dev": the dev stack's secrets are only the local Ignite's token).
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const STACK = "local";
const DEV_PASSPHRASE = "ignite-local-dev";
const stateDir = path.join(root, ".pulumi-state");
const configFile = path.join(stateDir, `Pulumi.${STACK}.yaml`);

function say(line) {
  process.stdout.write(`[main] ${line}\n`);
}

/** Runs a command, streaming its output (or capturing stdout), with optional stdin text. */
function run(cmd, args, { env, capture = false, input, allowFail = false, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: [input === undefined ? "ignore" : "pipe", capture ? "pipe" : "inherit", quiet ? "ignore" : "inherit"] });
    let out = "";
    if (capture) child.stdout.on("data", (d) => (out += d));
    if (input !== undefined) child.stdin.end(input);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 || allowFail) resolve({ code, out });
      else reject(new Error(`${path.basename(cmd)} ${args.filter((a) => !a.startsWith("--config-file")).join(" ")} exited with ${code}`));
    });
  });
}

async function ensureToolchain() {
  say("ensuring the Pulumi toolchain (first run builds it from Go modules: many minutes)…");
  const { out } = await run("bash", [path.join(root, "scripts", "pulumi-toolchain.sh")], { env: process.env, capture: true });
  const bin = out.trim().split("\n").pop();
  if (!bin || !fs.existsSync(path.join(bin, "pulumi"))) throw new Error(`scripts/pulumi-toolchain.sh printed no usable bin directory (got "${bin}")`);
  return bin;
}

async function startIgnite() {
  let emulator;
  try {
    emulator = require(path.join(root, "dist", "emulator", "index.js"));
  } catch (err) {
    throw new Error(`dist/ is missing or stale; run \`npm run build\` first (${err.message})`);
  }
  const port = Number(process.env.IGNITE_LOCAL_PORT ?? 7700);
  const ignite = await emulator.startEmulator({ port, dataDir: path.join(root, ".ignite-local") });
  say(`local Ignite: grpc ${ignite.grpcEndpoint}, org ${ignite.org}, data ${path.relative(root, ignite.dataDir)}/`);
  return ignite;
}

/**
 * ISSUE 4 HOOK: invoke each app through its public URL (and the Invoke RPC) once the data
 * plane runs published handlers. `apps` is the stack output: { greet: { appId, activeVersion,
 * publicUrls }, tabler: …, tiny: … }; `ignite` is the running local Ignite (token, httpUrl).
 */
async function invokeApps(apps, ignite) {
  void ignite;
  say(`(issue 4) invoking ${Object.keys(apps).join(", ")} through their public URLs is not wired yet`);
}

async function main() {
  const bin = await ensureToolchain();
  const ignite = await startIgnite();
  const stop = async () => {
    await ignite.stop().catch(() => {});
  };
  process.once("SIGINT", () => stop().then(() => process.exit(130)));
  try {
    fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
    fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
    const env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      PULUMI_HOME: path.join(stateDir, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? DEV_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    // Credentials reach the provider only through the stack config below.
    for (const k of ["DODIL_TOKEN", "DODIL_CLIENT_ID", "DODIL_CLIENT_SECRET", "DODIL_ORG", "DODIL_IGNITE_ENDPOINT", "IGNITE_GRPC"]) delete env[k];
    const pulumi = (args, opts = {}) => run("pulumi", [...args, "--non-interactive"], { env, ...opts });
    const cfg = ["--stack", STACK, "--config-file", configFile];

    const selected = await pulumi(["stack", "select", STACK], { allowFail: true, capture: true, quiet: true });
    if (selected.code !== 0) {
      // `stack init` writes the passphrase salt to ./Pulumi.local.yaml (it takes no
      // --config-file); the stack's real config file is under .pulumi-state/, so drop it.
      const stray = path.join(root, `Pulumi.${STACK}.yaml`);
      const existed = fs.existsSync(stray);
      await pulumi(["stack", "init", STACK], { capture: true });
      if (!existed) fs.rmSync(stray, { force: true });
    }
    await pulumi(["config", "set", ...cfg, "ignite:endpoint", ignite.grpcEndpoint]);
    await pulumi(["config", "set", ...cfg, "ignite:organization", ignite.org]);
    // The token goes in on stdin (never on a command line) and is stored encrypted.
    await pulumi(["config", "set", ...cfg, "--secret", "ignite:token"], { input: ignite.token });

    say("pulumi up");
    await pulumi(["up", "--yes", ...cfg]);
    const { out } = await pulumi(["stack", "output", "--json", "--stack", STACK], { capture: true });
    const apps = JSON.parse(out).apps ?? {};
    for (const [name, app] of Object.entries(apps)) {
      say(`${name}: ${app.appId} version ${app.activeVersion} ${(app.publicUrls ?? []).join(" ")}`);
    }
    say("checking that a second run would change nothing (pulumi preview --expect-no-changes)");
    await pulumi(["preview", "--expect-no-changes", ...cfg]);

    await invokeApps(apps, ignite);
    say("done");
  } finally {
    await stop();
  }
}

main().catch((err) => {
  process.stderr.write(`[main] error: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
