/**
 * The storage interface of the local Ignite. The control plane's semantics and the data plane
 * (invocation) read and write state only through it, so a memory implementation could replace
 * the filesystem one (fs-store.ts) without touching either.
 *
 * Apps are addressed by app id ("<org>/<name>"); names are validated before they reach the
 * store, so they are safe as path components. The store does no locking: callers serialize
 * read-modify-write sequences per app (see mutex.ts).
 */
import type {
  AppMeta,
  CompileLogLine,
  Draft,
  Execution,
  Version,
} from "../gen/dodil/ignite/v1/compute_pb.js";

/** One regular file of a draft or version tree. `path` is relative, '/'-separated. */
export interface TreeFile {
  path: string;
  data: Uint8Array;
  /** Whether the file was executable in the archive. */
  executable: boolean;
}

/** The draft slot: its metadata plus the compile log of its latest compile. */
export interface StoredDraft {
  draft: Draft;
  compileLog: CompileLogLine[];
}

/** An execution record and who may read it. */
export interface StoredExecution {
  execution: Execution;
  /**
   * The organization of the caller that invoked it. With the app's own org, the only one that
   * may read it (an app of the `public` org is invoked by many orgs; each sees its own).
   */
  invokerOrg: string;
}

export interface Store {
  /** Absolute path of the data directory. */
  readonly dataDir: string;

  /** Organizations that have apps. */
  listOrgs(): Promise<string[]>;
  listApps(org: string): Promise<AppMeta[]>;
  getApp(appId: string): Promise<AppMeta | undefined>;
  putApp(app: AppMeta): Promise<void>;
  /** Removes the app with its draft and every version. False when it did not exist. */
  deleteApp(appId: string): Promise<boolean>;

  getDraft(appId: string): Promise<StoredDraft | undefined>;
  /** Replaces the draft slot: the saved bytes, their unpacked tree and the metadata, as one unit. */
  replaceDraft(appId: string, draft: StoredDraft, savedBytes: Uint8Array, files: TreeFile[]): Promise<void>;
  /** Updates only the draft's metadata (compile state, log). */
  putDraftMeta(appId: string, draft: StoredDraft): Promise<void>;
  /** Absolute path of the draft's unpacked file tree. */
  draftTreeDir(appId: string): string;
  /**
   * Stores a copy of `file` as the draft's compiled artifact (a Rust binary or component),
   * replacing any earlier one. A SaveDraft drops it with the rest of the slot; PublishDraft
   * copies it into the version.
   */
  putDraftArtifact(appId: string, file: string): Promise<void>;

  /** Snapshots the current draft tree into version `version.version` (immutable afterwards). */
  createVersionFromDraft(appId: string, version: Version): Promise<void>;
  getVersion(appId: string, version: number): Promise<Version | undefined>;
  /** Ascending by version number. */
  listVersions(appId: string): Promise<Version[]>;
  /**
   * Absolute path of a version's unpacked file tree: a directory holding handler.py and
   * requirements.txt (Python), Cargo.toml and src/ (Rust), exactly as saved.
   */
  versionTreeDir(appId: string, version: number): string;
  /**
   * Absolute path of the compiled artifact stored with a version (what its pods run), or
   * undefined when it has none (interpreted runtimes).
   */
  versionArtifactPath(appId: string, version: number): Promise<string | undefined>;

  /** Execution records (InvokeAsync). Ids must match /^[A-Za-z0-9_.-]{1,128}$/. */
  putExecution(stored: StoredExecution): Promise<void>;
  getExecution(id: string): Promise<StoredExecution | undefined>;
  /** Every stored execution of one app, in no particular order. */
  listExecutions(appId: string): Promise<Execution[]>;

  /** A directory the data plane may use freely (runtimes, virtualenvs, caches). */
  readonly dataPlaneDir: string;
}
