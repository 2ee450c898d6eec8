#!/usr/bin/env node
// `npm start` (after `npm run build`): deploys every example (greet, tabler, tiny, greet-deno,
// greet-go) with the real Pulumi CLI onto a local Ignite, prints each app's active version and
// public URLs, calls each app through its public URL and prints the answer, then stops what it
// started. Everything
// it keeps lives in the repository (or IGNITE_MAIN_STATE_DIR) and is ignored by git:
//   .ignite-local/   the local Ignite's data (apps, drafts, versions, dev token)
//   .pulumi-state/   the file backend, PULUMI_HOME and the stack's config file
// A second run changes nothing (the apps are already at their code): it prints the platform
// calls `pulumi up` made (reads only) and checks with `pulumi preview --expect-no-changes`.
//
// Environment: IGNITE_LOCAL_PORT (default 7700; 0 = any free port), IGNITE_MAIN_STATE_DIR
// (default: the repository), PULUMI_CONFIG_PASSPHRASE (default "ignite-local-dev": the dev
// stack's secrets are only the local Ignite's token).
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const STACK = "local";
const DEV_PASSPHRASE = "ignite-local-dev";
const stateRoot = path.resolve(process.env.IGNITE_MAIN_STATE_DIR || root);
const stateDir = path.join(stateRoot, ".pulumi-state");
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
  // The repository's own SDK and the CLI of its version, whatever line a caller is testing.
  const { out } = await run("bash", [path.join(root, "scripts", "pulumi-toolchain.sh")], { env: { ...process.env, PULUMI_IGNITE_SDK: root }, capture: true });
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
  const ignite = await emulator.startEmulator({ port, dataDir: path.join(stateRoot, ".ignite-local") });
  say(`local Ignite: grpc ${ignite.grpcEndpoint}, org ${ignite.org}, data ${path.relative(root, ignite.dataDir) || "."}/`);
  return ignite;
}

/** What the main job sends each example, from the seed pages. */
const PAYLOADS = {
  greet: { name: "Ada" },
  tabler: { rows: [["ada", 1], ["grace", 2]] },
  tiny: { message: "hi there" },
  "greet-deno": { name: "Ada" },
  "greet-go": { name: "Ada" },
};

/**
 * POSTs `payload` to a public URL the way curl would. `*.localhost` names are loopback
 * (RFC 6761) — curl knows that, Node's resolver does not, so resolve them here.
 */
function postJson(url, token, payload) {
  const http = require("node:http");
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": body.length },
        lookup: (host, opts, cb) =>
          host === "localhost" || host.endsWith(".localhost")
            ? opts && opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)
            : require("node:dns").lookup(host, opts, cb),
        timeout: 180_000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} in 180 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Calls each deployed app through its public URL and prints what it answered. */
async function invokeApps(apps, ignite) {
  for (const [name, app] of Object.entries(apps)) {
    const url = (app.publicUrls ?? [])[0];
    const payload = PAYLOADS[name];
    if (!url) throw new Error(`${name} has no public URL after pulumi up`);
    say(`${name}: POST ${url} ${JSON.stringify(payload)}`);
    const res = await postJson(url, ignite.token, payload);
    if (res.status !== 200) throw new Error(`${name} answered HTTP ${res.status}: ${res.body}`);
    let shown = res.body;
    try {
      const json = JSON.parse(res.body);
      shown = name === "tabler" && typeof json.table === "string" ? json.table : JSON.stringify(json, null, 2);
    } catch {
      // not JSON: print it as text
    }
    for (const line of shown.split("\n")) say(`  ${line}`);
  }
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
      // The node running this script runs the program and the providers too (under `npm
      // start`, the Node 22 of the `node` npm package).
      PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
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
    await fetch(`${ignite.httpUrl}/_ignite/calls/reset`, { method: "POST" });
    await pulumi(["up", "--yes", ...cfg]);
    const { calls } = await (await fetch(`${ignite.httpUrl}/_ignite/calls`)).json();
    const listed = Object.entries(calls).map(([method, n]) => `${method} ${n}`);
    say(`platform calls made by pulumi up: ${listed.join(", ") || "none"}`);
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
