/**
 * Which Rust toolchain a compile uses: the draft's `toolchain` names an installed rustup
 * toolchain ("stable", "1.95.0", "nightly-2026-05-01"), empty means rustup's default. A name
 * that is not installed, or a target whose standard library is missing, fails the compile with
 * the installed names or the exact `rustup` command that fixes it.
 */
import { execFile } from "node:child_process";

export const TRIPLE = { native: "x86_64-unknown-linux-gnu", wasm: "wasm32-wasip2" } as const;
export type TargetKind = keyof typeof TRIPLE;

export type Toolchain =
  | {
      ok: true;
      /** The full rustup name ("stable-x86_64-unknown-linux-gnu"), or "" without rustup. */
      name: string;
      /** `rustc -V` of it, for the log ("rustc 1.95.0 (59807616e 2026-04-14)"). */
      rustc: string;
      /** Environment that selects it for cargo (RUSTUP_TOOLCHAIN). */
      env: Record<string, string>;
    }
  | { ok: false; error: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed. */
  missing: boolean;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), missing: (err as NodeJS.ErrnoException | null)?.code === "ENOENT" });
    });
  });
}

/** `rustup toolchain list` names, and the default one. */
export function parseToolchainList(out: string): { names: string[]; default: string | undefined } {
  const names: string[] = [];
  let def: string | undefined;
  for (const line of out.split("\n")) {
    const name = line.trim().split(/\s+/)[0];
    if (!name || name.startsWith("no ")) continue;
    names.push(name);
    if (/\(.*default.*\)/.test(line)) def = name;
  }
  return { names, default: def };
}

/** The installed toolchain `requested` names: exactly, or as the channel part of a full name. */
export function matchToolchain(requested: string, names: string[]): string | undefined {
  // "stable" is "stable-x86_64-unknown-linux-gnu", but "nightly" is not "nightly-2026-05-01-…".
  const hostSuffix = (rest: string): boolean => /^[a-z0-9_]+-(unknown|pc|apple)-[a-z0-9_-]+$/.test(rest);
  return names.find((n) => n === requested) ?? names.find((n) => n.startsWith(`${requested}-`) && hostSuffix(n.slice(requested.length + 1)));
}

export async function resolveToolchain(requested: string, target: TargetKind, env: NodeJS.ProcessEnv): Promise<Toolchain> {
  const triple = TRIPLE[target];
  const list = await run("rustup", ["toolchain", "list"], env);
  if (list.missing) {
    // No rustup: only the cargo on PATH, whatever it is.
    if (requested) return { ok: false, error: `toolchain ${JSON.stringify(requested)} was requested, but rustup is not installed here, so only the cargo on PATH can build; install rustup or leave toolchain empty` };
    const rustc = await run("rustc", ["-V"], env);
    if (rustc.missing) return { ok: false, error: "Rust is not installed here (no rustup, no rustc on PATH); install it with rustup to compile Rust drafts" };
    return { ok: true, name: "", rustc: rustc.stdout.trim(), env: {} };
  }
  const { names, default: def } = parseToolchainList(list.stdout);
  const name = requested ? matchToolchain(requested, names) : def;
  if (!name) {
    const installed = names.length > 0 ? names.join(", ") : "none";
    return {
      ok: false,
      error: requested
        ? `toolchain ${JSON.stringify(requested)} is not installed here (installed: ${installed}); install it with \`rustup toolchain install ${requested}\`, or leave toolchain empty for the default${def ? ` (${def})` : ""}`
        : `rustup has no default toolchain (installed: ${installed}); set one with \`rustup default stable\``,
    };
  }
  const select = { RUSTUP_TOOLCHAIN: name };
  const targets = await run("rustup", ["target", "list", "--installed", "--toolchain", name], env);
  if (targets.code === 0 && !targets.stdout.split("\n").map((l) => l.trim()).includes(triple)) {
    return { ok: false, error: `the ${triple} target is not installed for toolchain ${name}; install it with \`rustup target add ${triple} --toolchain ${name}\`` };
  }
  const rustc = await run("rustc", ["-V"], { ...env, ...select });
  return { ok: true, name, rustc: rustc.stdout.trim() || "rustc (version unknown)", env: select };
}
