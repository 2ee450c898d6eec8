/**
 * The pod agent (src/emulator/runtime/agent/, docs/pod-protocol.md): one Rust program that is
 * every pod, whatever the runtime. It is built from its sources with cargo the first time it
 * is needed — by the set-up, or by the first pod start — and cached outside the clone under
 * the hash of those sources, so an edit rebuilds it and every checkout shares the result.
 * IGNITE_POD_AGENT (or the runtime option `podAgent`) points at a prebuilt binary instead.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, sourcePath } from "../package-files.js";

const BINARY = "ignite-pod-agent";
let building: Promise<string> | undefined;

/** The agent's sources, hashed: its Cargo manifest and lock, and every file under src/. */
function sourceHash(dir: string): string {
  const hash = createHash("sha256");
  const files = ["Cargo.toml", "Cargo.lock", ...fs.readdirSync(path.join(dir, "src")).sort().map((f) => `src/${f}`)];
  for (const f of files) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) continue;
    hash.update(f).update("\0").update(fs.readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** The agent binary, built first when needed. */
export function podAgent(options: { podAgent?: string; log?: (line: string) => void } = {}): Promise<string> {
  const given = options.podAgent ?? process.env.IGNITE_POD_AGENT;
  if (given) return Promise.resolve(path.resolve(given));
  building ??= ensureBuilt(options.log ?? (() => undefined));
  building.catch(() => (building = undefined)); // a failed build is tried again next time
  return building;
}

async function ensureBuilt(log: (line: string) => void): Promise<string> {
  const src = sourcePath("emulator/runtime/agent");
  const home = path.join(cacheDir(), "pod-agent");
  const binary = path.join(home, sourceHash(src), BINARY);
  if (fs.existsSync(binary)) return binary;
  log(`runtime: building the pod agent (cargo build --release in ${src}); this happens once`);
  const target = path.join(home, "target");
  const out = await cargo(["build", "--release", "--quiet", "--manifest-path", path.join(src, "Cargo.toml"), "--target-dir", target]);
  if (out.code !== 0) {
    throw new Error(`building the pod agent failed (cargo exit ${out.code}):\n${out.output.trim().split("\n").slice(-20).join("\n")}`);
  }
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  fs.copyFileSync(path.join(target, "release", BINARY), tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, binary); // atomic: concurrent builders (test workers) agree on one file
  return binary;
}

function cargo(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("cargo", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (err: NodeJS.ErrnoException) =>
      resolve({
        code: -1,
        output:
          err.code === "ENOENT"
            ? "cargo is not on PATH. The local Ignite runs every app through its pod agent, built from Rust sources: install Rust (https://rustup.rs), or point IGNITE_POD_AGENT at a built ignite-pod-agent"
            : String(err),
      }),
    );
    child.on("close", (code) => resolve({ code, output }));
  });
}
