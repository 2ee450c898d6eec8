/**
 * Cargo's output as the user should read it in StreamCompileLogs: paths relative to the draft
 * (`src/lib.rs:5:9`, not the build's private copy), the generated wrapper and the injected SDK
 * named for what they are; and the first error of a failed build, as `compile_error`.
 */

export interface PathNames {
  /** The private copy of the draft's tree: shown as the draft's own relative paths. */
  treeDir: string;
  /** The generated wrapper crate. */
  wrapperDir: string;
  /** The SDK crates' directory. */
  sdkDir: string;
}

/** Rewrites one line of cargo output. */
export function rewriteCargoLine(line: string, p: PathNames): string {
  return line
    .split(`${p.treeDir}/`).join("")
    .split(`(${p.treeDir})`).join("(the draft)")
    .split(p.treeDir).join(".")
    .split(`(${p.wrapperDir})`).join("(the generated wrapper crate)")
    .split(`${p.wrapperDir}/`).join("<wrapper>/")
    .split(`${p.sdkDir}/ignite-macros`).join("<platform SDK>/ignite-macros")
    .split(`${p.sdkDir}/ignite`).join("<platform SDK>/ignite")
    .split(p.sdkDir).join("<platform SDK>");
}

const ERROR = /^error(\[E\d+\])?: (.*)$/;
const LOCATION = /^\s*--> (.+?):(\d+):(\d+)\s*$/;
const MAX_BLOCK = 20;

/**
 * The first error of a failed build: `<file>:<line>:<col>: error[E…]: <message>` when rustc
 * located it, followed by its diagnostic block (the lines up to the next blank line), so the
 * compile_error alone says what to fix. Undefined when the log has no `error` line.
 */
export function firstError(lines: string[]): string | undefined {
  const start = lines.findIndex((l) => ERROR.test(l));
  if (start < 0) return undefined;
  const block: string[] = [];
  for (let i = start; i < lines.length && block.length < MAX_BLOCK; i++) {
    if (i > start && (lines[i]!.trim() === "" || /^(error|warning)(\[|:)/.test(lines[i]!))) break;
    block.push(lines[i]!);
  }
  const headline = lines[start]!;
  const where = block.map((l) => LOCATION.exec(l)).find((m) => m !== null);
  const summary = where ? `${where[1]}:${where[2]}:${where[3]}: ${headline}` : headline;
  return [summary, ...block.slice(1)].join("\n");
}
