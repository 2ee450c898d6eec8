// Python's own parser, asked about handler.py without running it: `python3 -I -S` reads the
// sources on stdin (a JSON list, one per Draft asking) and `ast.parse`s each (no import, no
// site hooks, nothing of the user's runs).
// When the machine has no Python 3, the answer is `undefined` and the caller falls back to the
// conservative text scan (checks.ts).
import { spawn } from "node:child_process";
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
sys.stdout.write(json.dumps([safely(s) for s in json.loads(sys.stdin.buffer.read())]))
`;

/** Interpreters tried, in order; the first that runs Python 3.8+ is used for the whole process. */
const CANDIDATES = ["python3", "python"];

/** The interpreter found per PATH value (a process looks once). */
const interpreters = new Map<string, Promise<string | undefined>>();

function runPython(cmd: string, args: string[], input: string, timeoutMs: number, searchPath: string): Promise<{ code: number; stdout: string } | undefined> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, { stdio: ["pipe", "pipe", "ignore"], timeout: timeoutMs, env: { PATH: searchPath, PYTHONIOENCODING: "utf-8" } });
    } catch {
      return resolve(undefined);
    }
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => (stdout += d));
    child.on("error", () => resolve(undefined)); // not installed
    child.on("close", (code) => resolve({ code: code ?? -1, stdout }));
    child.stdin.on("error", () => undefined); // exited before reading: reported through close
    child.stdin.end(input);
  });
}

/** The Python 3.8+ interpreter on `searchPath` (default PATH), looked for once; undefined when there is none. */
export function findPython(searchPath = process.env.PATH ?? ""): Promise<string | undefined> {
  let found = interpreters.get(searchPath);
  if (!found) {
    found = (async () => {
      for (const cmd of CANDIDATES) {
        const r = await runPython(cmd, ["-I", "-S", "-c", "import sys; print(int(sys.version_info >= (3, 8)))"], "", 10_000, searchPath);
        if (r?.code === 0 && r.stdout.trim() === "1") return cmd;
      }
      return undefined;
    })();
    interpreters.set(searchPath, found);
  }
  return found;
}

interface Request {
  source: string;
  resolve: (facts: PythonFacts | undefined) => void;
}

/** Per PATH value: the sources waiting for the next batch, and whether a batch is running. */
const queues = new Map<string, { waiting: Request[]; timeoutMs: number; running: boolean }>();

/** The answer per PATH value and source: a program whose apps share a handler asks once. */
const answers = new Map<string, Promise<PythonFacts | undefined>>();

/**
 * Parses `source` with the machine's Python and reports what checkPythonCode needs. Undefined
 * when no Python 3.8+ is on PATH (or `searchPath`), or it could not answer in time.
 *
 * Sources asked for together go to one interpreter: a program of 200 Drafts starts a few
 * Pythons, not 200 (issue 11). While one batch runs, the next gathers.
 */
export function pythonFacts(source: string, options: { timeoutMs?: number; searchPath?: string } = {}): Promise<PythonFacts | undefined> {
  const searchPath = options.searchPath ?? process.env.PATH ?? "";
  const key = `${searchPath}\0${source}`;
  let answer = answers.get(key);
  if (!answer) {
    answer = new Promise<PythonFacts | undefined>((resolve) => {
      let queue = queues.get(searchPath);
      if (!queue) {
        queue = { waiting: [], timeoutMs: 0, running: false };
        queues.set(searchPath, queue);
      }
      queue.waiting.push({ source, resolve });
      queue.timeoutMs = Math.max(queue.timeoutMs, options.timeoutMs ?? 10_000);
      if (!queue.running && queue.waiting.length === 1) setImmediate(() => void runBatch(searchPath));
    });
    answers.set(key, answer);
    // No answer (no Python, a timeout) is not remembered: the next ask tries again.
    void answer.then((facts) => facts ?? answers.delete(key));
  }
  return answer;
}

async function runBatch(searchPath: string): Promise<void> {
  const queue = queues.get(searchPath)!;
  if (queue.running || queue.waiting.length === 0) return;
  queue.running = true;
  const batch = queue.waiting.splice(0);
  const timeoutMs = queue.timeoutMs;
  queue.timeoutMs = 0;
  let results: Array<PythonFacts | null> | undefined;
  try {
    const cmd = await findPython(searchPath);
    const r = cmd ? await runPython(cmd, ["-I", "-S", "-c", SCRIPT], JSON.stringify(batch.map((b) => b.source)), timeoutMs, searchPath) : undefined;
    if (r?.code === 0) results = JSON.parse(r.stdout) as Array<PythonFacts | null>;
  } catch {
    results = undefined; // unreadable answer: every file of the batch gets the text scan
  }
  batch.forEach((b, i) => b.resolve(results?.[i] ?? undefined));
  queue.running = false;
  if (queue.waiting.length > 0) void runBatch(searchPath);
}
