// The platform, as the providers use it: the calls they make (implemented by the Ignite
// client in provider-impl.ts), what a provider method receives besides its inputs, and the
// tail every provider's diff shares. Its own
// file so common.ts, which health checks and resource options build on, needs neither.
import type { AppMeta, Draft as DraftMessage, ResourceTier, Runtime, ScaleMetric, Version } from "../gen/dodil/ignite/v1/compute_pb.js";
import type { RuntimeName, RustTargetName } from "./common.js";
import type { AppAnswer, AppCall } from "./health-check.js";
import type { ReadKind } from "./read-ahead.js";
import type { Deadline } from "./resource-options.js";

/**
 * The calls the providers make. Implemented by the Ignite client (src/client); kept as an
 * interface so the providers state exactly what they depend on.
 * @internal
 */
export interface Platform {
  /** GetApp; `undefined` when the app does not exist. */
  getApp(org: string, name: string): Promise<AppMeta | undefined>;
  createApp(req: CreateAppInit): Promise<AppMeta>;
  updateAppConfig(req: UpdateAppInit): Promise<AppMeta>;
  /** DeleteApp; resolves when the app is gone (NOT_FOUND included). */
  deleteApp(org: string, name: string): Promise<void>;
  /** GetDraft; `undefined` when the app does not exist. */
  getDraft(org: string, name: string): Promise<DraftMessage | undefined>;
  saveDraft(req: SaveDraftInit): Promise<DraftMessage>;
  /** CompileDraft, then follows the compile to its end; throws with the log tail on failure. */
  compileDraft(org: string, name: string, onLog: (line: string) => void): Promise<DraftMessage>;
  publishDraft(org: string, name: string): Promise<{ publishedVersion: number; app?: AppMeta }>;
  /** ListVersions; `undefined` when the app does not exist. */
  listVersions(org: string, name: string): Promise<{ versions: Version[]; activeVersion: number } | undefined>;
  rollbackVersion(org: string, name: string, version: number): Promise<AppMeta>;
  /**
   * Starts these reads of the app (GetApp, GetDraft) now, for the diffs that will
   * ask for them next (read-ahead.ts): each answer is used as many times as `reads` says,
   * within MAX_AGE_MS, and never after a change this process makes to the app.
   */
  readAhead(org: string, name: string, reads: Partial<Record<ReadKind, number>>): void;
  /**
   * Calls the app the way a client would (health checks): its public URL with the provider's
   * credentials, or the Invoke RPC (`via`, and "auto" when the URL cannot be reached). Throws
   * NoAnswerError when nothing answered.
   */
  callApp(req: AppCall): Promise<AppAnswer>;
}

/** @internal */
export interface ScalingInit {
  reservedCapacity: number;
  maxReplicas: number;
  scaleMetric: ScaleMetric;
  scaleThreshold: number;
  scaledownPeriodSecs: number;
}

/** @internal */
export interface AppConfigInit {
  description: string;
  resourceTier: ResourceTier;
  scaling: ScalingInit;
  env: Record<string, string>;
  ports: number[];
  allowUnauthenticated: boolean;
  healthPath: string;
}

/** @internal */
export interface CreateAppInit extends AppConfigInit {
  organizationName: string;
  name: string;
  runtime: Runtime;
}

/** @internal UpdateAppConfig: `mask` names the proto fields to change. */
export interface UpdateAppInit extends AppConfigInit {
  organizationName: string;
  appName: string;
  mask: string[];
}

/** @internal */
export interface SaveDraftInit {
  organizationName: string;
  appName: string;
  runtime: RuntimeName;
  rust?: { target: RustTargetName; toolchain: string };
  /** Exactly one: a single file's bytes, a directory's tar, or an image source. */
  sourceCode?: Uint8Array;
  archive?: Uint8Array;
  image?: { dockerfilePath: string; contextArchive: Uint8Array } | { imageRef: string };
}

/** @internal What a provider method receives besides its inputs. */
export interface ProviderContext {
  /**
   * The platform's calls. Without a deadline (checks, diffs, reads), reads take what was read
   * ahead (read-ahead.ts); given an operation's deadline (create, update, delete: its
   * `customTimeouts`, limited or not), reads are live, and every call and wait gets at most
   * the time left.
   */
  platform(deadline?: Deadline): Platform;
  /**
   * The connection check, for `check`: undefined when the settings are usable and a read-only
   * call for `organization` succeeds (once per process and organization); else the message.
   * Without an organization only the settings are checked.
   */
  preflight(organization: string | undefined, organizationOrigin: string): Promise<string | undefined>;
  /** Organization from ignite:organization / DODIL_ORG, if any. */
  defaultOrganization(): string | undefined;
  /** A line for the person running `pulumi up` (the engine shows provider output as diagnostics). */
  log(line: string): void;
}

/**
 * The tail of every provider's `diff`: the table's notes (why: drift, a vanished app) go to
 * the person running `pulumi`, as diagnostics of the resource, and its answer to the engine.
 * @internal
 */
export function reportDiff<D extends { notes: readonly string[] }>(ctx: Pick<ProviderContext, "log">, result: D): D {
  for (const line of result.notes) ctx.log(line);
  return result;
}
