// The `Draft` resource: the code in an app's mutable draft slot (version 0). The program
// hashes the code (a per-file manifest and the code hash) so `pulumi preview --diff` shows
// which files changed; the provider saves the draft only when the live draft holds other code,
// and compiles Rust drafts only when their source changed or they are not compiled.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { collectCodeSet, verifyCodeSet } from "../code/index.js";
import {
  Failures,
  jsonSafe,
  RUNTIMES,
  RUST_TARGETS,
  checkAppRef,
  checkOneOf,
  isCodeHash,
  isUnknown,
  jsonEqual,
  parseAppId,
  plainDraft,
  runtimeName,
  type PlainDraft,
  type ProviderContext,
  type RuntimeName,
  type RustTargetName,
} from "./common.js";
import { checkImageInputs, describeImage, imageSaveReasons, imageUpload, type ImageArgs, type ImageInputs } from "./draft-image.js";
import { providerShim } from "./shim.js";

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
   * The app the code belongs to, "<organization>/<name>". Changing it replaces the Draft.
   * @default none: required
   * @example app.appId
   */
  app: pulumi.Input<string>;
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
   * The runtime the code is saved for; must match the App's runtime.
   * @default "rust" when `rust` is set, else "python"
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
  /** Set by the program when the code could not be read; check turns it into a failure. */
  codeProblem?: string;
}

export interface DraftOutputs extends DraftInputs {
  /** "not-required", "not-compiled", "compiling", "succeeded" or "failed". */
  compileState: string;
  /** Files in the live draft, sorted. */
  files: string[];
  sizeBytes: number;
}

// ---- defaults ------------------------------------------------------------------------------

/** The runtime a Draft saves for: the arg, else rust when Rust settings are given, else python. */
export function draftRuntime(runtime: unknown, rust: unknown): unknown {
  return runtime ?? (rust === undefined || rust === null ? "python" : "rust");
}

/** What the program computes about the code, without the platform. */
export async function describeCode(args: {
  code: string;
  include?: string[];
  exclude?: string[];
  cwd?: string;
}): Promise<Pick<DraftInputs, "code" | "manifest" | "codeHash" | "sourceKind" | "codeProblem">> {
  const cwd = args.cwd ?? process.cwd();
  if (typeof args.code !== "string" || args.code.trim() === "") {
    return { code: "", manifest: {}, codeHash: "", sourceKind: "", codeProblem: "`code` is empty; set it to the file or directory holding the app's code, e.g. \"./app\"" };
  }
  const abs = path.resolve(cwd, args.code);
  const rel = path.relative(cwd, abs).split(path.sep).join("/") || ".";
  try {
    const set = await collectCodeSet({ path: abs, include: args.include, exclude: args.exclude });
    return { code: rel, manifest: set.manifest, codeHash: set.codeHash, sourceKind: set.kind };
  } catch (err) {
    return {
      code: rel,
      manifest: {},
      codeHash: "",
      sourceKind: "",
      codeProblem: `\`code\` "${args.code}" (${abs}) cannot be used: ${(err as Error).message}`,
    };
  }
}

// ---- check ---------------------------------------------------------------------------------

export function checkDraft(news: Record<string, unknown>): pulumi.dynamic.CheckResult<DraftInputs> {
  const f = new Failures();
  checkAppRef(f, news.app);
  const image = news.image !== undefined && news.image !== null;
  if (image) checkImageInputs(f, news);
  if (typeof news.codeProblem === "string") f.add(image ? "image" : "code", news.codeProblem);
  else if (image) {
    if (!isUnknown(news.codeHash) && !isCodeHash(news.codeHash)) f.add("image", "no code hash was computed for `image`; create Drafts with `new ignite.Draft(...)`, which hashes it in the program");
  } else if (news.code === undefined || news.code === "") f.add("code", "`code` is required: the file or directory holding the app's code");
  else if (!isUnknown(news.codeHash) && !isCodeHash(news.codeHash)) {
    f.add("code", "no code hash was computed for `code`; create Drafts with `new ignite.Draft(...)`, which hashes the code in the program");
  }
  const rust = news.rust as Record<string, unknown> | undefined | null;
  const runtime = draftRuntime(news.runtime, rust);
  checkOneOf(f, "runtime", RUNTIMES, runtime);
  let checkedRust: DraftInputs["rust"];
  if (rust !== undefined && rust !== null && !isUnknown(rust)) {
    if (runtime !== "rust" && !isUnknown(runtime)) f.add("rust", `\`rust\` is set but \`runtime\` is "${String(runtime)}"; remove \`rust\` or set \`runtime: "rust"\``);
    const target = rust.target;
    if (target === undefined || target === null || target === "") {
      f.add("rust.target", "`rust.target` is required for Rust drafts: \"native\" (a Linux binary) or \"wasm\" (a wasm32-wasip2 component)");
    } else if (!isUnknown(target) && !RUST_TARGETS.includes(target as RustTargetName)) {
      f.add("rust.target", `\`rust.target\` must be "native" or "wasm"; got ${JSON.stringify(target)}`);
    }
    const toolchain = rust.toolchain ?? "";
    if (!isUnknown(toolchain) && typeof toolchain !== "string") f.add("rust.toolchain", "`rust.toolchain` must be a version string like \"1.83.0\"");
    checkedRust = { target: target as RustTargetName, toolchain: toolchain as string };
  } else if (runtime === "rust" && !image) {
    f.add("rust.target", "a Rust draft needs `rust: { target: \"native\" }` (or \"wasm\"): the platform requires a target for Rust");
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
    ...(image ? { image: news.image as ImageInputs } : {}),
  };
  return { inputs: jsonSafe(inputs), failures: f.list };
}

// ---- the provider ----------------------------------------------------------------------------

/** Whether the live draft must be saved again, and why (empty when it holds this code). */
export function saveReasons(news: DraftInputs, live: PlainDraft): string[] {
  const reasons: string[] = [];
  if (news.image) {
    if (live.codeHash !== news.codeHash) return [live.codeHash ? `it holds other code (${live.codeHash})` : "it is empty"];
    return imageSaveReasons(news.image, live);
  }
  if (live.codeHash !== news.codeHash) reasons.push(live.codeHash ? `it holds other code (${live.codeHash})` : "it is empty");
  if (live.runtime.runtime !== news.runtime) reasons.push(`it was saved for runtime "${live.runtime.runtime}"`);
  if (news.rust && (live.runtime.rustTarget !== news.rust.target || (live.runtime.toolchain ?? "") !== news.rust.toolchain)) {
    reasons.push(`it was saved with Rust target "${live.runtime.rustTarget}" toolchain "${live.runtime.toolchain ?? ""}"`);
  }
  return reasons;
}

/** Whether a Rust draft holding this code still needs a compile. */
export function needsCompile(news: DraftInputs, live: PlainDraft): boolean {
  return !news.image && news.runtime === "rust" && (live.compileState !== "succeeded" || live.compiledCodeHash !== news.codeHash);
}

function outputs(i: DraftInputs, live: PlainDraft): DraftOutputs {
  return { ...i, compileState: live.compileState, files: live.files, sizeBytes: live.sizeBytes };
}

export function draftProvider(ctx: ProviderContext): pulumi.dynamic.ResourceProvider<DraftInputs, DraftOutputs> {
  /** Re-reads the code and insists it is what the preview planned; returns the bytes to upload. */
  async function planned(i: DraftInputs): Promise<{ kind: "file" | "directory"; bytes: Buffer }> {
    try {
      // keepBytes: the archive packed to hash the set is the one uploaded, not packed again.
      const set = await collectCodeSet({ path: path.resolve(process.cwd(), i.code), include: i.include, exclude: i.exclude, keepBytes: true });
      return { kind: set.kind, bytes: await verifyCodeSet(set, i.codeHash, { plannedManifest: i.manifest }) };
    } catch (err) {
      throw new Error(`ignite: Draft \`code\` "${i.code}" of ${i.app}: ${(err as Error).message}. Nothing was uploaded.`, { cause: err });
    }
  }

  async function sync(i: DraftInputs): Promise<DraftOutputs> {
    const ref = parseAppId(i.app)!;
    const set = i.image ? undefined : await planned(i);
    const image = i.image ? await imageUpload(i.image, i).catch((err: Error) => {
      throw new Error(`ignite: Draft \`image\` of ${i.app}: ${err.message}. Nothing was uploaded.`, { cause: err });
    }) : undefined;
    const platform = ctx.platform();
    const app = await platform.getApp(ref.org, ref.name);
    if (!app) throw new Error(`ignite: app ${i.app} does not exist; create it with an ignite.App and pass \`app: app.appId\``);
    const appRuntime = runtimeName(app.runtime);
    // An image runs its own server: any app can run one.
    if (!image && appRuntime !== i.runtime) {
      const fix = appRuntime === "rust" ? `set \`rust: { target: "native" }\` on the Draft` : `set \`runtime: "${appRuntime}"\` on the Draft`;
      throw new Error(`ignite: app ${i.app} has runtime "${appRuntime}" but the Draft saves "${i.runtime}" code; ${fix}`);
    }
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
        throw new Error(`ignite: the platform stored the draft of ${i.app} as ${saved.codeHash}, but ${i.codeHash} was uploaded; the upload was altered on the way`);
      }
      live = saved;
    }
    if (needsCompile(i, live!)) {
      ctx.log(`ignite: compiling the draft of ${i.app} (Rust, ${i.rust?.target})…`);
      live = plainDraft(await platform.compileDraft(ref.org, ref.name, (line) => ctx.log(`[compile ${i.app}] ${line}`)));
    }
    return outputs(i, live!);
  }

  return {
    async check(_olds, news) {
      return checkDraft(news as unknown as Record<string, unknown>);
    },

    async create(i) {
      const outs = await sync(i);
      return { id: `${i.app}/draft`, outs };
    },

    async read(id, props) {
      const old = props as DraftOutputs;
      const ref = parseAppId(old.app);
      const found = ref && (await ctx.platform().getDraft(ref.org, ref.name));
      if (!found) return {};
      const live = plainDraft(found);
      return { id, props: { ...outputs(old, live), codeHash: live.codeHash } };
    },

    async update(_id, _olds, news) {
      return { outs: await sync(news) };
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
      const result = diffDraft(olds, news, live);
      for (const line of result.notes) ctx.log(line);
      return result;
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
    notes.push(`ignite: app ${news.app} has no draft on the platform (the app is gone); the draft will be saved again`);
    return { changes: true, notes };
  }
  const reasons = saveReasons(news, live);
  const compile = needsCompile(news, live);
  const inputsChanged =
    olds.codeHash !== news.codeHash || !jsonEqual(olds.rust, news.rust) || olds.runtime !== news.runtime || !jsonEqual(olds.image, news.image);
  if (reasons.length > 0 && !inputsChanged) {
    notes.push(`ignite: the draft of ${news.app} was changed outside Pulumi (${reasons.join("; ")}); it will be saved again`);
  } else if (reasons.length === 0 && compile) {
    notes.push(`ignite: the draft of ${news.app} is not compiled (${live.compileState}); it will be compiled`);
  }
  return { changes: reasons.length > 0 || compile, notes };
}

// ---- the resource ----------------------------------------------------------------------------

/** What the program computed about the Draft's code or image. */
type DescribedSource = Pick<DraftInputs, "code" | "manifest" | "codeHash" | "sourceKind" | "codeProblem"> & { image: unknown };

/**
 * The code in an app's draft slot.
 *
 * ```ts
 * const draft = new ignite.Draft("greet", { app: app.appId, code: "./app" });
 * ```
 *
 * The code is hashed in the program: `pulumi preview --diff` lists the files whose content
 * changed (`manifest`), and `codeHash` feeds a `PublishedVersion`. Removing a Draft leaves the
 * draft slot as it is (it is deleted with its App).
 */
export class Draft extends pulumi.dynamic.Resource {
  declare readonly app: pulumi.Output<string>;
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
    const described = pulumi
      .all([args.code, args.include, args.exclude, args.image])
      .apply(async ([code, include, exclude, image]): Promise<DescribedSource> =>
        image !== undefined && image !== null
          ? { ...(await describeImage({ image, include, exclude })), code: code ?? "" }
          : { ...(await describeCode({ code: code as string, include, exclude })), image: undefined },
      );
    super(
      providerShim("draft"),
      name,
      {
        app: args.app,
        runtime: args.runtime,
        rust: args.rust,
        include: args.include,
        exclude: args.exclude,
        code: described.code,
        image: described.image,
        sourceKind: described.sourceKind,
        manifest: described.manifest,
        codeHash: described.codeHash,
        codeProblem: described.codeProblem,
        compileState: undefined,
        files: undefined,
        sizeBytes: undefined,
      },
      opts,
      "ignite",
      "Draft",
    );
  }
}
