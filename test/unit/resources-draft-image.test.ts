// A Draft's image inputs (issue 15), as tables: what the program computes (code hash of a
// reference or a build context), what check refuses, and when diff saves again.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { collectCodeSet } from "../../src/code/index.js";
import { imageRefCodeHash, parseImageRef } from "../../src/image-ref.js";
import { describeImage } from "../../src/resources/draft-image.js";
import { checkDraft, diffDraft, saveReasons, type DraftInputs, type DraftOutputs } from "../../src/resources/draft.js";
import type { PlainDraft } from "../../src/resources/common.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
const sha256 = (s: string) => "sha256:" + createHash("sha256").update(s).digest("hex");

describe("image references", () => {
  it.each([
    ["nginx", { name: "nginx" }],
    ["nginx:1.27", { name: "nginx", tag: "1.27" }],
    ["ghcr.io/acme/greet:v2", { name: "ghcr.io/acme/greet", tag: "v2" }],
    ["localhost:5000/greet", { name: "localhost:5000/greet" }],
    [`ghcr.io/acme/greet@${DIGEST}`, { name: "ghcr.io/acme/greet", digest: DIGEST }],
    [`ghcr.io/acme/greet:v2@${DIGEST}`, { name: "ghcr.io/acme/greet", tag: "v2", digest: DIGEST }],
  ])("parses %s", (ref, parts) => {
    expect(parseImageRef(ref)).toEqual(parts);
  });

  it.each(["", " nginx", "Nginx", "ghcr.io/acme/greet:", "greet@sha256:abc", "greet@md5:" + "a".repeat(32), "a//b"])("refuses %j", (ref) => {
    expect(parseImageRef(ref)).toHaveProperty("problem");
  });

  it("hashes a pinned reference as its digest and a tag as its text", () => {
    expect(imageRefCodeHash(`ghcr.io/acme/greet:v2@${DIGEST}`)).toBe(DIGEST);
    expect(imageRefCodeHash("ghcr.io/acme/greet:v2")).toBe(sha256("ghcr.io/acme/greet:v2"));
  });
});

describe("describeImage (in the program)", () => {
  const project = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "draft-image-"));
    fs.mkdirSync(path.join(dir, "greet", "deploy"), { recursive: true });
    fs.writeFileSync(path.join(dir, "greet", "deploy", "Containerfile"), "FROM scratch\n");
    fs.writeFileSync(path.join(dir, "greet", "server.py"), "print('hi')\n");
    return dir;
  };

  it("hashes a build context like code, per file, with the Dockerfile relative to it", async () => {
    const dir = project();
    const d = await describeImage({ image: { context: "./greet", dockerfile: "deploy/Containerfile" }, cwd: dir });
    expect(d.codeProblem).toBeUndefined();
    expect(d).toMatchObject({ image: { context: "greet", dockerfile: "deploy/Containerfile" }, sourceKind: "image" });
    expect(Object.keys(d.manifest).sort()).toEqual(["deploy/Containerfile", "server.py"]);
    expect(d.codeHash).toBe((await collectCodeSet({ path: path.join(dir, "greet") })).codeHash);
  });

  it("gives a reference its code hash and no files", async () => {
    expect(await describeImage({ image: { ref: `ghcr.io/acme/greet@${DIGEST}` } })).toMatchObject({ image: { ref: `ghcr.io/acme/greet@${DIGEST}` }, manifest: {}, codeHash: DIGEST });
  });

  it.each([
    [{ ref: "Greet" }, /`image.ref` "Greet" is not an image reference \(repository names are lowercase\)/],
    [{ ref: "greet", context: "./greet" }, /set `ref` \(an image to pull\) or `context`/],
    [{}, /`image` needs `ref`/],
    [{ context: "./greet" }, /`image.dockerfile` "Dockerfile" is not among the uploaded files of `image.context` "\.\/greet" \(it has deploy\/Containerfile\)/],
    [{ context: "./nope" }, /`image.context` "\.\/nope" .* cannot be used/],
    [{ context: "./greet/server.py" }, /is a file; give the directory/],
  ])("reports %j as a problem, not a crash", async (image, message) => {
    const d = await describeImage({ image, cwd: project() });
    expect(d.codeProblem).toMatch(message);
    expect(d.codeHash).toBe("");
  });
});

describe("Draft check with an image", () => {
  const good = { app: "acme-corp/greet", image: { ref: "ghcr.io/acme/greet:1" }, code: "", codeHash: sha256("ghcr.io/acme/greet:1"), manifest: {}, sourceKind: "image" };

  it("accepts an image without code, whatever the runtime", () => {
    const r = checkDraft(good);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ image: { ref: "ghcr.io/acme/greet:1" }, sourceKind: "image" });
    expect(checkDraft({ ...good, runtime: "rust" }).failures).toEqual([]);
  });

  it.each([
    [{ code: "./app" }, "image", /set either `code`/],
    [{ rust: { target: "native" } }, "rust", /an image is built or pulled, not compiled/],
    [{ codeProblem: "`image.ref` \"X\" is not an image reference", codeHash: "" }, "image", /is not an image reference/],
  ])("refuses %j on %s", (input, property, message) => {
    const failures = checkDraft({ ...good, ...input }).failures!;
    expect(failures.find((f) => f.property === property)?.reason).toMatch(message);
  });
});

describe("Draft diff with an image", () => {
  const news = checkDraft({ app: "acme-corp/greet", image: { ref: `ghcr.io/acme/greet@${DIGEST}` }, code: "", codeHash: DIGEST, manifest: {}, sourceKind: "image" }).inputs as DraftInputs;
  const olds: DraftOutputs = { ...news, compileState: "not-required", files: [], sizeBytes: 0 };
  const live = (over: Partial<PlainDraft> = {}): PlainDraft => ({
    codeHash: DIGEST,
    compileState: "not-required",
    compiledCodeHash: "",
    runtime: { runtime: "image" },
    files: [],
    sizeBytes: 0,
    compileError: "",
    image: { ref: `ghcr.io/acme/greet@${DIGEST}` },
    ...over,
  });

  it.each([
    ["the live draft holds this image", live(), []],
    ["it is empty", live({ codeHash: "", image: undefined, runtime: { runtime: "unknown" } }), ["it is empty"]],
    ["it holds code with another hash", live({ codeHash: sha256("x"), image: undefined, runtime: { runtime: "python" } }), [`it holds other code (${sha256("x")})`]],
    ["it holds another reference with the same digest", live({ image: { ref: `mirror.io/greet@${DIGEST}` } }), [`it holds image mirror.io/greet@${DIGEST}`]],
    ["it holds a build with the same hash", live({ image: { dockerfile: "Dockerfile" } }), ["it holds a build of Dockerfile"]],
  ])("%s → %j", (_what, l, reasons) => {
    expect(saveReasons(news, l)).toEqual(reasons);
    expect(diffDraft(olds, news, l).changes).toBe(reasons.length > 0);
  });

  it("a new context hash (one file changed) is a change, never a compile", () => {
    const ctx = { ...news, image: { context: "greet", dockerfile: "Dockerfile" }, codeHash: sha256("b"), manifest: { Dockerfile: sha256("d"), "app.py": sha256("b") } } as DraftInputs;
    const before = { ...olds, image: ctx.image, codeHash: sha256("a") };
    const d = diffDraft(before, ctx, live({ codeHash: sha256("a"), image: { dockerfile: "Dockerfile" } }));
    expect(d).toMatchObject({ changes: true, notes: [] });
  });
});
