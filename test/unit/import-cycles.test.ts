// No module in src imports itself through others (issue 14): a cycle makes load order decide
// what a module sees, and marks two files that are one piece or a shared type without a home.
// Type-only imports count too, as madge counts them. The TypeScript scanner lists each file's
// imports (import, import type, export … from, import()).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The src files `file` imports by relative specifier ("./x.js" is ./x.ts, "./dir" is ./dir/index.ts). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => {
      const base = path.resolve(path.dirname(file), spec);
      return [base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
    })
    .filter((p): p is string => p !== undefined);
}

/** Every cycle found by a depth-first walk, each as the files around it. */
function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, "open");
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found.map((c) => c.map((f) => path.relative(SRC, f)));
}

describe("the modules of src", () => {
  it("import one another without a cycle", () => {
    expect(cycles(sourceFiles(SRC))).toEqual([]);
  });

  it("the walk finds a cycle when there is one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cycle-check-"));
    try {
      fs.writeFileSync(path.join(dir, "a.ts"), 'import type { B } from "./b.js";\nexport type A = B;\n');
      fs.writeFileSync(path.join(dir, "b.ts"), 'export { type A as B } from "./a.js";\n');
      expect(cycles(sourceFiles(dir)).map((c) => c.map((f) => path.basename(f)))).toEqual([["a.ts", "b.ts", "a.ts"]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
