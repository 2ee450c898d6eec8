// The Draft's check, diff and program-side code description, as tables.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkDescribedCode, checkDraft, describeCode, diffDraft, inputsOf, liveOutputs, type DraftInputs, type DraftOutputs } from "../../src/resources/draft.js";
import { UNKNOWN, type PlainDraft } from "../../src/resources/common.js";

const H1 = `sha256:${"1".repeat(64)}`;
const H2 = `sha256:${"2".repeat(64)}`;
const good = { app: "acme-corp/greet", code: "app", codeHash: H1, manifest: { "handler.py": H1 }, sourceKind: "file" };

describe("Draft check", () => {
  it("defaults the runtime to python, or rust when rust settings are given", () => {
    expect(checkDraft(good).inputs!.runtime).toBe("python");
    const r = checkDraft({ ...good, rust: { target: "native" } });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ runtime: "rust", rust: { target: "native", toolchain: "" } });
  });

  it.each([
    [{ app: undefined }, "app"],
    [{ app: "greet" }, "app"],
    [{ app: "acme-corp/Greet" }, "app"],
    [{ codeProblem: "`code` \"./nope\" cannot be used" }, "code"],
    [{ code: "" }, "code"],
    [{ codeHash: "abc" }, "code"],
    [{ runtime: "java" }, "runtime"],
    [{ rust: {} }, "rust.target"],
    [{ rust: { target: "arm" } }, "rust.target"],
    [{ runtime: "rust" }, "rust.target"],
    [{ runtime: "python", rust: { target: "native" } }, "rust"],
  ])("rejects %j, naming %s", (input, property) => {
    expect(checkDraft({ ...good, ...input }).failures!.map((f) => f.property)).toContain(property);
  });
});

describe("describeCode (in the program)", () => {
  it("reports a missing path as a problem with `code`, not a crash", async () => {
    const d = await describeCode({ code: "./does-not-exist", cwd: os.tmpdir() });
    expect(d.codeProblem).toMatch(/`code` "\.\/does-not-exist"/);
  });

  it("stores the path relative to the project and hashes each file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "draft-"));
    fs.mkdirSync(path.join(dir, "app"));
    fs.writeFileSync(path.join(dir, "app", "handler.py"), "def handler(p, c):\n    return 1\n");
    const d = await describeCode({ code: path.join(dir, "app"), cwd: dir });
    expect(d).toMatchObject({ code: "app", sourceKind: "directory" });
    expect(Object.keys(d.manifest)).toEqual(["handler.py"]);
    expect(d.codeHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  // Issue 11: in a Pulumi program a promise-based file-system call costs ~0.5 ms of CPU, so a
  // draft's description and shape check read, stat and resolve synchronously (only the glob
  // walk is asynchronous). Counted, not timed: fails if a promise-based call comes back.
  it("reads, stats and resolves the code without promise-based file-system calls", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "draft-"));
    fs.mkdirSync(path.join(dir, "app", "lib"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "handler.py"), "import lib.util\n\ndef handler(p, c):\n    return 1\n");
    fs.writeFileSync(path.join(dir, "app", "lib", "util.py"), "X = 1\n");
    fs.writeFileSync(path.join(dir, "app", "requirements.txt"), "");
    fs.writeFileSync(path.join(dir, "app", ".igniteignore"), "*.log\n");
    fs.symlinkSync("handler.py", path.join(dir, "app", "entry.py"));
    fs.writeFileSync(path.join(dir, "single.py"), "def handler(p, c):\n    return 1\n");
    const calls: string[] = [];
    const names = ["readFile", "stat", "lstat", "realpath", "open", "access"] as const;
    const originals = names.map((n) => [n, fs.promises[n]] as const);
    for (const [n, f] of originals) {
      (fs.promises as Record<string, unknown>)[n] = (...args: unknown[]) => {
        calls.push(`${n} ${String(args[0])}`);
        return (f as (...a: unknown[]) => unknown)(...args);
      };
    }
    try {
      for (const code of ["app", "single.py"]) {
        const d = await describeCode({ code, cwd: dir });
        expect(d.codeProblem).toBeUndefined();
        expect(await checkDescribedCode(code, d, "python", dir)).toBeUndefined();
      }
    } finally {
      for (const [n, f] of originals) (fs.promises as Record<string, unknown>)[n] = f;
    }
    expect(calls).toEqual([]);
  });
});

describe("Draft diff", () => {
  const news = checkDraft(good).inputs as DraftInputs;
  const olds: DraftOutputs = { ...news, compileState: "not-required", files: ["handler.py"], sizeBytes: 10 };
  const live: PlainDraft = {
    codeHash: H1,
    compileState: "not-required",
    compiledCodeHash: "",
    runtime: { runtime: "python" },
    files: ["handler.py"],
    sizeBytes: 10,
    compileError: "",
  };
  const rustNews = checkDraft({ ...good, rust: { target: "native" } }).inputs as DraftInputs;
  const rustLive: PlainDraft = { ...live, runtime: { runtime: "rust", rustTarget: "native", toolchain: "" }, compileState: "succeeded", compiledCodeHash: H1 };

  it.each<[string, DraftOutputs, DraftInputs, PlainDraft | undefined, boolean, string[] | undefined]>([
    ["same code live", olds, news, live, false, undefined],
    ["only the path changed", olds, { ...news, code: "./other" }, live, false, undefined],
    ["a file changed", olds, { ...news, codeHash: H2 }, live, true, undefined],
    ["saved out of band", olds, news, { ...live, codeHash: H2 }, true, undefined],
    ["the app is gone", olds, news, undefined, true, undefined],
    ["the app changed", olds, { ...news, app: "acme-corp/other" }, live, true, ["app"]],
    ["the app is not known yet", olds, { ...news, app: UNKNOWN }, live, true, ["app"]],
    ["the code hash is not known yet", olds, { ...news, codeHash: UNKNOWN }, live, true, undefined],
    ["rust compiled", { ...olds, ...rustNews }, rustNews, rustLive, false, undefined],
    ["rust not compiled", { ...olds, ...rustNews }, rustNews, { ...rustLive, compileState: "not-compiled" }, true, undefined],
    ["rust compiled other code", { ...olds, ...rustNews }, rustNews, { ...rustLive, compiledCodeHash: H2 }, true, undefined],
    ["rust target changed", { ...olds, ...rustNews }, { ...rustNews, rust: { target: "wasm", toolchain: "" } }, rustLive, true, undefined],
    ["saved out of band, ignoreChanges: [\"codeHash\"]", olds, { ...news, __ignoreChanges: ["codeHash"] }, { ...live, codeHash: H2 }, false, undefined],
    ["a file changed in the program despite ignoreChanges", olds, { ...news, codeHash: H2, __ignoreChanges: ["codeHash"] }, live, true, undefined],
  ])("%s", (_label, o, n, l, changes, replaces) => {
    const d = diffDraft(o, n, l);
    expect(d.changes).toBe(changes);
    expect(d.replaces).toEqual(replaces);
  });

  it("explains a draft saved outside Pulumi", () => {
    expect(diffDraft(olds, news, { ...live, codeHash: H2 }).notes.join()).toMatch(/changed outside Pulumi/);
  });

  it("read: the state and inputs carry the live draft's code hash (the manifest stays the program's)", () => {
    const outs = liveOutputs(olds, { ...live, codeHash: H2 });
    expect(outs).toMatchObject({ codeHash: H2, manifest: olds.manifest, runtime: "python" });
    expect(inputsOf(outs)).toEqual({ ...news, codeHash: H2 });
  });
});

// Issue 9: the Draft follows its App's runtime, and says so when told otherwise.
describe("Draft check against the App's runtime (known to the program)", () => {
  it.each<[string, Record<string, unknown>, string, string | undefined]>([
    ["no runtime given: follows a rust App", { appRuntime: "rust", rust: { target: "native" } }, "rust", undefined],
    ["no runtime given: follows a deno App", { appRuntime: "deno" }, "deno", undefined],
    ["runtime python on a rust App", { appRuntime: "rust", runtime: "python" }, "python", "runtime"],
    ["rust settings on a python App", { appRuntime: "python", rust: { target: "native" } }, "rust", "rust"],
    ["a rust App without rust settings needs a target", { appRuntime: "rust" }, "rust", "rust.target"],
    ["an App declared elsewhere: python by default", {}, "python", undefined],
  ])("%s", (_name, extra, runtime, failing) => {
    const r = checkDraft({ ...good, ...extra });
    expect(r.inputs!.runtime).toBe(runtime);
    if (failing) expect(r.failures!.map((f) => f.property)).toContain(failing);
    else expect(r.failures).toEqual([]);
  });

  it("a code finding from the program fails `code`", () => {
    const r = checkDraft({ ...good, codeFinding: "`code` \"app\" (python): handler.py: has no top-level `handler`; define it." });
    expect(r.failures).toEqual([{ property: "code", reason: expect.stringMatching(/handler\.py/) }]);
  });
});

describe("describeCode and checkDescribedCode: where code may come from (issue 9)", () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "draft-project-"));
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "draft-elsewhere-"));
  fs.writeFileSync(path.join(elsewhere, "handler.py"), "def handler(payload, ctx):\n    return 1\n");

  it("an absolute path outside the project is used, stored relative to the project", async () => {
    const d = await describeCode({ code: elsewhere, cwd: project });
    expect(d.codeProblem).toBeUndefined();
    expect(d.code).toBe(path.relative(project, elsewhere));
    expect(d.code.startsWith("../")).toBe(true);
    expect(Object.keys(d.manifest)).toEqual(["handler.py"]);
    expect(await checkDescribedCode(elsewhere, d, "python", project)).toBeUndefined();
  });

  it("`code` that is a symlink to a directory outside the project is used as that directory", async () => {
    fs.symlinkSync(elsewhere, path.join(project, "linked"));
    const d = await describeCode({ code: "./linked", cwd: project });
    expect(d).toMatchObject({ code: "linked", sourceKind: "directory", manifest: { "handler.py": expect.any(String) } });
    expect(await checkDescribedCode("./linked", d, "python", project)).toBeUndefined();
  });

  it("a symlink inside the code that leads outside it is refused, with the reason", async () => {
    const dir = path.join(project, "app");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "handler.py"), "def handler(p, c):\n    return 1\n");
    fs.symlinkSync(path.join(elsewhere, "handler.py"), path.join(dir, "shared.py"));
    const d = await describeCode({ code: "./app", cwd: project });
    expect(d.codeProblem).toMatch(/shared\.py is a symlink to .*, outside the code directory; a link inside the code may only point within it/);
  });

  it("a single file is checked as its runtime's entry file", async () => {
    fs.writeFileSync(path.join(project, "main.py"), "def main():\n    pass\n");
    const d = await describeCode({ code: "./main.py", cwd: project });
    expect(await checkDescribedCode("./main.py", d, "python", project)).toMatch(/^`code` "\.\/main\.py" \(python\): handler\.py: has no top-level `handler`; its top-level functions are main/);
    expect(await checkDescribedCode("./main.py", d, "rust", project)).toMatch(/Cargo\.toml: not found at the root/);
    expect(await checkDescribedCode("./main.py", d, "deno", project)).toBeUndefined();
  });

  it("files over the platform's limits are refused before they are read, naming the largest", async () => {
    const dir = path.join(project, "big");
    fs.mkdirSync(path.join(dir, "data"), { recursive: true });
    fs.writeFileSync(path.join(dir, "handler.py"), "def handler(p, c):\n    return 1\n");
    fs.writeFileSync(path.join(dir, "data", "model.bin"), "");
    fs.truncateSync(path.join(dir, "data", "model.bin"), 64 * 1024 * 1024);
    const d = await describeCode({ code: "./big", cwd: project });
    expect(d.codeProblem).toMatch(/is 64 MiB to upload, over the platform's limit of 32 MiB per request; the largest parts are data\/ \(64 MiB in 1 file\), handler\.py/);
  });
});
