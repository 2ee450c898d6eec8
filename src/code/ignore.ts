// Gitignore-style rules (.igniteignore, `exclude`, the built-in excludes) compiled to a
// matcher over posix paths relative to the code directory.

/** One compiled line. */
export interface IgnoreRule {
  /** The line as written, for messages. */
  source: string;
  negate: boolean;
  /** A trailing "/": matches directories (and so everything under them) only. */
  dirOnly: boolean;
  regex: RegExp;
}

/**
 * Always left out of a directory's archive: VCS data, dependency and build output that the
 * platform recreates (node_modules, __pycache__, Rust's top-level target/), OS litter, and
 * the ignore file itself. An .igniteignore line starting with "!" can bring one back.
 */
export const BUILTIN_EXCLUDES: readonly string[] = [
  ".git/",
  ".hg/",
  ".svn/",
  "node_modules/",
  "__pycache__/",
  "*.pyc",
  "/target/",
  ".DS_Store",
  "/.igniteignore",
];

/** The ignore file read from the top of a code directory. */
export const IGNORE_FILE = ".igniteignore";

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Glob body → regex source: `*` and `?` stay inside one path segment, `**` spans them. */
function globToRegexSource(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/";
        const atEnd = i + 2 === glob.length || glob[i + 2] === "/";
        if (atStart && atEnd) {
          if (i + 2 === glob.length) out += ".*";
          else {
            out += "(?:.*/)?";
            i++; // also consume the "/" after "**"
          }
          i++;
          continue;
        }
      }
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "\\" && i + 1 < glob.length) out += escapeRegex(glob[++i]);
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) out += "\\[";
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else out += escapeRegex(c);
  }
  return out;
}

/** Compiles one gitignore line; undefined for blanks and comments. */
function compileIgnoreLine(line: string): IgnoreRule | undefined {
  // Trailing spaces are insignificant unless escaped ("foo\ ").
  let p = line.replace(/(?<!\\)\s+$/, "");
  if (p === "" || p.startsWith("#")) return undefined;
  const source = p;
  let negate = false;
  if (p.startsWith("!")) {
    negate = true;
    p = p.slice(1);
  } else if (p.startsWith("\\!") || p.startsWith("\\#")) p = p.slice(1);
  let dirOnly = false;
  if (p.endsWith("/")) {
    dirOnly = true;
    p = p.replace(/\/+$/, "");
  }
  if (p === "") return undefined;
  // A slash at the start or in the middle anchors the pattern to the code directory;
  // otherwise it matches a name at any depth.
  const anchored = p.includes("/");
  p = p.replace(/^\//, "");
  const body = globToRegexSource(p);
  return { source, negate, dirOnly, regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`) };
}

/** Compiles the lines of an ignore file (or a list of exclude patterns). */
export function compileIgnore(lines: Iterable<string>): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of lines) {
    const r = compileIgnoreLine(line);
    if (r) rules.push(r);
  }
  return rules;
}

/** Decides whether relative posix paths are ignored. */
export class IgnoreMatcher {
  readonly hasNegations: boolean;
  /** Per directory: which rules match it or one of its parents (a tree's files share them). */
  private readonly dirHits = new Map<string, Uint8Array>();

  constructor(readonly rules: readonly IgnoreRule[]) {
    this.hasNegations = rules.some((r) => r.negate);
  }

  /**
   * The last rule matching the path or one of its parent directories decides (so "dir/"
   * excludes everything below, and a later "!dir/keep.txt" brings one file back, a little
   * more permissive than git, which cannot re-include below an excluded directory).
   */
  ignores(relPath: string, isDir = false): boolean {
    const slash = relPath.lastIndexOf("/");
    const parent = slash < 0 ? undefined : this.hitsOfDir(relPath.slice(0, slash));
    let ignored = false;
    this.rules.forEach((rule, i) => {
      const hit = parent?.[i] === 1 || ((!rule.dirOnly || isDir) && rule.regex.test(relPath));
      if (hit) ignored = !rule.negate;
    });
    return ignored;
  }

  /** The rules matching directory `dir` or a directory above it. */
  private hitsOfDir(dir: string): Uint8Array {
    let hits = this.dirHits.get(dir);
    if (hits) return hits;
    const slash = dir.lastIndexOf("/");
    const parent = slash < 0 ? undefined : this.hitsOfDir(dir.slice(0, slash));
    hits = new Uint8Array(this.rules.length);
    this.rules.forEach((rule, i) => {
      hits![i] = parent?.[i] === 1 || rule.regex.test(dir) ? 1 : 0;
    });
    this.dirHits.set(dir, hits);
    return hits;
  }
}
