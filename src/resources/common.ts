// Pieces the three resources share: enum spellings, app-id parsing, validation helpers, and
// the conversions that keep protobuf messages out of state. (The platform calls they make
// are in platform.ts.)
import * as pulumi from "@pulumi/pulumi";
import * as messages from "../messages.js";
import { isDnsLabel } from "../names.js";
import type {
  CompileState as CompileStateEnum,
  ResourceTier as ResourceTierEnum,
  Runtime as RuntimeEnum,
  RustTarget as RustTargetEnum,
  ScaleMetric as ScaleMetricEnum,
  AppMeta,
  CompileRuntime,
  Draft as DraftMessage,
  Version,
} from "../gen/dodil/ignite/v1/compute_pb.js";

// ---- enum spellings ----------------------------------------------------------------------

// The platform's enum numbers, each table checked against the generated enum when this file
// compiles (`satisfies typeof <Enum>`: every member, its number, nothing more). The import
// above is type-only, so a program that loads the resources does not load the generated code
// (~60 ms of its start, more under ts-node; issue 11): the provider loads it with the client.
const Runtime = { UNSPECIFIED: 0, PYTHON: 1, RUST: 2, DENO: 3, GO: 4 } as const satisfies typeof RuntimeEnum;
const ResourceTier = { UNSPECIFIED: 0, SMALL: 1, MEDIUM: 2, LARGE: 3 } as const satisfies typeof ResourceTierEnum;
const ScaleMetric = { UNSPECIFIED: 0, REQUEST_RATE: 1, CONCURRENCY: 2 } as const satisfies typeof ScaleMetricEnum;
const RustTarget = { UNSPECIFIED: 0, NATIVE: 1, WASM: 2 } as const satisfies typeof RustTargetEnum;
const CompileState = { UNSPECIFIED: 0, NOT_REQUIRED: 1, NOT_COMPILED: 2, COMPILING: 3, SUCCEEDED: 4, FAILED: 5 } as const satisfies typeof CompileStateEnum;

export const RUNTIMES = ["python", "rust", "deno", "go"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
export const TIERS = ["small", "medium", "large"] as const;
export type TierName = (typeof TIERS)[number];
export const SCALE_METRICS = ["REQUEST_RATE", "CONCURRENCY"] as const;
export type ScaleMetricName = (typeof SCALE_METRICS)[number];
export const RUST_TARGETS = ["native", "wasm"] as const;
export type RustTargetName = (typeof RUST_TARGETS)[number];

/** @internal */
export const runtimeToProto: Record<RuntimeName, RuntimeEnum> = {
  python: Runtime.PYTHON,
  rust: Runtime.RUST,
  deno: Runtime.DENO,
  go: Runtime.GO,
};
/** @internal */
export const tierToProto: Record<TierName, ResourceTierEnum> = {
  small: ResourceTier.SMALL,
  medium: ResourceTier.MEDIUM,
  large: ResourceTier.LARGE,
};
/** @internal */
export const metricToProto: Record<ScaleMetricName, ScaleMetricEnum> = {
  REQUEST_RATE: ScaleMetric.REQUEST_RATE,
  CONCURRENCY: ScaleMetric.CONCURRENCY,
};
/** @internal */
export const rustTargetToProto: Record<RustTargetName, RustTargetEnum> = {
  native: RustTarget.NATIVE,
  wasm: RustTarget.WASM,
};

function invert<K extends string, V extends number>(m: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as V, k as K]));
}
const runtimeNames = invert(runtimeToProto);
const tierNames = invert(tierToProto);
const metricNames = invert(metricToProto);
const rustTargetNames = invert(rustTargetToProto);

/** @internal */
export const runtimeName = (r: RuntimeEnum): RuntimeName | undefined => runtimeNames.get(r);
/** @internal The platform treats an unspecified tier as small. */
export const tierName = (t: ResourceTierEnum): TierName => tierNames.get(t) ?? "small";
/** @internal The platform treats an unspecified metric as REQUEST_RATE. */
export const metricName = (m: ScaleMetricEnum): ScaleMetricName => metricNames.get(m) ?? "REQUEST_RATE";
/** @internal */
export const rustTargetName = (t: RustTargetEnum): RustTargetName | undefined => rustTargetNames.get(t);

const compileStateNames = new Map(Object.entries(CompileState).map(([k, v]) => [v as number, k]));
/** @internal */
export function compileStateName(s: CompileStateEnum): string {
  return (compileStateNames.get(s) ?? "UNSPECIFIED").toLowerCase().replace(/_/g, "-");
}

// ---- ids and names -----------------------------------------------------------------------

/**
 * What is wrong with `value` as an organization or app name (the resources take an app name
 * as one DNS label, without the dots the platform also allows); `undefined` when nothing.
 */
export function dnsLabelProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return "is empty";
  if (!isDnsLabel(value)) {
    return `"${value}" is not a single DNS label (lowercase letters, digits and "-", 1-63 characters, starting and ending with a letter or digit)`;
  }
  return undefined;
}

export interface AppRef {
  org: string;
  name: string;
}

/** Parses "<org>/<name>"; `undefined` when malformed. */
export function parseAppId(appId: unknown): AppRef | undefined {
  if (typeof appId !== "string") return undefined;
  const parts = appId.split("/");
  if (parts.length !== 2 || dnsLabelProblem(parts[0]) || dnsLabelProblem(parts[1])) return undefined;
  return { org: parts[0], name: parts[1] };
}

/** The `app` input of a Draft or PublishedVersion: required, and an app id once known. */
export function checkAppRef(f: Failures, appId: unknown): void {
  if (appId === undefined) f.add("app", messages.appRef.required());
  else if (!isUnknown(appId) && parseAppId(appId) === undefined) f.add("app", messages.appRef.malformed(appId));
}

/** What a Draft or PublishedVersion's `app` arg may be: the App resource, or its app id. */
export type AppArg = pulumi.Input<string> | AppLike;

/** The part of an App a Draft reads (duck-typed: two copies of this package may be loaded). */
export interface AppLike extends pulumi.CustomResource {
  readonly appId: pulumi.Output<string>;
}

export function isAppLike(v: unknown): v is AppLike {
  return pulumi.CustomResource.isInstance(v) && pulumi.Output.isInstance((v as AppLike).appId);
}

/** The app id of an `app` arg. */
export function appIdOf(app: AppArg): pulumi.Input<string> {
  return isAppLike(app) ? app.appId : app;
}

/**
 * App id → runtime of every App this program declares, so a Draft given `app: app.appId` (a
 * string) knows the runtime as well as one given the App. Filled as each App's inputs resolve,
 * long before its `appId` output does.
 */
const declaredRuntimes = new Map<string, string>();

export function declareAppRuntime(appId: string, runtime: string): void {
  declaredRuntimes.set(appId, runtime);
}

/** The runtime of the App this program declares with `appId`, if it declares one. */
export function declaredAppRuntime(appId: string | undefined): string | undefined {
  return appId === undefined ? undefined : declaredRuntimes.get(appId);
}

/** Each App of this program whose id was known when it was made (plain organization and name). */
const plainAppIds = new WeakMap<object, string>();

export function declarePlainAppId(app: object, appId: string): void {
  plainAppIds.set(app, appId);
}

/** The app id of an `app` arg when it is known now, without waiting for an Output. */
export function plainAppIdOf(app: AppArg): string | undefined {
  if (typeof app === "string") return app;
  return isAppLike(app) ? plainAppIds.get(app) : undefined;
}

/** What a Draft of this program computed about its code: the path and the per-file manifest. */
export interface DeclaredCode {
  code: string;
  manifest: Record<string, string>;
}

/**
 * Code hash → what the Draft that computed it saw, for every Draft of this program, so a
 * PublishedVersion given `draft.codeHash` can name the files that differ from a verified
 * manifest, and can tell a hash no Draft here computed (e.g. one read from another stack).
 * Kept on globalThis: a program that loads two copies of this package still has one list.
 */
const declaredCodes: Map<string, DeclaredCode> = ((globalThis as Record<symbol, unknown>)[Symbol.for("pulumi-ignite.declaredCodes")] ??= new Map()) as Map<string, DeclaredCode>;

export function declareCode(codeHash: string, code: DeclaredCode): void {
  declaredCodes.set(codeHash, code);
}

/** What a Draft of this program computed `codeHash` from, if one did. */
export function declaredCode(codeHash: string): DeclaredCode | undefined {
  return declaredCodes.get(codeHash);
}

/**
 * A value the engine stores as a secret (the SDK's secret signature). Dynamic providers do not
 * accept secrets, but a value wrapped like this in what `read` returns is kept secret.
 */
export function engineSecret<T>(value: T): { "4dabf18193072939515e22adb298388d": string; value: T } {
  return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

/** "sha256:<64 hex digits>": a Draft's `codeHash`, as the program computes it. */
export function isCodeHash(v: unknown): boolean {
  return typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v);
}

// ---- the engine's view of values ---------------------------------------------------------

/** The value the engine puts in place of an input that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** Deep-equal for JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, (val as Record<string, unknown>)[k]]))
      : val,
  );
}

export type CheckFailure = pulumi.dynamic.CheckFailure;

/**
 * What `read` returns: the live state and the inputs that would describe it (since Pulumi
 * 3.216 the engine stores them, so `pulumi refresh` and `preview --refresh --diff` show drift
 * per property). The SDK types `inputs` as the outputs' type; they are the inputs' shape.
 */
export function readResult<O>(id: string, props: O, inputs: object): pulumi.dynamic.ReadResult<O> {
  return { id, props, inputs: inputs as unknown as O };
}

/** Drops `undefined` members (the engine's Struct encoding rejects them) from a JSON value. */
export function jsonSafe<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Collects property-named check failures. */
export class Failures {
  readonly list: CheckFailure[] = [];
  add(property: string, reason: string): void {
    this.list.push({ property, reason });
  }
}

/** Records a failure on `property` unless `value` is unknown or one of `allowed`. */
export function checkOneOf(f: Failures, property: string, allowed: readonly string[], value: unknown): void {
  if (!isUnknown(value) && !allowed.includes(value as string)) f.add(property, messages.checks.oneOf(property, allowed, value));
}

export function isNonNegativeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

// ---- errors --------------------------------------------------------------------------------

// connect's Code.NotFound and Code.AlreadyExists (gRPC's status codes), written out: importing
// @connectrpc/connect for them cost every program ~70 ms of loading (issue 11). A unit test
// holds them equal (resources-common.test.ts).
export const NOT_FOUND = 5;
export const ALREADY_EXISTS = 6;

/** True for a NOT_FOUND from the platform (IgniteError or ConnectError carry `code`). */
export function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === NOT_FOUND;
}

export function isAlreadyExists(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === ALREADY_EXISTS;
}

// ---- plain views of platform messages (JSON-safe, for state) -------------------------------

export interface PlainScaling {
  reservedCapacity: number;
  maxReplicas: number;
  scaleMetric: ScaleMetricName;
  scaleThreshold: number;
  scaledownPeriodSecs: number;
}

/** An app's config (what UpdateAppConfig changes), as the App's inputs and state spell it. */
export interface PlainAppConfig {
  description: string;
  resourceTier: TierName;
  scaling: PlainScaling;
  env: Record<string, string>;
  ports: number[];
  allowUnauthenticated: boolean;
  /** The pods' readiness probe path ("" for none). */
  healthPath: string;
}

export interface PlainApp extends PlainAppConfig {
  appId: string;
  organization: string;
  name: string;
  runtime: RuntimeName | undefined;
  activeVersion: number;
  latestVersion: number;
  publicUrls: string[];
}

/** @internal */
export function plainApp(app: AppMeta): PlainApp {
  const s = app.scaling;
  return {
    appId: app.appId,
    organization: app.organizationName,
    name: app.name,
    runtime: runtimeName(app.runtime),
    description: app.description,
    resourceTier: tierName(app.resourceTier),
    scaling: {
      reservedCapacity: s?.reservedCapacity ?? 0,
      maxReplicas: s?.maxReplicas ?? 0,
      scaleMetric: metricName(s?.scaleMetric ?? ScaleMetric.UNSPECIFIED),
      scaleThreshold: s?.scaleThreshold ?? 0,
      scaledownPeriodSecs: s?.scaledownPeriodSecs ?? 0,
    },
    env: { ...app.env },
    ports: [...app.ports],
    allowUnauthenticated: app.allowUnauthenticated,
    healthPath: app.healthPath,
    activeVersion: app.activeVersion,
    latestVersion: app.latestVersion,
    publicUrls: [...app.publicUrls],
  };
}

export interface PlainDraftRuntime {
  runtime: RuntimeName | "image" | "unknown";
  rustTarget?: RustTargetName;
  toolchain?: string;
}

/** @internal */
export function plainRuntime(r: CompileRuntime | undefined): PlainDraftRuntime {
  switch (r?.runtime.case) {
    case "python":
    case "deno":
    case "go":
      return { runtime: r.runtime.case };
    case "rust":
      return { runtime: "rust", rustTarget: rustTargetName(r.runtime.value.target), toolchain: r.runtime.value.toolchain };
    default:
      return { runtime: "unknown" };
  }
}

export interface PlainDraft {
  codeHash: string;
  compileState: string;
  compiledCodeHash: string;
  runtime: PlainDraftRuntime;
  files: string[];
  sizeBytes: number;
  compileError: string;
  /** The image source of an image draft. */
  image?: { ref?: string; dockerfile?: string; gitUrl?: string };
}

/** @internal */
export function plainDraft(d: DraftMessage): PlainDraft {
  const image = d.sourceKind === "image" ? d.image?.source : undefined;
  return {
    codeHash: d.codeHash,
    compileState: compileStateName(d.compileState),
    compiledCodeHash: d.compiledCodeHash,
    runtime: image ? { runtime: "image" } : plainRuntime(d.runtime),
    ...(image?.case === "imageRef" ? { image: { ref: image.value } } : {}),
    ...(image?.case === "dockerfilePath" ? { image: { dockerfile: image.value } } : {}),
    ...(image?.case === "gitUrl" ? { image: { gitUrl: image.value } } : {}),
    files: [...d.files],
    sizeBytes: Number(d.sizeBytes),
    compileError: d.compileError,
  };
}
