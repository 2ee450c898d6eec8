// The `Draft` resource: the code in an app's mutable draft slot (version 0). The program
// hashes the code (a per-file manifest and the code hash) so `pulumi preview --diff` shows
// which files changed; the provider saves the draft only when the live draft holds other code,
// and compiles Rust drafts only when their source changed or they are not compiled.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { checkCodeShape, collectCodeSet, CodeLimitError, ENTRY_FILES, verifyCodeSet, type CodeReader } from "../code/index.js";
import { findPython, pythonFacts } from "../code/python-ast.js";
import * as messages from "../messages.js";
import {
  Failures,
  readResult,
  jsonSafe,
  RUNTIMES,
  RUST_TARGETS,
  appIdOf,
  checkAppRef,
  declareCode,
  declaredAppRuntime,
  plainAppIdOf,
  type AppArg,
  checkOneOf,
  isCodeHash,
  isUnknown,
  jsonEqual,
  parseAppId,
  plainDraft,
  runtimeName,
  type PlainDraft,
  type RuntimeName,
  type RustTargetName,
} from "./common.js";
import { reportDiff, type ProviderContext } from "./platform.js";
import { checkImageInputs, describeImage, imageSaveReasons, imageUpload, type ImageArgs, type ImageInputs } from "./draft-image.js";
import { Deadline, ignoredPaths, optionInputs, timeoutFailures, touchesField, type Operation, type Timeouts } from "./resource-options.js";
import { IgniteResource } from "./registration.js";

// ---- types ---------------------------------------------------------------------------------

/** Rust build settings (Rust apps only). */
export interface RustArgs {
  /**
   * What the platform compiles to: `native` (an x86_64 Linux binary, the fastest cold start)
   * or `wasm` (a wasm32-wasip2 component run under Wasmtime). Required for Rust.
   * @default none: required
   * @example "native"
   */
  target: pulumi.Input<RustTargetName>;
  /**
   * Compiler version pin; empty for the platform's current toolchain.
   * @default ""
   * @example "1.83.0"
   */
  toolchain?: pulumi.Input<string>;
}

export interface DraftArgs {
  /**
   * The app the code belongs to: the `App` itself, or its app id "<organization>/<name>".
   * Given the App (or the id of an App this program declares), the Draft knows its runtime:
   * it saves code for that runtime, and a Draft that says otherwise fails the preview.
   * Changing it replaces the Draft.
   * @default none: required
   * @example app
   */
  app: AppArg;
  /**
   * The code: a single file (saved as the runtime's entry file, e.g. handler.py) or a
   * directory (saved as an archive, with requirements.txt / Cargo.toml inside). Relative to
   * the Pulumi project directory.
   * @default none: required, unless `image` is set
   * @example "./app"
   */
  code?: pulumi.Input<string>;
  /**
   * A container image instead of `code`: a reference the platform pulls (`{ ref }`), or a
   * build context and its Dockerfile (`{ context, dockerfile }`), whose files are hashed like
   * code so the preview names the changed ones. Any App can run an image, whatever its runtime.
   * @default undefined (the Draft holds `code`)
   * @example { context: "./greet", dockerfile: "Dockerfile" }
   */
  image?: pulumi.Input<ImageArgs>;
  /**
   * Globs (relative to `code`) selecting which files of a directory to upload.
   * @default every file, except what `exclude` and `.igniteignore` leave out
   * @example ["**\/*.py", "requirements.txt"]
   */
  include?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Globs (relative to `code`) left out of the upload, on top of `.igniteignore`.
   * @default []
   * @example ["tests/**"]
   */
  exclude?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The runtime the code is saved for; must match the App's runtime, so it is needed only when
   * `app` is the id of an app this program does not declare.
   * @default "rust" when `rust` is set, else the App's runtime when the program knows it, else "python"
   * @example "deno"
   */
  runtime?: pulumi.Input<RuntimeName>;
  /**
   * Rust build settings; setting them makes the Draft a Rust draft, compiled after each save.
   * @default undefined (not Rust)
   * @example { target: "native" }
   */
  rust?: pulumi.Input<RustArgs>;
}

/** The checked inputs the provider receives. `manifest` and `codeHash` are computed in the program. */
export interface DraftInputs {
  app: string;
  /** The code path, relative to the project directory, with "/" separators. */
  code: string;
  include: string[];
  exclude: string[];
  runtime: RuntimeName;
  rust?: { target: RustTargetName; toolchain: string };
  /** "file" (a single file), "directory" (an archive) or "image". */
  sourceKind: string;
  /** The image source, instead of code (draft-image.ts). */
  image?: ImageInputs;
  /** Relative path → "sha256:<hex>" of each uploaded file. */
  manifest: Record<string, string>;
  /** "sha256:<hex>" of the exact bytes uploaded; equals the platform's Draft.code_hash. */
  codeHash: string;
  /** Set by the program when the code could not be read or is over a limit; check turns it into a failure on `code`. */
  codeProblem?: string;
  /** Set by the program when the code cannot work on its runtime (no handler.py, no Cargo.toml, …); a failure on `code`. */
  codeFinding?: string;
  /** The runtime of the App, when the program declares it (or was given it as `app`). */
  appRuntime?: string;
  __timeouts?: Timeouts;
  __ignoreChanges?: string[];
}

export interface DraftOutputs extends DraftInputs {
  /** "not-required", "not-compiled", "compiling", "succeeded" or "failed". */
  compileState: string;
  /** Files in the live draft, sorted. */
  files: string[];
  sizeBytes: number;
}

// ---- defaults ------------------------------------------------------------------------------

/** The runtime a Draft saves for: the arg, else rust when Rust settings are given, else the App's, else python. */
export function draftRuntime(runtime: unknown, rust: unknown, appRuntime?: unknown): unknown {
  return runtime ?? (rust === undefined || rust === null ? (appRuntime ?? "python") : "rust");
}

/**
 * What the program computes about the code, without the platform: the per-file manifest and
 * the code hash, or why the code cannot be used (missing, unreadable, over the platform's
 * limits). `code` may be any path — relative to the project, absolute, inside the project or
 * not, or a symlink to a directory elsewhere (a monorepo's `../services/greet`): the program
 * names it, and the manifest shows what is uploaded. Inside a code directory, a symlink may
 * only point within it (collectCodeSet).
 */
export async function describeCode(args: {
  code: string;
  include?: string[];
  exclude?: string[];
  cwd?: string;
}): Promise<Pick<DraftInputs, "code" | "manifest" | "codeHash" | "sourceKind" | "codeProblem">> {
  const cwd = args.cwd ?? process.cwd();
  if (typeof args.code !== "string" || args.code.trim() === "") {
    return { code: "", manifest: {}, codeHash: "", sourceKind: "", codeProblem: messages.code.empty() };
  }
  const abs = path.resolve(cwd, args.code);
  // Stored relative to the project, so the state reads the same on every machine.
  const rel = path.relative(cwd, abs).split(path.sep).join("/") || ".";
  try {
    const set = await collectCodeSet({ path: abs, include: args.include, exclude: args.exclude });
    return { code: rel, manifest: set.manifest, codeHash: set.codeHash, sourceKind: set.kind };
  } catch (err) {
    const codeProblem = err instanceof CodeLimitError ? messages.code.overLimit(args.code, err.finding) : messages.code.unusable(args.code, abs, (err as Error).message);
    return { code: rel, manifest: {}, codeHash: "", sourceKind: "", codeProblem };
  }
}

/** The draft's files as the platform will see them: a single file under its runtime's entry name. */
export function codeReader(root: string, sourceKind: string, manifest: Record<string, string>, runtime: RuntimeName): CodeReader {
  // Synchronous: the checks read a few source files per draft, and in a Pulumi program a
  // promise-based read costs ~0.5 ms of CPU each (FileHandle, thread-pool hand-off, promise
  // hooks) against ~0.01 ms for readFileSync: 100 ms of a 200-app preview (issue 11).
  const read = async (file: string): Promise<string | undefined> => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  if (sourceKind === "file") {
    const entry = ENTRY_FILES[runtime];
    return { paths: [entry], read: async (p) => (p === entry ? read(root) : undefined) };
  }
  const paths = Object.keys(manifest);
  return { paths, read: async (p) => (p in manifest ? read(path.join(root, ...p.split("/"))) : undefined) };
}

let pythonNoted = false;

/**
 * The runtime's shape check on described code (checks.ts), in the program: undefined when the
 * code can work, else the message for `code`. Python source is parsed with the machine's
 * python3 when there is one (syntax errors included); without it a conservative text check runs
 * and an info line says so once.
 */
export async function checkDescribedCode(
  given: string,
  described: Pick<DraftInputs, "code" | "manifest" | "sourceKind" | "codeProblem">,
  runtime: unknown,
  cwd = process.cwd(),
): Promise<string | undefined> {
  if (described.codeProblem || !described.sourceKind || typeof runtime !== "string" || !(RUNTIMES as readonly string[]).includes(runtime)) return undefined;
  const reader = codeReader(path.resolve(cwd, described.code), described.sourceKind, described.manifest, runtime as RuntimeName);
  if (runtime === "python" && !pythonNoted && (await findPython()) === undefined) {
    pythonNoted = true;
    pulumi.log.info(messages.code.noPython());
  }
  const finding = await checkCodeShape(runtime, reader, (source) => pythonFacts(source));
  return finding && messages.code.finding(given, runtime, finding);
}

// ---- check ---------------------------------------------------------------------------------

export function checkDraft(news: Record<string, unknown>): pulumi.dynamic.CheckResult<DraftInputs> {
  const f = new Failures();
  checkAppRef(f, news.app);
  const image = news.image !== undefined && news.image !== null;
  if (image) checkImageInputs(f, news);
  if (typeof news.codeProblem === "string" && !isUnknown(news.codeProblem)) f.add(image ? "image" : "code", news.codeProblem);
  else if (image) {
    if (!isUnknown(news.codeHash) && !isCodeHash(news.codeHash)) f.add("image", messages.image.noHash());
  } else if (news.code === undefined || news.code === "") f.add("code", messages.code.required());
  else if (!isUnknown(news.codeHash) && !isCodeHash(news.codeHash)) f.add("code", messages.code.noHash());
  else if (typeof news.codeFinding === "string" && !isUnknown(news.codeFinding)) f.add("code", news.codeFinding);
  const rust = news.rust as Record<string, unknown> | undefined | null;
  const appRuntime = typeof news.appRuntime === "string" ? news.appRuntime : undefined;
  const runtime = draftRuntime(news.runtime, rust, appRuntime);
  checkOneOf(f, "runtime", RUNTIMES, runtime);
  // The program knows the App's runtime: a Draft that saves other code cannot work.
  // (An image runs its own server: an app of any runtime can run one.)
  if (!image && appRuntime !== undefined && !isUnknown(appRuntime) && !isUnknown(runtime) && runtime !== appRuntime && typeof news.app === "string") {
    const because = news.runtime !== undefined && news.runtime !== null ? "runtime" : "rust";
    f.add(because, messages.draft.runtimeMismatch(news.app, appRuntime, String(runtime), because));
  }
  let checkedRust: DraftInputs["rust"];
  if (rust !== undefined && rust !== null && !isUnknown(rust)) {
    if (runtime !== "rust" && !isUnknown(runtime)) f.add("rust", messages.draft.rustWithoutRustRuntime(String(runtime)));
    const target = rust.target;
    if (target === undefined || target === null || target === "") f.add("rust.target", messages.draft.rustTargetRequired());
    else if (!isUnknown(target) && !RUST_TARGETS.includes(target as RustTargetName)) f.add("rust.target", messages.draft.rustTargetInvalid(target));
    const toolchain = rust.toolchain ?? "";
    if (!isUnknown(toolchain) && typeof toolchain !== "string") f.add("rust.toolchain", messages.draft.rustToolchainInvalid());
    checkedRust = { target: target as RustTargetName, toolchain: toolchain as string };
  } else if (runtime === "rust" && !image) {
    f.add("rust.target", messages.draft.rustNeedsTarget());
  }
  const inputs: DraftInputs = {
    app: news.app as string,
    code: news.code as string,
    include: (news.include ?? []) as string[],
    exclude: (news.exclude ?? []) as string[],
    runtime: runtime as RuntimeName,
    ...(checkedRust ? { rust: checkedRust } : {}),
    sourceKind: news.sourceKind as string,
    manifest: (news.manifest ?? {}) as Record<string, string>,
    codeHash: news.codeHash as string,
    ...(appRuntime !== undefined ? { appRuntime } : {}),
    ...(image ? { image: news.image as ImageInputs } : {}),
    ...(news.__timeouts !== undefined ? { __timeouts: news.__timeouts as Timeouts } : {}),
    ...(news.__ignoreChanges !== undefined ? { __ignoreChanges: news.__ignoreChanges as string[] } : {}),
  };
  for (const failure of timeoutFailures(news.__timeouts)) f.add(failure.property, failure.reason);
  return { inputs: jsonSafe(inputs), failures: f.list };
}

// ---- the provider ----------------------------------------------------------------------------

/** Whether the live draft must be saved again, and why (empty when it holds this code). */
export function saveReasons(news: DraftInputs, live: PlainDraft): string[] {
  const reasons: string[] = [];
  if (news.image) {
    if (live.codeHash !== news.codeHash) return [messages.draft.saveReason.otherCode(live.codeHash)];
    return imageSaveReasons(news.image, live);
  }
  if (live.codeHash !== news.codeHash) reasons.push(messages.draft.saveReason.otherCode(live.codeHash));
  if (live.runtime.runtime !== news.runtime) reasons.push(messages.draft.saveReason.otherRuntime(live.runtime.runtime));
  if (news.rust && (live.runtime.rustTarget !== news.rust.target || (live.runtime.toolchain ?? "") !== news.rust.toolchain)) {
    reasons.push(messages.draft.saveReason.otherRust(live.runtime.rustTarget, live.runtime.toolchain ?? ""));
  }
  return reasons;
}

/** Whether a Rust draft holding this code still needs a compile. */
export function needsCompile(news: DraftInputs, live: PlainDraft): boolean {
  return !news.image && news.runtime === "rust" && (live.compileState !== "succeeded" || live.compiledCodeHash !== news.codeHash);
}

function outputs(i: DraftInputs, live: PlainDraft): DraftOutputs {
  const { codeProblem: _p, codeFinding: _f, ...kept } = i;
  return { ...kept, compileState: live.compileState, files: live.files, sizeBytes: live.sizeBytes };
}

/** The state as the live draft has it (`read`): its code hash, runtime and Rust settings. */
export function liveOutputs(old: DraftOutputs, live: PlainDraft): DraftOutputs {
  const runtime = live.runtime.runtime;
  const known = (RUNTIMES as readonly string[]).includes(runtime);
  return jsonSafe({
    ...outputs(old, live),
    codeHash: live.codeHash,
    runtime: known ? (runtime as RuntimeName) : old.runtime,
    ...(runtime === "rust" ? { rust: { target: live.runtime.rustTarget ?? old.rust?.target ?? "native", toolchain: live.runtime.toolchain ?? "" } } : {}),
    ...(known && runtime !== "rust" ? { rust: undefined } : {}),
  });
}

/**
 * The inputs that describe the live draft (what `read` returns, so a refreshed state shows a
 * draft saved elsewhere as `codeHash` old → new). The manifest stays the program's: the
 * platform keeps no per-file hashes.
 */
export function inputsOf(outs: DraftOutputs): DraftInputs {
  const { compileState: _c, files: _f, sizeBytes: _s, ...inputs } = outs;
  return jsonSafe(inputs);
}

/** @internal */
export function draftProvider(ctx: ProviderContext): pulumi.dynamic.ResourceProvider<DraftInputs, DraftOutputs> {
  /** Re-reads the code and insists it is what the preview planned; returns the bytes to upload. */
  async function planned(i: DraftInputs): Promise<{ kind: "file" | "directory"; bytes: Buffer }> {
    try {
      // keepBytes: the archive packed to hash the set is the one uploaded, not packed again.
      const set = await collectCodeSet({ path: path.resolve(process.cwd(), i.code), include: i.include, exclude: i.exclude, keepBytes: true });
      return { kind: set.kind, bytes: await verifyCodeSet(set, i.codeHash, { plannedManifest: i.manifest }) };
    } catch (err) {
      throw new Error(messages.draft.upFailed(i.code, i.app, (err as Error).message), { cause: err });
    }
  }

  async function sync(i: DraftInputs, operation: Operation): Promise<DraftOutputs> {
    const deadline = new Deadline(operation, i.__timeouts);
    try {
      return await syncWithin(i, deadline);
    } catch (err) {
      if (deadline.limited && deadline.expired()) throw new Error(messages.options.timedOut(operation, deadline.limitSecs!, i.app, (err as Error).message), { cause: err });
      throw err;
    }
  }

  async function syncWithin(i: DraftInputs, deadline: Deadline): Promise<DraftOutputs> {
    const ref = parseAppId(i.app)!;
    const set = i.image ? undefined : await planned(i);
    const image = i.image ? await imageUpload(i.image, i).catch((err: Error) => {
      throw new Error(messages.image.uploadFailed(i.app, err.message), { cause: err });
    }) : undefined;
    const platform = ctx.platform(deadline);
    const app = await platform.getApp(ref.org, ref.name);
    if (!app) throw new Error(messages.appRef.missing(i.app));
    const appRuntime = runtimeName(app.runtime);
    // An image runs its own server: an app of any runtime can run one.
    if (!image && appRuntime !== i.runtime) throw new Error(messages.draft.runtimeMismatchAtUp(i.app, appRuntime, i.runtime));
    const found = await platform.getDraft(ref.org, ref.name);
    let live = found ? plainDraft(found) : undefined;
    const reasons = live ? saveReasons(i, live) : ["it does not exist"];
    if (reasons.length > 0) {
      const saved = plainDraft(
        await platform.saveDraft({
          organizationName: ref.org,
          appName: ref.name,
          runtime: i.runtime,
          rust: i.rust,
          ...(image ? { image } : set!.kind === "file" ? { sourceCode: set!.bytes } : { archive: set!.bytes }),
        }),
      );
      if (saved.codeHash !== i.codeHash) {
        throw new Error(messages.draft.altered(i.app, saved.codeHash, i.codeHash));
      }
      live = saved;
    }
    if (needsCompile(i, live!)) {
      ctx.log(messages.draft.compiling(i.app, i.rust?.target));
      live = plainDraft(await platform.compileDraft(ref.org, ref.name, (line) => ctx.log(messages.draft.compileLog(i.app, line))));
    }
    return outputs(i, live!);
  }

  return {
    async check(_olds, news) {
      const result = checkDraft(news as unknown as Record<string, unknown>);
      const i = result.inputs as DraftInputs;
      const ref = isUnknown(i.app) ? undefined : parseAppId(i.app);
      const problem = await ctx.preflight(ref?.org, `the organization of \`app\` "${i.app}"`);
      if (problem) return { inputs: result.inputs, failures: [...(result.failures ?? []), { property: "", reason: problem }] };
      // An app this program does not declare: compare with the live one, if it exists (one
      // that does not exist yet cannot be checked, and is refused by create).
      if (ref && i.appRuntime === undefined && !isUnknown(i.runtime) && !(result.failures ?? []).some((f) => ["runtime", "rust", "app"].includes(f.property))) {
        const live = await ctx.platform().getApp(ref.org, ref.name);
        const liveRuntime = live ? runtimeName(live.runtime) : undefined;
        if (live && liveRuntime !== i.runtime) {
          const property = news.runtime !== undefined ? "runtime" : news.rust !== undefined ? "rust" : "runtime";
          return { inputs: result.inputs, failures: [...(result.failures ?? []), { property, reason: messages.draft.liveRuntimeMismatch(i.app, liveRuntime, i.runtime) }] };
        }
      }
      return result;
    },

    async create(i) {
      const outs = await sync(i, "create");
      return { id: `${i.app}/draft`, outs };
    },

    async read(id, props) {
      const old = props as DraftOutputs;
      const ref = parseAppId(old.app);
      const found = ref && (await ctx.platform().getDraft(ref.org, ref.name));
      if (!found || !found.codeHash) return {};
      const live = plainDraft(found);
      const outs = liveOutputs(old, live);
      return readResult(id, outs, inputsOf(outs));
    },

    async update(_id, _olds, news) {
      return { outs: await sync(news, "update") };
    },

    // The draft slot cannot be removed on its own (it goes with the app): forgetting it is all
    // there is to do.
    async delete() {},

    async diff(_id, olds, news) {
      let live: PlainDraft | undefined;
      const ref = parseAppId(news.app);
      if (ref) {
        const found = await ctx.platform().getDraft(ref.org, ref.name);
        live = found ? plainDraft(found) : undefined;
      }
      return reportDiff(ctx, diffDraft(olds, news, live));
    },
  };
}

// ---- diff ----------------------------------------------------------------------------------

export interface DraftDiff extends pulumi.dynamic.DiffResult {
  notes: string[];
}

/**
 * replace: app; update (save, and compile for Rust): the live draft holds other code, another
 * runtime or Rust target, or an uncompiled Rust build; ignored: code path, include, exclude
 * when the resulting code hash is the same.
 */
export function diffDraft(olds: DraftOutputs, news: DraftInputs, live: PlainDraft | undefined): DraftDiff {
  const notes: string[] = [];
  if (isUnknown(news.app) || olds.app !== news.app) return { changes: true, replaces: ["app"], notes };
  if (isUnknown(news.codeHash) || isUnknown(news.rust) || isUnknown(news.image)) return { changes: true, notes };
  if (live === undefined) {
    notes.push(messages.draft.noteGone(news.app));
    return { changes: true, notes };
  }
  const inputsChanged =
    olds.codeHash !== news.codeHash || !jsonEqual(olds.rust, news.rust) || olds.runtime !== news.runtime || !jsonEqual(olds.image, news.image);
  // ignoreChanges on the code: the engine keeps the old inputs; leave the live draft alone too.
  const ignored = ignoredPaths(news.__ignoreChanges);
  if (!inputsChanged && ["code", "codeHash", "manifest"].some((k) => touchesField(ignored, k))) return { changes: false, notes };
  const reasons = saveReasons(news, live);
  const compile = needsCompile(news, live);
  if (reasons.length > 0 && !inputsChanged) {
    notes.push(messages.draft.noteDrift(news.app, reasons));
  } else if (reasons.length === 0 && compile) {
    notes.push(messages.draft.noteNotCompiled(news.app, live.compileState));
  }
  return { changes: reasons.length > 0 || compile, notes };
}

// ---- the resource ----------------------------------------------------------------------------

/**
 * What a Draft saves, when that is known as it is made: "image" for an image; else the
 * runtime its args say, or the App's runtime when the App (or its id) was declared earlier in
 * the program with a plain organization, name and runtime; undefined when only an Output will
 * tell.
 */
export function runtimeKnownAtConstruction(args: Pick<DraftArgs, "app" | "image" | "runtime" | "rust">): RuntimeName | "image" | undefined {
  if (args.image !== undefined && args.image !== null) return "image";
  const appRuntime = declaredAppRuntime(plainAppIdOf(args.app));
  // draftRuntime's own default (python) is a guess here: the App's runtime may come later.
  if (args.runtime === undefined && (args.rust === undefined || args.rust === null) && appRuntime === undefined) return undefined;
  const runtime = draftRuntime(args.runtime, args.rust, appRuntime);
  return typeof runtime === "string" && (RUNTIMES as readonly string[]).includes(runtime) ? (runtime as RuntimeName) : undefined;
}

/** What the program computed about the Draft's code or image. */
type DescribedSource = Pick<DraftInputs, "code" | "manifest" | "codeHash" | "sourceKind" | "codeProblem"> & { image: unknown };

/**
 * The code in an app's draft slot.
 *
 * ```ts
 * const draft = new ignite.Draft("greet", { app, code: "./app" });
 * ```
 *
 * The code is hashed and checked in the program: `pulumi preview --diff` lists the files whose
 * content changed (`manifest`), code that cannot work on the App's runtime (no handler.py, no
 * `#[ignite::main]`, over the platform's limits) fails the preview, and `codeHash` feeds a
 * `PublishedVersion`. Removing a Draft leaves the
 * draft slot as it is (it is deleted with its App).
 */
export class Draft extends IgniteResource {
  declare readonly app: pulumi.Output<string>;
  /** The code path, relative to the project directory, with "/" separators. */
  declare readonly code: pulumi.Output<string>;
  declare readonly include: pulumi.Output<string[]>;
  declare readonly exclude: pulumi.Output<string[]>;
  /** Set for Rust drafts only. */
  declare readonly rust: pulumi.Output<{ target: RustTargetName; toolchain: string } | undefined>;
  /** "sha256:<hex>" of the uploaded bytes; pass it to `PublishedVersion.codeHash`. */
  declare readonly codeHash: pulumi.Output<string>;
  /** Relative path → content hash of every uploaded file. */
  declare readonly manifest: pulumi.Output<Record<string, string>>;
  declare readonly runtime: pulumi.Output<RuntimeName>;
  /** The image source, when the Draft holds an image. */
  declare readonly image: pulumi.Output<ImageInputs | undefined>;
  declare readonly compileState: pulumi.Output<string>;
  declare readonly files: pulumi.Output<string[]>;
  declare readonly sizeBytes: pulumi.Output<number>;

  constructor(name: string, args: DraftArgs, opts?: pulumi.CustomResourceOptions) {
    const app = appIdOf(args.app);
    // The runtime of the App this program declares with that id (the App given, or the one
    // whose appId was passed); undefined for an app declared elsewhere. Not the App's
    // `runtime` output: during a preview that creates the App it holds only what the program
    // set, not the default.
    const appRuntime = pulumi.output(app).apply((id) => declaredAppRuntime(id));
    // The Python check waits for the App's id (its runtime); the interpreter it asks starts now,
    // so its start (~250 ms through a pyenv shim) is not on that path. Not for a Draft known to
    // hold no Python (see runtimeKnownAtConstruction); one start per program either way.
    const known = runtimeKnownAtConstruction(args);
    if (known === undefined || known === "python") void findPython();
    const described = pulumi
      .all([args.code, args.include, args.exclude, args.image])
      .apply(async ([code, include, exclude, image]): Promise<DescribedSource> => {
        const d: DescribedSource =
          image !== undefined && image !== null
            ? { ...(await describeImage({ image, include, exclude })), code: code ?? "" }
            : { ...(await describeCode({ code: code as string, include, exclude })), image: undefined };
        // So a PublishedVersion given this codeHash knows a Draft of this program computed it,
        // and can name files (see PublishedVersion); for an image too.
        if (d.codeHash) declareCode(d.codeHash, { code: d.code, manifest: d.manifest });
        return d;
      });
    // The runtime's shape check needs the runtime, which may be known later than the code; an
    // image has no code of the runtime to check.
    const codeFinding = pulumi
      .all([args.code, described, args.runtime, args.rust, appRuntime, args.image])
      .apply(([code, d, runtime, rust, ar, image]) =>
        image !== undefined && image !== null ? undefined : checkDescribedCode(code as string, d, draftRuntime(runtime, rust, ar)),
      );
    super(
      "draft",
      "Draft",
      name,
      {
        app,
        appRuntime,
        runtime: args.runtime,
        rust: args.rust,
        include: args.include,
        exclude: args.exclude,
        code: described.code,
        // Undefined for certain unless the program gave an image: registered plain, not as an Output.
        image: args.image === undefined ? undefined : described.image,
        sourceKind: described.sourceKind,
        manifest: described.manifest,
        codeHash: described.codeHash,
        codeProblem: described.codeProblem,
        codeFinding,
        ...optionInputs(opts),
        compileState: undefined,
        files: undefined,
        sizeBytes: undefined,
      },
      opts,
    );
  }
}
