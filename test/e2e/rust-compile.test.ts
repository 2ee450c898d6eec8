// A Rust Draft with the real pulumi CLI on a local Ignite that really runs cargo: a crate whose
// handler lacks `#[ignite::main]` fails the preview (issue 9: the program runs the crate check
// the local Ignite's compile runs) and nothing is created; the fixed crate is saved, compiled
// (cargo's own lines in the output) and published once; an unchanged crate is not compiled
// again; a draft holding the same code but not compiled is compiled without being saved
// again; a type error fails `up` with rustc's error naming src/lib.rs and its line, and
// publishes nothing.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectCodeSet, packCodeSet } from "../../src/code/index.js";
import { CompileState, RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { createWorkspace, mutations, type Workspace } from "./harness.js";

const STEP = 240_000;

const CARGO = '[package]\nname = "crab"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nignite = "*"\nserde_json = "1.0"\n';
const HANDLER_BODY = [
  "async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> {",
  '    Ok(json!({ "execution_id": ctx.execution_id() }))',
  "}",
  "",
].join("\n");
const BROKEN_LIB = `use ignite::prelude::*;\nuse serde_json::json;\n\n${HANDLER_BODY}`;
const FIXED_LIB = `use ignite::prelude::*;\nuse serde_json::json;\n\n#[ignite::main]\n${HANDLER_BODY}`;

const PROGRAM = [
  `import * as ignite from "pulumi-ignite";`,
  `const app = new ignite.App("crab", { runtime: "rust", description: "compiled Rust handler" });`,
  `const draft = new ignite.Draft("crab", { app, code: "./app", rust: { target: "native" } });`,
  `const release = new ignite.PublishedVersion("crab", { app, codeHash: draft.codeHash });`,
  `export const codeHash = draft.codeHash;`,
  `export const activeVersion = release.activeVersion;`,
].join("\n");

describe("a Rust Draft's compile, end to end", () => {
  let ws: Workspace;
  let project: string;
  const org = () => ws.ignite.org;
  const libRs = () => path.join(project, "app", "src", "lib.rs");
  const versions = async () => ws.client.listVersions({ organizationName: org(), appName: "crab" });
  const liveDraft = async () => (await ws.client.getDraft({ organizationName: org(), appName: "crab" })).draft!;

  beforeAll(async () => {
    ws = await createWorkspace();
    project = ws.project("crab", PROGRAM);
    fs.mkdirSync(path.join(project, "app", "src"), { recursive: true });
    fs.writeFileSync(path.join(project, "app", "Cargo.toml"), CARGO);
    fs.writeFileSync(libRs(), BROKEN_LIB);
    await ws.initStack(project);
  }, STEP);
  afterAll(async () => ws?.dispose());

  it("a handler without #[ignite::main] fails the preview (and up) naming src/lib.rs and the fix; nothing is created", async () => {
    await ws.resetCalls();
    for (const args of [["preview"], ["up", "--yes"]]) {
      const r = await ws.pulumi(project, args);
      expect(r.code).not.toBe(0);
      expect(r.all).toMatch(/property code value \{app\} has a problem: `code` "\.\/app" \(rust\): src\/lib\.rs: no `#\[ignite::main\]` attribute on an `async fn handler`/);
      expect(r.all).toContain("annotate `async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse>` with #[ignite::main]");
    }
    expect(mutations(await ws.calls())).toEqual({});
    expect((await ws.client.getAppOrUndefined(org(), "crab"))).toBeUndefined();
  }, STEP);

  it("after the fix, up saves, compiles and publishes exactly once", async () => {
    fs.writeFileSync(libRs(), FIXED_LIB);
    await ws.resetCalls();
    const r = await ws.ok(project, ["up", "--yes"]);
    expect(r.all).toMatch(new RegExp(`\\[compile ${org()}/crab\\]\\s+found #\\[ignite::main\\] async fn handler`));
    // cargo's own lines, as the build prints them.
    expect(r.all).toMatch(new RegExp(`\\[compile ${org()}/crab\\]\\s+Compiling crab v0\\.1\\.0 \\(the draft\\)`));
    expect(r.all).toMatch(new RegExp(`\\[compile ${org()}/crab\\]\\s+Finished \`release\` profile`));
    expect(r.all).toContain(`[compile ${org()}/crab] compile succeeded`);
    expect(mutations(await ws.calls())).toEqual({ CreateApp: 1, SaveDraft: 1, CompileDraft: 1, PublishDraft: 1 });

    const out = JSON.parse((await ws.ok(project, ["stack", "output", "--json"])).stdout);
    expect(out.activeVersion).toBe(1);
    const draft = await liveDraft();
    expect(draft.codeHash).toBe(out.codeHash);
    expect(draft.compiledCodeHash).toBe(out.codeHash);
    const v = await versions();
    expect(v.activeVersion).toBe(1);
    expect(v.versions.map((x) => x.codeHash)).toEqual([out.codeHash]);
  }, STEP);

  it("a second up with the same source compiles nothing and makes no mutating call", async () => {
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(libRs(), later, later); // mtime only
    await ws.resetCalls();
    const r = await ws.ok(project, ["up", "--yes"]);
    expect(r.all).toMatch(/4 unchanged/);
    expect(r.all).not.toContain("[compile ");
    expect(mutations(await ws.calls())).toEqual({});
  }, STEP);

  it("a draft holding the same code but not compiled (saved again out of band) is compiled by up, without a SaveDraft", async () => {
    const archive = await packCodeSet(await collectCodeSet({ path: path.join(project, "app") }));
    const resaved = await ws.client.saveDraft({
      organizationName: org(),
      appName: "crab",
      code: { source: { case: "compile", value: { runtime: { runtime: { case: "rust", value: { target: RustTarget.NATIVE } } }, input: { case: "archive", value: archive } } } },
    });
    const codeHash = JSON.parse((await ws.ok(project, ["stack", "output", "--json"])).stdout).codeHash;
    expect(resaved.draft?.codeHash).toBe(codeHash); // the same bytes…
    expect(resaved.draft?.compileState).toBe(CompileState.NOT_COMPILED); // …but not compiled

    const preview = await ws.pulumi(project, ["preview", "--expect-no-changes"]);
    expect(preview.code).not.toBe(0);
    expect(preview.all).toContain(`the draft of ${org()}/crab is not compiled (not-compiled); it will be compiled`);

    await ws.resetCalls();
    const r = await ws.ok(project, ["up", "--yes"]);
    expect(r.all).toContain(`[compile ${org()}/crab] compile succeeded`);
    // The active version already carries this code: nothing is saved or published.
    expect(mutations(await ws.calls())).toEqual({ CompileDraft: 1 });
    expect((await versions()).activeVersion).toBe(1);
    expect((await liveDraft()).compiledCodeHash).toBe(codeHash);
    await ws.ok(project, ["preview", "--expect-no-changes"]);
  }, STEP);

  it("a type error fails up with rustc's error naming src/lib.rs and its line; nothing is published", async () => {
    fs.writeFileSync(libRs(), FIXED_LIB.replace("Ok(json!(", 'let n: u32 = "not a number";\n    Ok(json!('));
    await ws.resetCalls();
    const r = await ws.pulumi(project, ["up", "--yes"]);
    expect(r.code).not.toBe(0);
    expect(r.all).toContain(`ignite: CompileDraft ${org()}/crab failed: the compile failed: src/lib.rs:6:18: error[E0308]: mismatched types`);
    expect(r.all).toMatch(/\|\s+error: could not compile `crab` \(lib\) due to 1 previous error/);
    expect(mutations(await ws.calls())).toEqual({ SaveDraft: 1, CompileDraft: 1 });
    expect((await versions()).activeVersion).toBe(1);
    expect((await versions()).versions).toHaveLength(1);
  }, STEP);
});
