// What a Pulumi program loads with `import "pulumi-ignite"` (issue 11): every module costs the
// program's start, before its first resource registers, and under ts-node more than in plain
// Node. The providers' side — the client, the generated protobuf code behind it, the local
// Ignite — loads in the provider process only. Walked the way Node will load it: each module
// compiled as tsc compiles it (imports used only as types are dropped), then its require()s.
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../../src");

/** The src modules Node loads when it loads `entry`, as paths relative to src. */
function loadedFrom(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    for (const [, spec] of outputText.matchAll(/\brequire\("(\.[^"]+)"\)/g)) {
      const base = path.resolve(path.dirname(file), spec!);
      const next = [base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
      if (next) visit(next);
    }
  };
  visit(entry);
  return [...seen].map((f) => path.relative(SRC, f)).sort();
}

describe("the modules a program loads", () => {
  const loaded = loadedFrom(path.join(SRC, "index.ts"));

  it("include the resources and the code hashing, not the client, the generated code or the local Ignite", () => {
    expect(loaded).toContain("resources/app.ts");
    expect(loaded).toContain("code/hash.ts");
    expect(loaded.filter((f) => /^(gen|emulator)\//.test(f) || f === "client/index.ts" || f === "client/client.ts")).toEqual([]);
  });

  it("the walk follows value imports and not type-only ones", () => {
    const provider = loadedFrom(path.join(SRC, "resources/provider-impl.ts"));
    expect(provider).toContain("client/index.ts");
    expect(provider).toContain("gen/dodil/ignite/v1/compute_pb.ts");
    // published-version.ts imports AppMeta and Version from the generated code as types only.
    expect(loadedFrom(path.join(SRC, "resources/published-version.ts")).some((f) => f.startsWith("gen/"))).toBe(false);
  });
});

/**
 * The declaration files a program's type check reads for `import "pulumi-ignite"`, as paths
 * relative to src (the package's own) or package names (dependencies): emitted in memory the
 * way `npm run build` emits dist/, then followed from index.d.ts through their imports.
 */
function declaredFrom(overrides: ts.CompilerOptions = {}): string[] {
  const root = path.resolve(SRC, "..");
  const config = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const emitted = new Map<string, string>();
  const program = ts.createProgram([path.join(SRC, "index.ts")], { ...options, ...overrides, noEmit: false, emitDeclarationOnly: true, declaration: true, sourceMap: false, declarationMap: false });
  program.emit(undefined, (file, text) => emitted.set(path.relative(options.outDir!, file), text), undefined, true);
  const seen = new Set<string>();
  const visit = (dts: string): void => {
    if (seen.has(dts)) return;
    seen.add(dts);
    for (const [, spec] of (emitted.get(dts) ?? "").matchAll(/(?:from|import\()\s*"([^"]+)"/g)) {
      if (!spec!.startsWith(".")) {
        seen.add(spec!.startsWith("@") ? spec!.split("/").slice(0, 2).join("/") : spec!.split("/")[0]!);
        continue;
      }
      const base = path.join(path.dirname(dts), spec!).replace(/\.js$/, "");
      visit([`${base}.d.ts`, path.join(base, "index.d.ts")].find((p) => emitted.has(p)) ?? `${base}.d.ts`);
    }
  };
  visit("index.d.ts");
  return [...seen].sort();
}

describe("the declarations a program type-checks", () => {
  // Pulumi type-checks a TypeScript program (ts-node) on every preview. The generated protobuf
  // declarations and the @bufbuild/protobuf ones they import were ~90 ms of it (issue 11); the
  // providers' side is marked @internal, and tsconfig's stripInternal leaves it out of dist/.
  it("hold the resources' types, not the client, the generated code or protobuf-es", { timeout: 60_000 }, () => {
    const declared = declaredFrom();
    expect(declared).toContain("resources/app.d.ts");
    expect(declared).toContain("resources/draft.d.ts");
    expect(declared.filter((f) => /^(gen|client|emulator)\//.test(f) || f.startsWith("@bufbuild") || f.startsWith("@connectrpc"))).toEqual([]);
  });

  it("the walk finds the generated code when the internal declarations are kept", { timeout: 60_000 }, () => {
    expect(declaredFrom({ stripInternal: false })).toContain("gen/dodil/ignite/v1/compute_pb.d.ts");
  });
});
