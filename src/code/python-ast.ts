// Python's own parser, asked about handler.py without running it: one `python3 -I -S` per
// process reads batches of sources on stdin (a JSON list per line, one source per Draft asking)
// and `ast.parse`s each (no import, no site hooks, nothing of the user's runs).
// When the machine has no Python 3, the answer is `undefined` and the caller falls back to the
// conservative text scan (checks.ts).
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import type { PythonFacts } from "./checks.js";

/** Walks the module's top level (and the blocks that do not open a scope) for `handler`. */
const SCRIPT = String.raw`
import ast, json, sys
def analyze(src):
    out = {"python": "%d.%d.%d" % sys.version_info[:3], "hasHandler": False, "functions": [], "dynamic": False}
    try:
        tree = ast.parse(src, "handler.py")
    except SyntaxError as e:
        out["syntaxError"] = {"message": e.msg, "line": e.lineno, "column": e.offset}
    except ValueError as e:
        out["syntaxError"] = {"message": str(e)}
    else:
        binds = []
        def target(t):
            if isinstance(t, ast.Name):
                if t.id == "handler": binds.append("other")
            elif isinstance(t, (ast.Tuple, ast.List)):
                for e in t.elts: target(e)
            elif isinstance(t, ast.Starred):
                target(t.value)
        def block(stmts):
            for s in stmts:
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out["functions"].append(s.name)
                    if s.name == "handler" and s.decorator_list:
                        binds.append("other")  # a decorator may change how it is called
                    elif s.name == "handler":
                        a = s.args
                        pos = len(getattr(a, "posonlyargs", [])) + len(a.args)
                        binds.append({"positional": pos, "required": pos - len(a.defaults), "varargs": a.vararg is not None})
                    elif "nestedIn" not in out:
                        for n in ast.walk(s):
                            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "handler" and n is not s:
                                out["nestedIn"] = "function " + s.name
                elif isinstance(s, ast.ClassDef):
                    if s.name == "handler": binds.append("other")
                    for n in s.body:
                        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "handler" and "nestedIn" not in out:
                            out["nestedIn"] = "class " + s.name
                elif isinstance(s, ast.Assign):
                    for t in s.targets: target(t)
                elif isinstance(s, (ast.AnnAssign, ast.AugAssign)):
                    target(s.target)
                elif isinstance(s, (ast.Import, ast.ImportFrom)):
                    for a in s.names:
                        if a.name == "*": out["dynamic"] = True
                        elif (a.asname or a.name.split(".")[0]) == "handler": binds.append("other")
                elif isinstance(s, (ast.For, ast.AsyncFor)):
                    target(s.target); block(s.body); block(s.orelse)
                elif isinstance(s, (ast.With, ast.AsyncWith)):
                    for i in s.items:
                        if i.optional_vars is not None: target(i.optional_vars)
                    block(s.body)
                elif isinstance(s, (ast.If, ast.While)):
                    block(s.body); block(s.orelse)
                elif type(s).__name__ in ("Try", "TryStar"):
                    block(s.body); block(s.orelse); block(s.finalbody)
                    for h in s.handlers:
                        if h.name == "handler": binds.append("other")
                        block(h.body)
                elif type(s).__name__ == "Match":
                    for c in s.cases: block(c.body)
                    out["dynamic"] = True
                # Walrus targets and calls that bind names at run time.
                for n in ast.walk(s) if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else []:
                    if type(n).__name__ == "NamedExpr": target(n.target)
                    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("globals", "setattr", "exec", "vars", "locals"):
                        out["dynamic"] = True
                    elif isinstance(n, ast.Name) and n.id == "__getattr__":
                        out["dynamic"] = True
        block(tree.body)
        for s in tree.body:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__getattr__":
                out["dynamic"] = True
        out["hasHandler"] = len(binds) > 0
        if len(binds) == 1 and isinstance(binds[0], dict):
            out["handlerParams"] = binds[0]
    return out
def safely(src):
    try:
        return analyze(src.encode("utf-8"))
    except Exception:  # RecursionError, MemoryError: this file gets the text scan instead
        return None
# The first line says which Python this is (or that it is too old); then one line of JSON per
# batch asked (a list of sources), answered by one line per batch, in order.
if sys.version_info < (3, 8):
    sys.stdout.write("too old\n")
    sys.exit(0)
sys.stdout.write(json.dumps({"python": "%d.%d.%d" % sys.version_info[:3]}) + "\n")
sys.stdout.flush()
for line in sys.stdin.buffer:
    sys.stdout.write(json.dumps([safely(s) for s in json.loads(line)]) + "\n")
    sys.stdout.flush()
`;

/** Interpreters tried, in order; the first that runs Python 3.8+ is used for the whole process. */
const CANDIDATES = ["python3", "python"];

/** The interpreter: its stdin and stdout are pipes (sockets), stderr is ignored. */
type Child = ChildProcessByStdio<Writable, Readable, null>;

/** How long an interpreter may take to start and say which Python it is. */
const START_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (answers: Array<PythonFacts | null> | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * One Python per PATH value, started on first use and kept while the process runs: it answers
 * every batch asked, in order, one line each. Starting an interpreter is the expensive part
 * (through a pyenv shim, ~250 ms), so a program pays it once, however many Drafts ask and
 * however their questions arrive over time (issue 11). Its pipes do not keep the process
 * alive while nothing is asked, and it exits when they close.
 */
class PythonWorker {
  /** The interpreter's command, once one said it is Python 3.8+; undefined when none is. */
  readonly ready: Promise<string | undefined>;
  private child?: Child;
  private readonly pending: Pending[] = [];
  private buffered = "";
  private dead = false;

  constructor(
    private readonly searchPath: string,
    private readonly onDead: () => void,
  ) {
    this.ready = this.start();
  }

  /** Tries each candidate until one answers with its version. */
  private async start(): Promise<string | undefined> {
    for (const cmd of CANDIDATES) {
      if (await this.tryStart(cmd)) return cmd;
    }
    // No Python here: remembered for this PATH (the worker stays in the map, answering nothing).
    this.dead = true;
    return undefined;
  }

  private tryStart(cmd: string): Promise<boolean> {
    return new Promise((resolve) => {
      let child: Child;
      try {
        child = spawn(cmd, ["-I", "-S", "-c", SCRIPT], { stdio: ["pipe", "pipe", "ignore"], env: { PATH: this.searchPath, PYTHONIOENCODING: "utf-8" } });
      } catch {
        return resolve(false);
      }
      let started = false;
      const give = (ok: boolean) => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        if (!ok) child.kill();
        resolve(ok);
      };
      const timer = setTimeout(() => give(false), START_TIMEOUT_MS);
      child.on("error", () => give(false)); // not installed
      child.stdin.on("error", () => undefined); // exited: reported through close
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        this.buffered += d;
        for (let nl = this.buffered.indexOf("\n"); nl >= 0; nl = this.buffered.indexOf("\n")) {
          const line = this.buffered.slice(0, nl);
          this.buffered = this.buffered.slice(nl + 1);
          if (!started) {
            const ok = line.startsWith("{");
            if (ok) this.child = child;
            this.buffered = "";
            give(ok);
            this.idle();
            if (!ok) return;
          } else this.answer(line);
        }
      });
      child.on("close", () => {
        give(false);
        if (this.child === child) this.die();
      });
    });
  }

  /**
   * The facts for `sources`, in order; undefined when the interpreter could not answer within
   * `timeoutMs` (it is then stopped, and the next question starts another).
   */
  async ask(sources: string[], timeoutMs: number): Promise<Array<PythonFacts | null> | undefined> {
    if (!(await this.ready) || this.dead || !this.child) return undefined;
    const child = this.child;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.die(), timeoutMs);
      this.pending.push({ resolve, timer });
      this.busy();
      child.stdin.write(`${JSON.stringify(sources)}\n`);
    });
  }

  private answer(line: string): void {
    const next = this.pending.shift();
    if (!next) return;
    clearTimeout(next.timer);
    let answers: Array<PythonFacts | null> | undefined;
    try {
      answers = JSON.parse(line) as Array<PythonFacts | null>;
    } catch {
      answers = undefined; // unreadable answer: every file of the batch gets the text scan
    }
    next.resolve(answers);
    if (this.pending.length === 0) this.idle();
  }

  /** While questions are out, the pipes keep the process alive; otherwise they do not. */
  private busy(): void {
    (this.child?.stdout as Socket | undefined)?.ref();
  }

  private idle(): void {
    (this.child?.stdout as Socket | undefined)?.unref();
    (this.child?.stdin as Socket | undefined)?.unref();
    this.child?.unref();
  }

  /** Stops the interpreter and gives every open question no answer. */
  private die(): void {
    if (this.dead) return;
    this.dead = true;
    this.child?.kill();
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.onDead();
  }
}

/** The worker per PATH value. */
const workers = new Map<string, PythonWorker>();

function workerFor(searchPath: string): PythonWorker {
  let worker = workers.get(searchPath);
  if (!worker) {
    const created = new PythonWorker(searchPath, () => {
      if (workers.get(searchPath) === created) workers.delete(searchPath);
    });
    worker = created;
    workers.set(searchPath, worker);
  }
  return worker;
}

/** The Python 3.8+ interpreter on `searchPath` (default PATH), looked for once; undefined when there is none. */
export function findPython(searchPath = process.env.PATH ?? ""): Promise<string | undefined> {
  return workerFor(searchPath).ready;
}

/** Per PATH value: the sources asked in this turn of the event loop, sent together. */
const gathering = new Map<string, { waiting: Array<{ source: string; resolve: (facts: PythonFacts | undefined) => void }>; timeoutMs: number }>();

/** The answer per PATH value and source: a program whose apps share a handler asks once. */
const answers = new Map<string, Promise<PythonFacts | undefined>>();

/**
 * Parses `source` with the machine's Python and reports what checkPythonCode needs. Undefined
 * when no Python 3.8+ is on PATH (or `searchPath`), or it could not answer in time.
 *
 * Sources asked in one turn of the event loop go to the interpreter as one batch, and every
 * batch to the same interpreter: a program of 200 Drafts starts one Python, not 200 (issue 11).
 */
export function pythonFacts(source: string, options: { timeoutMs?: number; searchPath?: string } = {}): Promise<PythonFacts | undefined> {
  const searchPath = options.searchPath ?? process.env.PATH ?? "";
  const key = `${searchPath}\0${source}`;
  let answer = answers.get(key);
  if (!answer) {
    answer = new Promise<PythonFacts | undefined>((resolve) => {
      let batch = gathering.get(searchPath);
      if (!batch) {
        const created = { waiting: [] as Array<{ source: string; resolve: (facts: PythonFacts | undefined) => void }>, timeoutMs: 0 };
        batch = created;
        gathering.set(searchPath, created);
        setImmediate(() => {
          gathering.delete(searchPath);
          void workerFor(searchPath)
            .ask(
              created.waiting.map((w) => w.source),
              created.timeoutMs,
            )
            .then((results) => created.waiting.forEach((w, i) => w.resolve(results?.[i] ?? undefined)));
        });
      }
      batch.waiting.push({ source, resolve });
      batch.timeoutMs = Math.max(batch.timeoutMs, options.timeoutMs ?? 10_000);
    });
    answers.set(key, answer);
    // No answer (no Python, a timeout) is not remembered: the next ask tries again.
    void answer.then((facts) => facts ?? answers.delete(key));
  }
  return answer;
}
