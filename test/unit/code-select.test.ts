// Which files a code set holds: include globs, exclude patterns, .igniteignore, built-in
// excludes, symlinks, and the errors for a missing path or an empty selection.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collectCodeSet, compileIgnore, IgnoreMatcher, manifestDiff, describeManifestDiff, verifyCodeSet } from "../../src/code/index.js";

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "code-select-"));
  dirs.push(root);
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), body);
  }
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;
const paths = async (root: string, opts: { include?: string[]; exclude?: string[] } = {}) =>
  (await collectCodeSet({ path: root, ...opts })).entries.map((e) => e.path);

const PROJECT = {
  "handler.py": "h",
  "requirements.txt": "r",
  "lib/a.py": "a",
  "lib/a.pyc": "compiled",
  "lib/__pycache__/a.cpython-312.pyc": "c",
  "tests/test_a.py": "t",
  "README.md": "doc",
  "docs/guide.md": "doc",
  ".env.example": "E=1",
  ".git/HEAD": "ref",
  "node_modules/x/index.js": "x",
  "web/node_modules/y/index.js": "y",
  "target/debug/app": "bin",
  "crate/target/keep.txt": "nested target is not Rust's top-level build dir",
  ".DS_Store": "junk",
  "sub/.DS_Store": "junk",
};

describe("built-in excludes", () => {
  it("leave out VCS data, dependencies, caches, Rust target/ and OS litter; keep dotfiles", async () => {
    expect(await paths(tree(PROJECT))).toEqual([
      ".env.example",
      "README.md",
      "crate/target/keep.txt",
      "docs/guide.md",
      "handler.py",
      "lib/a.py",
      "requirements.txt",
      "tests/test_a.py",
    ]);
  });
});

describe("include / exclude", () => {
  const table: Array<[string, { include?: string[]; exclude?: string[] }, string[]]> = [
    ["include only Python files", { include: ["**/*.py"] }, ["handler.py", "lib/a.py", "tests/test_a.py"]],
    ["include a top-level glob", { include: ["*.py", "*.txt"] }, ["handler.py", "requirements.txt"]],
    ["exclude by name at any depth", { exclude: ["*.md"] }, [".env.example", "crate/target/keep.txt", "handler.py", "lib/a.py", "requirements.txt", "tests/test_a.py"]],
    ["exclude a directory", { include: ["**/*.py"], exclude: ["tests/"] }, ["handler.py", "lib/a.py"]],
    ["exclude an anchored path", { include: ["**/*.py"], exclude: ["/lib/a.py"] }, ["handler.py", "tests/test_a.py"]],
    ["exclude with **", { include: ["**/*.md", "**/*.py"], exclude: ["docs/**"] }, ["README.md", "handler.py", "lib/a.py", "tests/test_a.py"]],
    ["exclude then re-include with !", { include: ["**/*.py"], exclude: ["*.py", "!handler.py"] }, ["handler.py"]],
  ];
  it.each(table)("%s", async (_name, opts, expected) => {
    expect(await paths(tree(PROJECT), opts)).toEqual(expected);
  });
});

describe(".igniteignore", () => {
  it("applies comments, blanks, globs, directory rules and negation, and is not itself packed", async () => {
    const root = tree({
      ...PROJECT,
      ".igniteignore": ["# test and docs stay home", "", "tests/", "*.md", "!README.md", ".env.*", "lib/*.py", "!lib/a.py", ""].join("\n"),
    });
    expect(await paths(root)).toEqual(["README.md", "crate/target/keep.txt", "handler.py", "lib/a.py", "requirements.txt"]);
  });

  it("can bring a built-in exclude back", async () => {
    const root = tree({ "handler.py": "h", "target/prebuilt.bin": "b", ".igniteignore": "!/target/\n" });
    expect(await paths(root)).toEqual(["handler.py", "target/prebuilt.bin"]);
  });

  it("is overridden by the program's own exclude", async () => {
    const root = tree({ "a.py": "a", "b.py": "b", ".igniteignore": "!b.py\n" });
    expect(await paths(root, { exclude: ["b.py"] })).toEqual(["a.py"]);
  });
});

describe("IgnoreMatcher", () => {
  const m = new IgnoreMatcher(compileIgnore(["build/", "/only-top.txt", "**/gen/*.ts", "a?c", "x[0-9].log", "\\#hash", "trailing\\ "]));
  it.each([
    ["build/x.js", true],
    ["src/build/x.js", true],
    ["build", false], // a file named build: the rule is for directories
    ["only-top.txt", true],
    ["sub/only-top.txt", false],
    ["gen/a.ts", true],
    ["deep/gen/a.ts", true],
    ["gen/sub/a.ts", false],
    ["abc", true],
    ["a/c", false],
    ["x7.log", true],
    ["xa.log", false],
    ["#hash", true],
    ["trailing ", true],
  ])("%s → %s", (p, expected) => expect(m.ignores(p)).toBe(expected));
});

describe("manifest", () => {
  it("maps every selected path to sha256 of its content, keys sorted", async () => {
    const set = await collectCodeSet({ path: tree({ "b.py": "B", "a/z.py": "Z", "a.py": "A" }) });
    expect(set.manifest).toEqual({ "a.py": sha("A"), "a/z.py": sha("Z"), "b.py": sha("B") });
    expect(Object.keys(set.manifest)).toEqual(["a.py", "a/z.py", "b.py"]);
    expect(set.entries.map((e) => [e.path, e.size, e.mode])).toEqual([["a.py", 1, 0o644], ["a/z.py", 1, 0o644], ["b.py", 1, 0o644]]);
  });
});

describe("symlinks", () => {
  it("rejects a link that points outside the code directory, naming it", async () => {
    const outside = tree({ "secret.txt": "s" });
    const root = tree({ "handler.py": "h" });
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "leak.txt"));
    await expect(collectCodeSet({ path: root })).rejects.toThrow(/leak\.txt is a symlink to .*outside the code directory/);
  });

  it("packs a link inside the directory as a regular file with the target's content", async () => {
    const root = tree({ "handler.py": "h", "lib/real.py": "real" });
    symlinkSync("lib/real.py", path.join(root, "alias.py"));
    const set = await collectCodeSet({ path: root });
    expect(set.manifest["alias.py"]).toBe(sha("real"));
  });

  it("rejects a directory link that escapes", async () => {
    const outside = tree({ "x.py": "x" });
    const root = tree({ "handler.py": "h" });
    symlinkSync(outside, path.join(root, "ext"));
    await expect(collectCodeSet({ path: root })).rejects.toThrow(/ext is a symlink/);
  });

  it("can be excluded instead", async () => {
    const outside = tree({ "secret.txt": "s" });
    const root = tree({ "handler.py": "h", ".igniteignore": "leak.txt\n" });
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "leak.txt"));
    expect(await paths(root)).toEqual(["handler.py"]);
  });
});

describe("errors", () => {
  it("names a missing path and where it was resolved", async () => {
    await expect(collectCodeSet({ path: "./nope", cwd: "/tmp" })).rejects.toThrow(/code \.\/nope: no such file or directory \(resolved to \/tmp\/nope\)/);
  });
  it("explains an empty selection", async () => {
    const empty = tree({});
    await expect(collectCodeSet({ path: empty })).rejects.toThrow(/no files selected.*widen `include`/);
    const onlyIgnored = tree({ "node_modules/a.js": "a", ".igniteignore": "*\n" });
    await expect(collectCodeSet({ path: onlyIgnored })).rejects.toThrow(/no files selected/);
  });
});

describe("manifestDiff", () => {
  it("lists added, removed and changed paths", () => {
    const d = manifestDiff({ a: "sha256:1", b: "sha256:2", c: "sha256:3" }, { a: "sha256:1", b: "sha256:9", d: "sha256:4" });
    expect(d).toEqual({ added: ["d"], removed: ["c"], changed: ["b"] });
    expect(describeManifestDiff(d)).toBe("changed b; added d; removed c");
    expect(manifestDiff({}, {})).toEqual({ added: [], removed: [], changed: [] });
  });
});

describe("verifyCodeSet", () => {
  it("returns the bytes when nothing changed", async () => {
    const root = tree({ "a.py": "A", "b.py": "B" });
    const set = await collectCodeSet({ path: root });
    const bytes = await verifyCodeSet(set, set.codeHash);
    expect(bytes.length).toBeGreaterThan(0);
  });

  it("names the files that changed after preview", async () => {
    const root = tree({ "a.py": "A", "b.py": "B", "c.py": "C" });
    const set = await collectCodeSet({ path: root, cwd: "/" });
    writeFileSync(path.join(root, "a.py"), "A2"); // same size, new content
    writeFileSync(path.join(root, "b.py"), "longer B");
    unlinkSync(path.join(root, "c.py"));
    writeFileSync(path.join(root, "d.py"), "D");
    await expect(verifyCodeSet(set, set.codeHash)).rejects.toThrow(
      /files under .* changed after preview: changed a\.py, b\.py; added d\.py; removed c\.py; expected sha256:[0-9a-f]{64}; run pulumi up again/,
    );
  });

  it("diffs against a planned manifest when given one", async () => {
    const root = tree({ "a.py": "A" });
    const planned = await collectCodeSet({ path: root });
    writeFileSync(path.join(root, "a.py"), "new");
    const fresh = await collectCodeSet({ path: root });
    await expect(verifyCodeSet(fresh, planned.codeHash, { plannedManifest: planned.manifest })).rejects.toThrow(/changed a\.py/);
  });

  it("hands back the bytes kept at collect time instead of packing again", async () => {
    const root = tree({ "a.py": "A", "lib/b.py": "B" });
    for (const code of [root, path.join(root, "a.py")]) {
      const set = await collectCodeSet({ path: code, keepBytes: true });
      expect(set.bytes).toBeDefined();
      expect(`sha256:${createHash("sha256").update(set.bytes!).digest("hex")}`).toBe(set.codeHash);
      expect((await collectCodeSet({ path: code })).bytes).toBeUndefined();
      expect((await collectCodeSet({ path: code })).codeHash).toBe(set.codeHash);
      // The kept bytes are the planned ones: a later edit on disk does not reach the upload.
      writeFileSync(path.join(root, "a.py"), "A2");
      expect(await verifyCodeSet(set, set.codeHash)).toBe(set.bytes);
      writeFileSync(path.join(root, "a.py"), "A");
      // A set kept for other code is still checked against the files.
      await expect(verifyCodeSet(set, sha("other"))).rejects.toThrow(/expected sha256:/);
    }
  });

  it("verifies a single file too", async () => {
    const root = tree({ "handler.py": "v1" });
    const set = await collectCodeSet({ path: path.join(root, "handler.py") });
    writeFileSync(path.join(root, "handler.py"), "v2");
    await expect(verifyCodeSet(set, set.codeHash)).rejects.toThrow(/changed handler\.py/);
  });
});
