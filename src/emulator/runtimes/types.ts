/**
 * The runtime plug-in interface of the local Ignite. A runtime says how a draft is compiled
 * (when the platform has an explicit compile step), how a published version is prepared for
 * its pods (a venv, a binary, a component) and which worker the pod agent starts for it. The
 * pod itself — HTTP, connection handoff, readiness, lifeline — is the agent's, the same for
 * every runtime (docs/pod-protocol.md); the pool, scaling, the invocation surfaces and
 * executions never know which runtime answers.
 *
 * A new runtime is a folder under src/emulator/runtimes/ exporting a RuntimePlugin, and one
 * line in src/emulator/runtimes/index.ts.
 */
import type { CompileRuntime, ImageSource, Runtime as RuntimeEnum } from "../../gen/dodil/ignite/v1/compute_pb.js";
import type { ResolvedRuntimeOptions } from "../runtime/options.js";

/** The worker the pod agent starts for one pod (docs/pod-protocol.md, "The worker"). */
export interface WorkerCommand {
  /** The program and its arguments. */
  argv: string[];
  /** Environment for the worker on top of the app's `env` (never shown to the user). */
  env?: Record<string, string>;
  /** Variables of the local Ignite's own environment the worker must not inherit. */
  unsetEnv?: readonly string[];
  /** How the pod runs, for the log line and GET /_ignite/pods: "pool", "dedicated", "native", "wasm". */
  mode: string;
  /** What a framing error (bytes on stdout that are no frame) tells the user to do. */
  stdoutHint?: string;
}

/** What a runtime knows about the version a pod will run. */
export interface VersionContext {
  appId: string;
  version: number;
  /** The version's unpacked tree (the pod's working directory). */
  treeDir: string;
  /** The runtime options the draft was saved with (the Rust target, the toolchain). */
  compileRuntime: CompileRuntime | undefined;
  /** The compiled artifact stored with the version, for runtimes with a compile step. */
  artifactPath: string | undefined;
  /** The image source of a version published from an image draft (the image runtime's). */
  image?: ImageSource;
  /** The app's declared ports (an image's container listens on the first). @default [80] */
  ports?: number[];
}

/** Per-runtime services the local Ignite provides. */
export interface RuntimeHost {
  options: ResolvedRuntimeOptions;
  /** A directory this runtime may use freely and that persists with the data dir. */
  dataDir: string;
  /** The emulator's log. */
  log(line: string): void;
}

/** One explicit compile (CompileDraft), run by the compile queue (compiler.ts). */
export interface CompileJob {
  appId: string;
  /** A private copy of the draft's tree, taken when the compile started. */
  treeDir: string;
  /**
   * A directory private to this app's compiles and kept between them (treeDir is inside it),
   * for what a build keeps across compiles (the Rust wrapper crate and its Cargo.lock).
   */
  workDir: string;
  compileRuntime: CompileRuntime | undefined;
  /** Abort means: stop now (the budget ran out, the local Ignite stops, a newer SaveDraft). */
  signal: AbortSignal;
  /** One line of build output, streamed to StreamCompileLogs as it comes. */
  log(line: string): void;
}

export type CompileResult =
  | { ok: true; /** A file holding the artifact; the store takes a copy. */ artifact: string }
  | { ok: false; /** compile_error: what failed, where, and the fix. */ error: string };

/** What the build that is part of PublishDraft produced. */
export type PublishBuildResult =
  | { ok: true; /** A file holding the artifact the version runs, if the runtime has one; the store takes a copy. */ artifact?: string }
  | { ok: false; /** Why the draft cannot be published: what failed, where (file:line), and the fix. */ error: string };

export interface RuntimePlugin {
  /** The CompileRuntime oneof case ("python", "rust", ...). */
  readonly name: string;
  /** The proto enum value of apps of this runtime. */
  readonly runtime: RuntimeEnum;
  /** Where a single-file draft (`source_code`) is stored in the tree. */
  readonly entryFile: string;
  /**
   * The worker for a pod of this version, preparing what it needs first (cached: called for
   * every pod start, so a warm call must be cheap). Runs as part of the cold start, as on
   * the platform. Throws a domain error when the version cannot run here.
   */
  worker(version: VersionContext, host: RuntimeHost, appLog: (chunk: string) => void): Promise<WorkerCommand>;
  /** The explicit compile step (CompileDraft); absent for runtimes that compile as part of publish. */
  compile?(job: CompileJob, host: RuntimeHost): Promise<CompileResult>;
  /**
   * The build that is part of PublishDraft (seed 003: "Other runtimes (Python/Go/Deno) are
   * compiled as part of the draft/publish flow"): a Go binary, a Deno module graph checked and
   * cached. A failure fails PublishDraft with FAILED_PRECONDITION and nothing is published.
   */
  publishBuild?(job: CompileJob, host: RuntimeHost): Promise<PublishBuildResult>;
  /** Warms caches at start (resolving an interpreter, say); failures are logged, not fatal. */
  warmUp?(host: RuntimeHost): Promise<void>;
}
