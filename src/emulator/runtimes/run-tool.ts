/**
 * Runs a build tool (cargo, go, deno) for a runtime plug-in: in its own process group,
 * streaming stdout and stderr line by line, killed with every process it started when the
 * job is aborted (the compile budget, a stop, a newer SaveDraft).
 */
import { spawn } from "node:child_process";

export interface ToolRun {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onLine: (line: string) => void;
}

/** Resolves with the exit code, or "missing" when the program is not installed. */
export function runTool(command: string, args: string[], opts: ToolRun): Promise<number | "missing"> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const kill = (): void => {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    opts.signal.addEventListener("abort", kill, { once: true });
    if (opts.signal.aborted) kill();
    const split = (stream: NodeJS.ReadableStream): Promise<void> =>
      new Promise((done) => {
        let rest = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          const parts = (rest + chunk).split("\n");
          rest = parts.pop()!;
          for (const p of parts) opts.onLine(p.replace(/\r$/, ""));
        });
        stream.on("end", () => {
          if (rest) opts.onLine(rest);
          done();
        });
      });
    const streams = Promise.all([split(child.stdout), split(child.stderr)]);
    child.on("error", (err: NodeJS.ErrnoException) => {
      opts.signal.removeEventListener("abort", kill);
      resolve(err.code === "ENOENT" ? "missing" : -1);
    });
    child.on("close", (code) => {
      opts.signal.removeEventListener("abort", kill);
      void streams.then(() => resolve(code ?? -1));
    });
  });
}
