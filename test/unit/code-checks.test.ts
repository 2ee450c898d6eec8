// The code checks a Draft runs in the program (issue 9): each runtime's shape and the
// platform's limits, decided from the files alone, never by running user code.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  archiveSizeLowerBound,
  checkCodeLimits,
  checkCodeShape,
  checkPythonCode,
  checkRustCrate,
  largestContributors,
  readerOf,
  scanPythonText,
} from "../../src/code/checks.js";
import { findPython, pythonFacts } from "../../src/code/python-ast.js";
import { MAX_CODE_BYTES, MAX_DRAFT_FILES, MAX_REQUEST_BYTES, MiB } from "../../src/platform-limits.js";

const GOOD_PY = "import json\n\ndef handler(payload, ctx):\n    return {}\n";

describe("checkPythonCode with Python's parser", async () => {
  const hasPython = (await findPython()) !== undefined;
  // The machine running these tests has Python 3 (README: Python 3.11); without it the
  // parser cases cannot run, and that is a failure of the set-up, not a skip.
  it("finds a Python 3 interpreter on PATH", () => expect(hasPython).toBe(true));

  const cases: [string, string, RegExp | undefined][] = [
    ["a top-level def handler(payload, ctx)", GOOD_PY, undefined],
    ["an async handler", "async def handler(payload, ctx):\n    return 1\n", undefined],
    ["handler bound by assignment", "def f(a, b):\n    pass\nhandler = f\n", undefined],
    ["handler imported in a try, defined in its except", "try:\n    from fast import handler\nexcept ImportError:\n    def handler(p, c):\n        pass\n", undefined],
    ["handler taking *args", "def handler(*args):\n    pass\n", undefined],
    ["a decorated handler (the decorator may change the call)", "@wrap\ndef handler(p):\n    pass\n", undefined],
    ["a star import (may bind handler)", "from lib import *\n", undefined],
    ["a syntax error, with its line", "def handler(payload, ctx):\n    return {\n", /line 2, column \d+: '\{' was never closed \(checked with Python 3\.\d+\.\d+ on this machine, without running it\)/],
    ["no handler, naming the top-level functions", "def handle(payload, ctx):\n    return 1\n", /no top-level `handler`; its top-level functions are handle/],
    ["a handler nested in a class", "class Api:\n    def handler(self, p, c):\n        pass\n", /defined inside class Api, not at module level/],
    ["a handler taking one parameter", "def handler(payload):\n    return 1\n", /`handler` takes 1 positional parameter, but the runtime calls handler\(payload, ctx\)/],
    ["ctx as keyword-only", "def handler(payload, *, ctx):\n    return 1\n", /takes 1 positional parameter/],
    ["a handler requiring three", "def handler(a, b, c):\n    return 1\n", /takes 3 positional parameters/],
    ["a NUL byte", "x = 1\0\n", /null bytes/],
  ];
  it.each(cases)("%s", async (_name, source, expected) => {
    const finding = await checkPythonCode(readerOf({ "handler.py": source }), (s) => pythonFacts(s));
    if (expected === undefined) expect(finding).toBeUndefined();
    else {
      expect(finding?.file).toBe("handler.py");
      expect(finding?.problem).toMatch(expected);
      expect(finding?.fix).toMatch(/handler|syntax/);
    }
  });

  it("never runs the file: code at module level has no effect", async () => {
    const marker = `/tmp/ignite-check-ran-${process.pid}`;
    const source = `import os\nopen(${JSON.stringify(marker)}, "w").write("ran")\ndef handler(p, c):\n    pass\n`;
    expect(await checkPythonCode(readerOf({ "handler.py": source }), (s) => pythonFacts(s))).toBeUndefined();
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe("pythonFacts for many Drafts at once (issue 11)", () => {
  const real = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
  /** A PATH whose python3 is `script` (sh), given the real interpreter as $REAL and a log file as $LOG. */
  function fakePath(script: string): { bin: string; starts: () => number } {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "python-worker-"));
    const log = path.join(bin, "starts.log");
    fs.writeFileSync(path.join(bin, "python3"), `#!/bin/sh\nREAL=${JSON.stringify(real)}\nLOG=${JSON.stringify(log)}\necho start >> "$LOG"\n${script}\n`, { mode: 0o755 });
    return { bin, starts: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").length : 0) };
  }

  it("parses every source with one Python process, however the questions arrive, and a file it cannot parse alone falls back", async () => {
    const { bin, starts } = fakePath(`exec "$REAL" "$@"`);
    const sources = Array.from({ length: 30 }, (_, i) => `def handler(payload, ctx):\n    return ${i}\n`);
    // Deep enough to exhaust the parser (MemoryError): that one file, not the batch, goes without an answer.
    const deep = `x = ${"-".repeat(100_000)}1\n`;
    const facts = await Promise.all([...sources, deep].map((s) => pythonFacts(s, { searchPath: bin })));
    expect(facts.slice(0, 30).every((f) => f?.hasHandler === true && f.python !== undefined)).toBe(true);
    expect(facts[30]).toBeUndefined();
    // Later questions, one per turn of the event loop, go to the same interpreter.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      expect((await pythonFacts(`def handle(p, c):\n    return ${i}\n`, { searchPath: bin }))?.functions).toEqual(["handle"]);
    }
    expect(await findPython(bin)).toBe("python3");
    expect(starts()).toBe(1);
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it("an interpreter that does not answer in time gives no answer, and the next question starts another", async () => {
    // Says it is ready, then never reads.
    const { bin, starts } = fakePath(`exec "$REAL" -c 'import sys, time; sys.stdout.write("{}\\n"); sys.stdout.flush(); time.sleep(60)'`);
    expect(await pythonFacts("def handler(p, c):\n    pass\n", { searchPath: bin, timeoutMs: 300 })).toBeUndefined();
    expect(await pythonFacts("def handler(p, c):\n    return 2\n", { searchPath: bin, timeoutMs: 300 })).toBeUndefined();
    expect(starts()).toBe(2);
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it("skips a python3 older than 3.8 for the next candidate", async () => {
    const { bin, starts } = fakePath(`echo "too old"`);
    fs.symlinkSync(real, path.join(bin, "python"));
    expect(await findPython(bin)).toBe("python");
    expect((await pythonFacts("def handler(p, c):\n    pass\n", { searchPath: bin }))?.hasHandler).toBe(true);
    expect(starts()).toBe(1);
    fs.rmSync(bin, { recursive: true, force: true });
  });
});

describe("checkPythonCode without Python (the conservative text scan)", () => {
  // A PATH holding no Python at all: what a machine without Python sees.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-python-"));
  const noPython = (s: string) => pythonFacts(s, { searchPath: empty });
  it("finds no interpreter on a PATH without one", async () => {
    expect(await findPython(empty)).toBeUndefined();
    expect(await pythonFacts("def handler(p, c): pass\n", { searchPath: empty })).toBeUndefined();
  });
  it("reports a file that never mentions handler", async () => {
    const f = await checkPythonCode(readerOf({ "handler.py": "def handle(p, c):\n    pass\n" }), noPython);
    expect(f?.problem).toMatch(/no top-level `handler`; its top-level functions are handle/);
    expect(f?.problem).not.toMatch(/checked with Python/);
  });
  it("passes anything that mentions handler, and cannot see syntax errors", async () => {
    expect(await checkPythonCode(readerOf({ "handler.py": "# handler lives elsewhere\n" }), noPython)).toBeUndefined();
    expect(await checkPythonCode(readerOf({ "handler.py": "def handler(p, c):\n  return {\n" }), noPython)).toBeUndefined();
  });
  it("scanPythonText lists top-level functions", () => {
    expect(scanPythonText("def a():\n  def b(): pass\nasync def c(): pass\n")).toEqual({ hasHandler: false, functions: ["a", "c"], dynamic: false });
  });
});

describe("checkPythonCode: where handler.py is", () => {
  it("a directory without handler.py at its top fails, pointing at a nested one", async () => {
    const f = await checkPythonCode(readerOf({ "src/handler.py": GOOD_PY, "requirements.txt": "" }));
    expect(f).toMatchObject({ file: "handler.py" });
    expect(f?.problem).toMatch(/not found at the top of the code \(found src\/handler\.py\)/);
    expect(f?.fix).toMatch(/point `code` at the directory that holds handler\.py/);
  });
  it("a directory without any handler.py says to add one", async () => {
    const f = await checkPythonCode(readerOf({ "main.py": GOOD_PY }));
    expect(f?.fix).toMatch(/add handler\.py with `def handler\(payload, ctx\)`/);
  });
});

const CARGO = '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nignite = "*"\n';
const LIB = "use ignite::prelude::*;\n\n#[ignite::main]\nasync fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> {\n    Ok(json!({}))\n}\n";

describe("checkRustCrate", () => {
  it("a crate with Cargo.toml [package], src/lib.rs and #[ignite::main] passes, with the steps the local Ignite logs", async () => {
    const r = await checkRustCrate(readerOf({ "Cargo.toml": CARGO, "src/lib.rs": LIB }));
    expect(r.problem).toBeUndefined();
    expect(r.pkg).toEqual({ name: "tiny", version: "0.1.0" });
    expect(r.steps).toEqual(["checking Cargo.toml", "   package tiny v0.1.0", "checking src/lib.rs", "   found #[ignite::main] async fn handler"]);
  });
  const bad: [string, Record<string, string>, string, RegExp][] = [
    ["no Cargo.toml (a single file)", { "src/lib.rs": LIB }, "Cargo.toml", /not found at the root/],
    ["Cargo.toml without [package]", { "Cargo.toml": '[workspace]\nmembers = ["a"]\n', "src/lib.rs": LIB }, "Cargo.toml", /no \[package\] section/],
    ["a [package] without a name", { "Cargo.toml": '[package]\nversion = "1.0.0"\n', "src/lib.rs": LIB }, "Cargo.toml", /no \[package\] section with a name/],
    ["no src/lib.rs", { "Cargo.toml": CARGO, "src/main.rs": LIB }, "src/lib.rs", /not found/],
    ["no #[ignite::main]", { "Cargo.toml": CARGO, "src/lib.rs": "async fn handler() {}\n" }, "src/lib.rs", /no `#\[ignite::main\]` attribute on an `async fn handler`/],
  ];
  it.each(bad)("%s fails naming the file", async (_name, files, file, problem) => {
    const r = await checkRustCrate(readerOf(files));
    expect(r.problem?.file).toBe(file);
    expect(r.problem?.problem).toMatch(problem);
    expect(r.problem?.fix).not.toBe("");
  });
  it("accepts pub and spacing inside the attribute", async () => {
    const lib = "#[ ignite :: main ]\npub async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> { todo!() }\n";
    expect((await checkRustCrate(readerOf({ "Cargo.toml": CARGO, "src/lib.rs": lib }))).problem).toBeUndefined();
  });
});

describe("checkCodeShape", () => {
  it("dispatches by runtime; deno and go have no shape check", async () => {
    expect((await checkCodeShape("python", readerOf({ "main.py": "" })))?.file).toBe("handler.py");
    expect((await checkCodeShape("rust", readerOf({ "src/lib.rs": LIB })))?.file).toBe("Cargo.toml");
    expect(await checkCodeShape("deno", readerOf({ "x.ts": "" }))).toBeUndefined();
    expect(await checkCodeShape("go", readerOf({ "x.go": "" }))).toBeUndefined();
  });
});

describe("checkCodeLimits", () => {
  it("the limits are the platform's: 10,000 files and 32 MiB per request", () => {
    expect(MAX_DRAFT_FILES).toBe(10_000);
    expect(MAX_REQUEST_BYTES).toBe(32 * MiB);
    expect(MAX_CODE_BYTES).toBeLessThan(MAX_REQUEST_BYTES);
  });
  it("more files than the limit fails, naming the directories holding most files", () => {
    const files = [
      ...Array.from({ length: 9_000 }, (_, i) => ({ path: `vendor/f${i}`, size: 10 })),
      ...Array.from({ length: 1_500 }, (_, i) => ({ path: `assets/a${i}`, size: 10 })),
      { path: "handler.py", size: 100 },
    ];
    const f = checkCodeLimits(files, archiveSizeLowerBound(files));
    expect(f).toMatchObject({ limit: "files", actual: 10_501, max: 10_000 });
    expect(f?.largest.map((c) => c.path)).toEqual(["vendor/", "assets/", "handler.py"]);
    expect(f?.largest[0]).toMatchObject({ files: 9_000, bytes: 90_000 });
  });
  it("more bytes than the limit fails, naming the largest directories and files", () => {
    const files = [
      { path: "data/model.bin", size: 30 * MiB },
      { path: "data/small.bin", size: MiB },
      { path: "big.csv", size: 3 * MiB },
      { path: "handler.py", size: 100 },
    ];
    const f = checkCodeLimits(files, archiveSizeLowerBound(files));
    expect(f).toMatchObject({ limit: "bytes", max: MAX_CODE_BYTES });
    expect(f?.largest.map((c) => c.path)).toEqual(["data/", "big.csv", "handler.py"]);
  });
  it("exactly at the limit passes", () => {
    expect(checkCodeLimits([{ path: "a", size: 1 }], MAX_CODE_BYTES)).toBeUndefined();
    expect(checkCodeLimits(Array.from({ length: MAX_DRAFT_FILES }, (_, i) => ({ path: `f${i}`, size: 0 })), 1)).toBeUndefined();
  });
  it("largestContributors groups by top-level directory", () => {
    expect(largestContributors([{ path: "a/b/c", size: 5 }, { path: "a/d", size: 5 }, { path: "e", size: 7 }], "bytes")).toEqual([
      { path: "a/", bytes: 10, files: 2 },
      { path: "e", bytes: 7, files: 1 },
    ]);
  });
});
