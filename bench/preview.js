// Benchmark of `pulumi preview` at scale (issue 11; not a test): a no-op preview of N apps
// (App + Draft + PublishedVersion each, a 5-file directory) against the floor, the same
// program shape with 3N dynamic resources whose one shared provider does no I/O and reports
// no change; and against the floor with our resources' properties (the same do-nothing
// provider, the inputs and outputs ours register). Also times the `pulumi up` that creates
// each stack.
//
// The programs run through the real CLI on a file backend, in one workspace laid out like a
// user's (node_modules linking to the repository's, pulumi-ignite: the package's files), against a
// local Ignite in this process, each size's apps in their own organization. Every stack is
// created first; then each round previews every size and variant in turn, so drift in the
// machine's load hits them alike; the report takes medians.
//
//   node bench/preview.js [N…] [--rounds R] [--profile DIR] [--before PACKAGE_DIR] [--up-env K=V,…]
// --profile runs one more preview of each per N with a CPU profiler in every Node process the
// CLI starts (the program, the dynamic-provider plugin: bench/cpu-profile.js); bench/profile.js
// summarizes the profiles. --before adds the same program on another checkout of the package
// (built). --up-env sets variables for the `up` runs only (PULUMI_SKIP_CHECKPOINTS=true shows
// what the file backend's per-step checkpoints cost).
"use strict";
const { execFileSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const repo = path.resolve(__dirname, "..");

/** The files of app `i`: a Python handler and four more, each app's slightly different. */
function appFiles(i) {
  return {
    "handler.py": `import json\nfrom lib import util\n\n# app ${i}\ndef handler(payload, ctx):\n    return {"app": ${i}, "n": util.size(payload)}\n`,
    "lib/__init__.py": "",
    "lib/util.py": `def size(payload):\n    return len(json.dumps(payload)) if payload else ${i}\n\nimport json\n`,
    "requirements.txt": "",
    "README.md": `# app ${i}\n\nA benchmark app.\n`,
  };
}

function oursProgram(n, prefix) {
  return `import * as pulumi from "@pulumi/pulumi";
import * as ignite from "pulumi-ignite";

for (let i = 0; i < ${n}; i++) {
  const name = \`${prefix}${n}-\${pulumi.getStack()}-app\${i}\`;
  const app = new ignite.App(name, { runtime: "python" });
  const draft = new ignite.Draft(name, { app, code: \`./code/app\${i}\` });
  new ignite.PublishedVersion(name, { app, codeHash: draft.codeHash });
}
`;
}

/** The floor: the same shape and dependencies, one provider object that does nothing. */
function floorProgram(n, prefix) {
  return `import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: any, news: any) { return { inputs: news }; },
  async diff() { return { changes: false }; },
  async create(inputs: any) { return { id: inputs.key, outs: inputs }; },
  async read(id: string, props: any) { return { id, props }; },
  async update(_id: string, _olds: any, news: any) { return { outs: news }; },
  async delete() {},
};

class Floor extends pulumi.dynamic.Resource {
  declare readonly key: pulumi.Output<string>;
  constructor(name: string, kind: string, props: Record<string, pulumi.Input<string>>) {
    super(provider, name, { key: name, ...props }, undefined, "floor", kind);
  }
}

for (let i = 0; i < ${n}; i++) {
  const name = \`${prefix}${n}-\${pulumi.getStack()}-app\${i}\`;
  const app = new Floor(name, "App", { runtime: "python" });
  const draft = new Floor(name, "Draft", { app: app.key, code: \`./code/app\${i}\` });
  new Floor(name, "PublishedVersion", { app: app.key, codeHash: draft.key });
}
`;
}

/**
 * The floor with our resources' properties: the same provider that does nothing, on resources
 * that register the inputs and outputs ours register (names, kinds of values, which ones are
 * Outputs), computed from nothing. Its distance to the floor is what our resources' interface
 * costs in the engine and the SDK (Pulumi's work per property); its distance to ours is what
 * our implementation costs (hashing, checks, platform calls, loading the package).
 */
function propsFloorProgram(n, prefix) {
  return `import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: any, news: any) { return { inputs: news }; },
  async diff() { return { changes: false }; },
  async create(inputs: any) { return { id: String(inputs.name ?? inputs.code ?? \`\${inputs.app}/version\`), outs: inputs }; },
  async read(id: string, props: any) { return { id, props }; },
  async update(_id: string, _olds: any, news: any) { return { outs: news }; },
  async delete() {},
};

class Floor extends pulumi.dynamic.Resource {
  declare readonly appId: pulumi.Output<string>;
  declare readonly codeHash: pulumi.Output<string>;
  constructor(name: string, kind: string, props: Record<string, any>, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, props, opts, "floorprops", kind);
  }
}

const hash = (s: string) => "sha256:" + s.padEnd(64, "0");
for (let i = 0; i < ${n}; i++) {
  const name = \`${prefix}${n}-\${pulumi.getStack()}-app\${i}\`;
  const org = "acme-corp";
  pulumi.all([org, name, "python"]).apply(() => undefined);
  const app = new Floor(name, "App", {
    runtime: "python", description: undefined, resourceTier: undefined, scaling: undefined, env: undefined, ports: undefined,
    allowUnauthenticated: undefined, name, organization: org, appId: pulumi.interpolate\`\${org}/\${name}\`,
  }, { additionalSecretOutputs: ["env"], deleteBeforeReplace: true });
  const described = pulumi.all([\`./code/app\${i}\`]).apply(([code]) => ({
    code, sourceKind: "directory", codeHash: hash(String(i)), codeProblem: undefined as string | undefined,
    manifest: Object.fromEntries(["README.md", "handler.py", "lib/__init__.py", "lib/util.py", "requirements.txt"].map((f) => [f, hash(f + i)])),
  }));
  const appRuntime = app.appId.apply(() => "python");
  const codeFinding = pulumi.all([described, appRuntime]).apply(() => undefined);
  const draft = new Floor(name, "Draft", {
    app: app.appId, appRuntime, runtime: undefined, rust: undefined, include: undefined, exclude: undefined,
    code: described.code, sourceKind: described.sourceKind, manifest: described.manifest, codeHash: described.codeHash,
    codeProblem: described.codeProblem, codeFinding, compileState: undefined, files: undefined, sizeBytes: undefined,
  });
  new Floor(name, "PublishedVersion", { app: app.appId, codeHash: draft.codeHash, version: undefined, activeVersion: undefined, publicUrls: undefined, pinned: undefined });
}
`;
}

function writeProject(dir, name, program, n) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: index.ts\n`);
  fs.writeFileSync(path.join(dir, "index.ts"), program);
  for (let i = 0; i < n; i++) {
    for (const [rel, text] of Object.entries(appFiles(i))) {
      const file = path.join(dir, "code", `app${i}`, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  }
}

function pulumiBin() {
  const out = execFileSync("bash", [path.join(repo, "scripts", "pulumi-toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return out.trim().split("\n").pop();
}

/** Runs a command to its end; resolves with its wall time (ms) and output, rejects on failure. */
function timed(cmd, args, { cwd, env, input }) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    if (input !== undefined) child.stdin.end(input);
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve({ ms, out });
      else reject(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited with ${code}:\n${out}`));
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The size of stack `bench` of `project` as the file backend wrote it: bytes, resources, and
 * the serialized provider (`__provider`) of its first dynamic resource, which every dynamic
 * resource holds twice (inputs and outputs). Undefined if the file is not where expected.
 */
function stateSize(dir, project) {
  const file = path.join(dir, "state", ".pulumi", "stacks", project, "bench.json");
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  const resources = JSON.parse(text).checkpoint?.latest?.resources ?? [];
  const dynamic = resources.find((r) => typeof r.inputs?.__provider === "string");
  return { bytes: Buffer.byteLength(text), resources: resources.length, provider: dynamic ? Buffer.byteLength(dynamic.inputs.__provider) : 0 };
}

/**
 * Sets up the workspace and the local Ignite; returns what the phases need and `dispose`.
 * `packages`: variant name → the pulumi-ignite directory its programs load (built).
 */
async function workspace(packages) {
  const { startEmulator } = require(path.join(repo, "dist", "emulator", "index.js"));
  const bin = pulumiBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-bench-preview-"));
  // One directory per package under test, each with a node_modules linking to the repository's
  // and pulumi-ignite holding that package's files (package.json and dist/): the layout of a
  // user who installed it from npm. Not a link: from a package under node_modules, Pulumi
  // writes each resource's provider as a require of its module (docs/resources.md, "How the
  // provider is packaged"), and a link's real path leaves node_modules.
  for (const [variant, pkg] of Object.entries(packages)) {
    const modules = path.join(dir, variant, "node_modules");
    fs.mkdirSync(modules, { recursive: true });
    for (const entry of fs.readdirSync(path.join(repo, "node_modules"))) {
      fs.symlinkSync(path.join(repo, "node_modules", entry), path.join(modules, entry));
    }
    fs.mkdirSync(path.join(modules, "pulumi-ignite"));
    fs.copyFileSync(path.join(pkg, "package.json"), path.join(modules, "pulumi-ignite", "package.json"));
    fs.cpSync(path.join(pkg, "dist"), path.join(modules, "pulumi-ignite", "dist"), { recursive: true });
    // A user's infra repo has a package.json; without one every run logs a warning.
    fs.writeFileSync(path.join(dir, variant, "package.json"), JSON.stringify({ name: `bench-${variant}`, private: true }));
  }
  fs.mkdirSync(path.join(dir, "state"));
  // BENCH_RPC_LATENCY_MS: a platform that far away (each unary call waits that long).
  const ignite = await startEmulator({ port: 0, dataDir: path.join(dir, "ignite"), log: () => {}, rpcLatencyMs: Number(process.env.BENCH_RPC_LATENCY_MS ?? 0) });
  const env = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
  };
  for (const k of Object.keys(env)) if (k.startsWith("DODIL_") || k === "IGNITE_GRPC" || k === "NODE_OPTIONS") delete env[k];
  const pulumi = (cwd, args, opts = {}) => timed("pulumi", [...args, "--non-interactive"], { cwd, env: { ...env, ...opts.env }, input: opts.input });
  return {
    dir,
    ignite,
    env,
    pulumi,
    version: execFileSync("pulumi", ["version"], { env, encoding: "utf8" }).trim(),
    async dispose() {
      await ignite.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For each N: creates the stacks (`pulumi up --skip-preview`, timed), then `rounds` no-op
 * previews of each, in an order that rotates every round. `--expect-no-changes` makes a
 * preview that finds anything to do fail the run: the benchmark is of a no-op.
 *
 * Variants: "ours" (this repository's package), "floor", "props" (the floor with our
 * properties); with `before`, also "before": the same program on the package at that path
 * (another checkout, built), for before/after rows.
 */
async function previewBench({ ns = [10, 50, 200], rounds = 5, profileDir, before, upEnv = {}, log = (l) => process.stderr.write(`[bench] ${l}\n`) } = {}) {
  const variants = [
    { name: "ours", pkg: repo, program: oursProgram, prefix: "n" },
    { name: "floor", pkg: repo, program: floorProgram, prefix: "f" },
    { name: "props", pkg: repo, program: propsFloorProgram, prefix: "p" },
    ...(before ? [{ name: "before", pkg: path.resolve(before), program: oursProgram, prefix: "b" }] : []),
  ];
  const ws = await workspace(Object.fromEntries(variants.map((v) => [v.name, v.pkg])));
  const results = { pulumi: ws.version, rounds, variants: variants.map((v) => v.name), ns: [] };
  try {
    // Every stack of every size is created first; then each round previews every size and
    // variant in turn, so a drift in the machine's speed over the minutes a run takes hits
    // every size alike instead of biasing the cost per added app.
    const sizes = [];
    for (const n of ns) {
      const up = {};
      const state = {};
      // Each size's apps in their own organization: a listing holds that size's stacks only.
      const org = `bench-${n}`;
      const token = await ws.ignite.tokenFor(org);
      const cwds = {};
      const configure = async (v, cwd) => {
        if (v.program !== oursProgram) return;
        await ws.pulumi(cwd, ["config", "set", "ignite:endpoint", ws.ignite.grpcEndpoint]);
        await ws.pulumi(cwd, ["config", "set", "ignite:organization", org]);
        await ws.pulumi(cwd, ["config", "set", "--secret", "ignite:token"], { input: token });
      };
      for (const v of variants) {
        const cwd = (cwds[v.name] = path.join(ws.dir, v.name, `${v.name}-${n}`));
        writeProject(cwd, `${v.name}-${n}`, v.program(n, v.prefix), n);
        await ws.pulumi(cwd, ["stack", "init", "bench"]);
        await configure(v, cwd);
        up[v.name] = (await ws.pulumi(cwd, ["up", "--yes", "--skip-preview"], { env: upEnv })).ms;
        state[v.name] = stateSize(ws.dir, `${v.name}-${n}`);
      }
      // The file backend writes the whole state after every step, so `up` of many resources
      // grows faster than linearly whatever the provider; a second stack of ours and of the
      // floor, created with checkpoints off, shows what is left.
      for (const v of variants.filter((x) => x.name === "ours" || x.name === "floor")) {
        const cwd = cwds[v.name];
        await ws.pulumi(cwd, ["stack", "init", "nockpt"]);
        await configure(v, cwd);
        up[`${v.name}NoCheckpoints`] = (await ws.pulumi(cwd, ["up", "--yes", "--skip-preview"], { env: { ...upEnv, PULUMI_SKIP_CHECKPOINTS: "true" } })).ms;
        await ws.pulumi(cwd, ["stack", "select", "bench"]);
      }
      log(`N=${n}: up ${variants.map((v) => `${v.name} ${(up[v.name] / 1000).toFixed(1)} s`).join(", ")}`);
      const preview = Object.fromEntries(variants.map((v) => [v.name, []]));
      const igniteCpu = Object.fromEntries(variants.map((v) => [v.name, []]));
      sizes.push({ n, cwds, result: { n, up, state, preview, igniteCpu, calls: undefined } });
    }
    for (let r = 0; r < rounds; r++) {
      // Rotate the order of the sizes and of the variants, so no preview always follows another.
      for (const [k] of sizes.entries()) {
        const size = sizes[(k + r) % sizes.length];
        const { n, cwds, result } = size;
        const order = variants.map((_, i) => variants[(i + r + k) % variants.length]);
        // The local Ignite runs in this process: its CPU time is what the platform's side
        // costs, on the same two cores as the engine, the program and the provider.
        for (const v of order) {
          await fetch(`${ws.ignite.httpUrl}/_ignite/calls/reset`, { method: "POST" });
          const cpu = process.cpuUsage();
          result.preview[v.name].push((await ws.pulumi(cwds[v.name], ["preview", "--expect-no-changes"])).ms);
          const used = process.cpuUsage(cpu);
          result.igniteCpu[v.name].push((used.user + used.system) / 1000);
          // The platform calls of one no-op preview of ours, by method (the local Ignite's counters).
          if (v.name === "ours") result.calls = (await (await fetch(`${ws.ignite.httpUrl}/_ignite/calls`)).json()).calls;
        }
        log(`round ${r + 1}/${rounds} N=${n}: ${variants.map((v) => `${v.name} ${(result.preview[v.name].at(-1) / 1000).toFixed(2)} s (local Ignite CPU ${result.igniteCpu[v.name].at(-1).toFixed(0)} ms)`).join(", ")}`);
      }
    }
    for (const { n, cwds, result } of sizes) {
      log(`N=${n}: platform calls of one preview of ours: ${JSON.stringify(result.calls)}`);
      if (profileDir) {
        const preload = path.join(__dirname, "cpu-profile.js");
        for (const v of variants) {
          const into = path.join(profileDir, `${v.name}-${n}`);
          fs.mkdirSync(into, { recursive: true });
          await ws.pulumi(cwds[v.name], ["preview", "--expect-no-changes"], { env: { NODE_OPTIONS: `--require ${preload}`, BENCH_CPU_PROFILE_DIR: into } });
        }
        log(`N=${n}: CPU profiles in ${profileDir}/<variant>-${n}`);
      }
      results.ns.push(result);
    }
  } finally {
    await ws.dispose();
  }
  return results;
}

module.exports = { previewBench, median, workspace, writeProject, oursProgram, floorProgram, propsFloorProgram };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    argv.splice(i, 2);
    return v;
  };
  const rounds = Number(opt("--rounds") ?? 5);
  const profileDir = opt("--profile");
  const before = opt("--before");
  const upEnv = Object.fromEntries((opt("--up-env") ?? "").split(",").filter(Boolean).map((kv) => kv.split("=")));
  const ns = argv.length ? argv.map(Number) : undefined;
  previewBench({ ns, rounds, before, upEnv, profileDir: profileDir && path.resolve(profileDir) })
    .then((r) => {
      for (const x of r.ns) {
        const m = (v) => median(x.preview[v]);
        const cols = r.variants.map((v) => `${v} up ${(x.up[v] / 1000).toFixed(2)} s preview ${(m(v) / 1000).toFixed(2)} s (${(m(v) / m("floor")).toFixed(2)}×)`);
        console.log(`N=${x.n}\t${cols.join("\t")}`);
      }
      console.log(JSON.stringify(r));
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
