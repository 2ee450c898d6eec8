// The pieces of the Deno and Go builds at publish that read tool output or files (issue 15):
// the first located error of deno and go, Go's shape check, and which git URLs SaveDraft takes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { denoError } from "../../src/emulator/runtimes/deno/index.js";
import { checkGoShape, goError } from "../../src/emulator/runtimes/go/index.js";
import { isGitUrl } from "../../src/emulator/image-drafts.js";

describe("denoError", () => {
  it("puts the location of deno's error first", () => {
    const lines = ["error: SyntaxError: Expression expected", "  |", "1 | export default () => 1 +;", "  |", "    at main.ts:1:27"];
    expect(denoError(lines)).toBe("main.ts:1:27: SyntaxError: Expression expected");
  });
  it("keeps an error without a location as printed, and finds none in other output", () => {
    expect(denoError(["Download npm:left-pad", 'error: npm package "nope" does not exist.'])).toBe('npm package "nope" does not exist.');
    expect(denoError(["Download https://example.com/x.ts"])).toBeUndefined();
  });
});

describe("goError", () => {
  it("takes go build's first located error, without ./", () => {
    expect(goError(["# app", "./main.go:12:9: undefined: x", "./main.go:14:2: too many errors"])).toBe("main.go:12:9: undefined: x");
  });
  it("falls back to go's own error line", () => {
    expect(goError(["go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)"])).toBe("go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)");
  });
});

describe("checkGoShape", () => {
  const tree = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "go-shape-"));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    return dir;
  };
  const handler = "package main\n\nfunc Handler(payload []byte, ctx ignite.Context) (any, error) { return nil, nil }\n";
  it.each([
    [{ "main.go": handler }, undefined],
    [{ "main.go": "package main\n", "handler.go": handler }, undefined],
    [{ "app.go": handler }, /^main\.go: not found at the root/],
    [{ "main.go": handler.replace("package main", "package app") }, /must be `package main`/],
    [{ "main.go": "package main\n\nfunc handler() {}\n" }, /no `func Handler\(/],
    [{ "main.go": handler + "\nfunc main() {}\n" }, /declares func main\(\); remove it/],
    [{ "main.go": handler, "ignite_main_gen.go": "package main\n" }, /generates this file/],
  ])("%j → %s", (files, expected) => {
    const found = checkGoShape(tree(files));
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(expected);
  });
});

describe("isGitUrl", () => {
  it.each(["https://github.com/acme/site.git", "https://github.com/acme/site.git#main", "ssh://git@host/acme/site.git", "git@github.com:acme/site.git", "file:///srv/git/site"])("takes %s", (url) => {
    expect(isGitUrl(url)).toBe(true);
  });
  it.each(["site", "ftp://host/x", "https://", "file:///", "https://host/a b"])("refuses %s", (url) => {
    expect(isGitUrl(url)).toBe(false);
  });
});
