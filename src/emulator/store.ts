/**
 * The storage interface of the local Ignite. The control plane's semantics and the data plane
 * (invocation) read and write state only through it; the filesystem implementation
 * (fs-store.ts) keeps state across restarts, the memory one (memory-store.ts) for a run, and
 * the same contract test runs against both.
 *
 * Apps are addressed by app id ("<org>/<name>"); names are validated before they reach the
 * store, so they are safe as path components. The store does no locking: callers serialize
 * read-modify-write sequences per app (see mutex.ts).
 */
import { clone } from "@bufbuild/protobuf";
import {
  CompileLogLineSchema,
  DraftSchema,
  type AppMeta,
  type CompileLogLine,
  type Draft,
  type Execution,
  type Version,
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

/** A copy of a stored draft that shares nothing with it: stores never alias what callers hold. */
export function copyDraft(d: StoredDraft): StoredDraft {
  return { draft: clone(DraftSchema, d.draft), compileLog: d.compileLog.map((l) => clone(CompileLogLineSchema, l)) };
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
  /** Organizations that have apps. */
  listOrgs(): Promise<string[]>;
  listApps(org: string): Promise<AppMeta[]>;
  /** The names of the organization's apps, sorted (a page of ListApps reads only its own apps). */
  listAppNames(org: string): Promise<string[]>;
  getApp(appId: string): Promise<AppMeta | undefined>;
  putApp(app: AppMeta): Promise<void>;
  /** Removes the app with its draft and every version. False when it did not exist. */
  deleteApp(appId: string): Promise<boolean>;

  getDraft(appId: string): Promise<StoredDraft | undefined>;
  /** Replaces the draft slot: the saved bytes, their unpacked tree and the metadata, as one unit. */
  replaceDraft(appId: string, draft: StoredDraft, savedBytes: Uint8Array, files: TreeFile[]): Promise<void>;
  /** Updates only the draft's metadata (compile state, log). */
  putDraftMeta(appId: string, draft: StoredDraft): Promise<void>;

  /** Snapshots the current draft (tree and artifact) into version `version.version` (immutable afterwards). */
  createVersionFromDraft(appId: string, version: Version): Promise<void>;
  getVersion(appId: string, version: number): Promise<Version | undefined>;
  /** Ascending by version number. */
  listVersions(appId: string): Promise<Version[]>;

  /** Execution records (InvokeAsync). Ids must match /^[A-Za-z0-9_.-]{1,128}$/. */
  putExecution(stored: StoredExecution): Promise<void>;
  getExecution(id: string): Promise<StoredExecution | undefined>;
  /** Every stored execution of one app, in no particular order. */
  listExecutions(appId: string): Promise<Execution[]>;

  /** The trees and compiled artifacts that programs (pods, builds) read from disk. */
  readonly files: StoreFiles;
}

/**
 * The files of drafts and versions where programs need them: on disk. Pods run in a version's
 * tree and exec its artifact, builds read the draft's tree. The store decides where those are:
 * the file store hands out its own directories, the memory store writes them out once into a
 * scratch directory. Callers only read what they are given.
 */
export interface StoreFiles {
  /** A directory holding the draft's tree exactly as saved. */
  draftTree(appId: string): Promise<string>;
  /** A directory holding a version's tree: handler.py (Python), Cargo.toml and src/ (Rust)… */
  versionTree(appId: string, version: number): Promise<string>;
  /**
   * Stores a copy of `file` as the draft's compiled artifact (a Rust binary or component, a Go
   * binary), replacing any earlier one. A SaveDraft drops it with the rest of the slot;
   * PublishDraft copies it into the version.
   */
  putDraftArtifact(appId: string, file: string): Promise<void>;
  /** The compiled artifact stored with a version (what its pods run), or undefined when it has none. */
  versionArtifact(appId: string, version: number): Promise<string | undefined>;
}
