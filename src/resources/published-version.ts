// The `PublishedVersion` resource: which immutable version of an app is active. It publishes
// the draft (PublishDraft → version N+1) only when the active version does not already carry
// the Draft's code, and with `version` pinned it rolls back (RollbackVersion) instead.
// Versions are immutable: removing this resource leaves every version, and the active one, as
// they are.
import * as pulumi from "@pulumi/pulumi";
import type { AppMeta, Version } from "../gen/dodil/ignite/v1/compute_pb.js";
import * as messages from "../messages.js";
import { describeManifestDiff, manifestDiff } from "../code/diff.js";
import {
  Failures,
  readResult,
  jsonSafe,
  appIdOf,
  checkAppRef,
  declaredCode,
  isCodeHash,
  isNonNegativeInt,
  isUnknown,
  parseAppId,
  plainApp,
  type AppArg,
  type CheckFailure,
  type PlainApp,
} from "./common.js";
import { reportDiff, type ProviderContext } from "./platform.js";
import { checkHealthCheck, runHealthCheck, type HealthCheck, type HealthCheckArgs } from "./health-check.js";
import { Deadline, ignoredPaths, optionInputs, timeoutFailures, touchesField, type Operation, type OptionInputs, type Timeouts } from "./resource-options.js";
import { IgniteResource } from "./registration.js";

// ---- types ---------------------------------------------------------------------------------

export interface PublishedVersionArgs {
  /**
   * The app: the `App` itself, or its app id "<organization>/<name>". Changing it replaces the resource.
   * @default none: required
   * @example app
   */
  app: AppArg;
  /**
   * The code that should be live: the Draft's `codeHash`. When the active version carries other
   * code, a version that already carries this code is activated again (RollbackVersion), and
   * only code no version holds is published (PublishDraft).
   * @default none: required
   * @example draft.codeHash
   */
  codeHash: pulumi.Input<string>;
  /**
   * Pin the active version (roll back, or forward, to an existing version) instead of
   * publishing the draft. Remove it to make the Draft's code active again. A version that does
   * not exist fails the preview.
   * @default undefined (the version carrying `codeHash` is active)
   * @example 1
   */
  version?: pulumi.Input<number>;
  /**
   * After each PublishDraft or RollbackVersion (and when this resource is created), call the
   * app the way a client would and keep the release only if it answers as expected; otherwise
   * roll back to the version that was active before and fail. See `HealthCheckArgs`.
   * @default undefined (no health check: a publish succeeds when the platform accepts it)
   * @example { path: "/healthz", expectStatus: 200 }
   */
  healthCheck?: pulumi.Input<HealthCheckArgs>;
  /**
   * The code hash this stack may deploy, e.g. what staging verified, read with a
   * StackReference. The preview fails when `codeHash` (this program's code) is different,
   * naming the files that differ when `expectManifest` is given too.
   * @default undefined (any code)
   * @example new pulumi.StackReference("acme/infra/staging").requireOutput("codeHash")
   */
  expectCodeHash?: pulumi.Input<string>;
  /**
   * The per-file manifest of the code `expectCodeHash` was computed from (the Draft's
   * `manifest`, exported by the stack that verified it), so a mismatch can name the files that
   * differ. Used in the program only; it is not stored in the state.
   * @default undefined (a mismatch names the hashes only)
   * @example staging.getOutput("manifest")
   */
  expectManifest?: pulumi.Input<Record<string, string>>;
}

export interface PublishedVersionInputs extends OptionInputs {
  app: string;
  /** The code that should be active (the Draft's). */
  codeHash: string;
  /** The pinned version; absent when not pinned. */
  version?: number;
  healthCheck?: HealthCheck;
  expectCodeHash?: string;
  /** Set by the program when `codeHash` is not `expectCodeHash`: the message naming the files. */
  __expectation?: string;
  /** Set by the program when no Draft of this program computed `codeHash`. */
  __undeclaredCode?: boolean;
}

export interface PublishedVersionOutputs extends OptionInputs {
  app: string;
  /** The code hash of the version that is active: what actually runs. */
  codeHash: string;
  /** The `codeHash` input (the Draft's code); differs from `codeHash` while `version` pins another version. */
  draftCodeHash: string;
  /** The version this resource made (or found) active. */
  version: number;
  activeVersion: number;
  /** One per port: `<scheme>://<app>-<org>.<domain>[:port]`. */
  publicUrls: string[];
  /** Whether `version` was pinned. */
  pinned: boolean;
  /**
   * The app's `create_time_ms` when this state was written: which app the versions above
   * belong to (an app deleted and created again numbers its versions from 1 anew). Absent in
   * state written before it was kept, and when the platform does not say.
   */
  appCreateTimeMs?: number;
  healthCheck?: HealthCheck;
  expectCodeHash?: string;
}

// ---- check ---------------------------------------------------------------------------------

export function checkPublishedVersion(news: Record<string, unknown>): pulumi.dynamic.CheckResult<PublishedVersionInputs> {
  const f = new Failures();
  checkAppRef(f, news.app);
  const codeHash = news.codeHash;
  if (codeHash === undefined || codeHash === "") f.add("codeHash", messages.version.codeHashRequired());
  else if (!isUnknown(codeHash) && !isCodeHash(codeHash)) f.add("codeHash", messages.version.codeHashMalformed(codeHash));
  const version = news.version;
  if (version !== undefined && version !== null && !isUnknown(version) && !(isNonNegativeInt(version) && version >= 1)) {
    f.add("version", messages.version.notAVersion(version));
  }
  const healthCheck = checkHealthCheck(news.healthCheck, f);
  const expectCodeHash = news.expectCodeHash;
  const expecting = expectCodeHash !== undefined && expectCodeHash !== null && expectCodeHash !== "";
  if (expecting && !isUnknown(expectCodeHash) && !isCodeHash(expectCodeHash)) f.add("expectCodeHash", messages.promotion.expectMalformed(expectCodeHash));
  else if (expecting && (version === undefined || version === null) && !isUnknown(expectCodeHash) && !isUnknown(codeHash) && isCodeHash(codeHash) && codeHash !== expectCodeHash) {
    f.add("expectCodeHash", typeof news.__expectation === "string" ? news.__expectation : messages.promotion.mismatch(news.app as string, codeHash as string, expectCodeHash as string, undefined));
  }
  for (const failure of timeoutFailures(news.__timeouts)) f.add(failure.property, failure.reason);
  const inputs: PublishedVersionInputs = {
    app: news.app as string,
    codeHash: codeHash as string,
    ...(version !== undefined && version !== null ? { version: version as number } : {}),
    ...(healthCheck ? { healthCheck } : {}),
    ...(expecting ? { expectCodeHash: expectCodeHash as string } : {}),
    ...(news.__undeclaredCode === true ? { __undeclaredCode: true } : {}),
    ...(news.__timeouts !== undefined ? { __timeouts: news.__timeouts as Timeouts } : {}),
    ...(news.__ignoreChanges !== undefined ? { __ignoreChanges: news.__ignoreChanges as string[] } : {}),
  };
  return { inputs: jsonSafe(inputs), failures: f.list };
}

// ---- releases ----------------------------------------------------------------------------------

export interface LiveVersions {
  activeVersion: number;
  versions: { version: number; codeHash: string }[];
}

function liveVersions(res: { versions: Version[]; activeVersion: number }): LiveVersions {
  return { activeVersion: res.activeVersion, versions: res.versions.map((v) => ({ version: v.version, codeHash: v.codeHash })) };
}

/**
 * A pinned `version` must exist: pinning only rolls back or forward, it never publishes, so a
 * missing version (or an app without versions yet) fails the update for certain.
 */
export function pinFailures(i: PublishedVersionInputs, live: LiveVersions | undefined): CheckFailure[] {
  if (i.version === undefined) return [];
  const have = live?.versions.map((v) => v.version) ?? [];
  if (!have.includes(i.version)) return [{ property: "version", reason: messages.version.pinMissing(i.app, i.version, have, live !== undefined) }];
  const pinnedHash = live!.versions.find((v) => v.version === i.version)!.codeHash;
  if (i.expectCodeHash !== undefined && !isUnknown(i.expectCodeHash) && pinnedHash !== i.expectCodeHash) {
    return [{ property: "expectCodeHash", reason: messages.promotion.pinMismatch(i.app, i.version, pinnedHash, i.expectCodeHash) }];
  }
  return [];
}

/**
 * `codeHash` computed by no Draft of this program: it can only go live if the app already
 * holds that code (a version, or the draft another program saved). Otherwise `up` would fail
 * for certain, so the preview says how to deploy verified code instead.
 */
export function foreignCodeFailures(i: PublishedVersionInputs, live: LiveVersions | undefined, draftHash: string | undefined): CheckFailure[] {
  if (!i.__undeclaredCode || i.version !== undefined || isUnknown(i.codeHash)) return [];
  if (draftHash === i.codeHash || live?.versions.some((v) => v.codeHash === i.codeHash)) return [];
  return [{ property: "codeHash", reason: messages.promotion.foreignCode(i.app, i.codeHash) }];
}

/** The code hash of the active version ("" when nothing is published). */
export function activeCodeHash(live: LiveVersions): string {
  return live.versions.find((v) => v.version === live.activeVersion)?.codeHash ?? "";
}

/** What an update does to make `i` true on the platform. */
export type ReleasePlan =
  | { action: "none" }
  /** Activate an existing version: the pin, or the newest version already carrying the code. */
  | { action: "activate"; version: number; because: "pinned" | "carries the code" }
  /** No version carries the code: publish the draft. */
  | { action: "publish" };

/**
 * Versions mean releases: pinned, the pin is made active; unpinned, nothing happens while the
 * active version carries `codeHash`, an existing version carrying it is activated again (the
 * newest, when several do), and only code no version holds is published.
 */
export function planRelease(i: Pick<PublishedVersionInputs, "codeHash" | "version">, live: LiveVersions): ReleasePlan {
  if (i.version !== undefined) return live.activeVersion === i.version ? { action: "none" } : { action: "activate", version: i.version, because: "pinned" };
  if (activeCodeHash(live) === i.codeHash) return { action: "none" };
  const carrier = live.versions.filter((v) => v.codeHash === i.codeHash).sort((a, b) => b.version - a.version)[0];
  return carrier ? { action: "activate", version: carrier.version, because: "carries the code" } : { action: "publish" };
}

// ---- the provider ----------------------------------------------------------------------------

/** @internal */
export function publishedVersionProvider(ctx: ProviderContext): pulumi.dynamic.ResourceProvider<PublishedVersionInputs, PublishedVersionOutputs> {
  async function sync(i: PublishedVersionInputs, deadline: Deadline, creating: boolean): Promise<PublishedVersionOutputs> {
    const ref = parseAppId(i.app)!;
    const platform = ctx.platform(deadline);
    const found = await platform.listVersions(ref.org, ref.name);
    if (!found) throw new Error(messages.appRef.missing(i.app));
    const live = liveVersions(found);
    if (i.version !== undefined && !live.versions.some((v) => v.version === i.version)) {
      throw new Error(messages.version.pinMissingAtUp(i.app, i.version, live.versions.map((v) => v.version)));
    }
    if (i.version === undefined && i.expectCodeHash !== undefined && i.codeHash !== i.expectCodeHash) {
      throw new Error(`ignite: ${messages.promotion.mismatch(i.app, i.codeHash, i.expectCodeHash, undefined)}`);
    }
    const before = live.activeVersion;
    const plan = planRelease(i, live);
    // PublishDraft and RollbackVersion answer with the app as it now is; otherwise read it.
    let app: AppMeta | undefined;
    let activeHash = activeCodeHash(live);
    if (plan.action === "activate") {
      ctx.log(plan.because === "pinned" ? messages.version.rolling(i.app, before, plan.version) : messages.release.reactivating(i.app, before, plan.version, i.codeHash));
      app = await platform.rollbackVersion(ref.org, ref.name, plan.version);
      activeHash = live.versions.find((v) => v.version === plan.version)!.codeHash;
    } else if (plan.action === "publish") {
      const draft = await platform.getDraft(ref.org, ref.name);
      if (draft?.codeHash !== i.codeHash) throw new Error(messages.version.draftHoldsOther(i.app, draft?.codeHash, i.codeHash));
      const published = await platform.publishDraft(ref.org, ref.name);
      ctx.log(messages.version.published(i.app, published.publishedVersion));
      app = published.app;
      activeHash = i.codeHash;
    }
    app ??= await platform.getApp(ref.org, ref.name);
    if (!app) throw new Error(messages.version.disappeared(i.app));
    const now = plainApp(app);
    const changed = plan.action !== "none";
    if (i.healthCheck && (changed || creating)) await gate(i, now, deadline, changed ? before : undefined);
    return outputs(i, { activeVersion: now.activeVersion, activeHash, publicUrls: now.publicUrls, appCreateTimeMs: createTimeOf(app) });
  }

  /**
   * The health gate: the release stays only if the app answers as `healthCheck` expects.
   * Otherwise the version active before (`before`, when this operation changed it) is made
   * active again — even when the operation's time is up: leaving broken code live is worse
   * than overrunning a timeout by one call — and the operation fails saying so.
   */
  async function gate(i: PublishedVersionInputs, now: PlainApp, deadline: Deadline, before: number | undefined): Promise<void> {
    const check = i.healthCheck!;
    const path = check.path ?? (now.healthPath || "/");
    const target = { org: now.organization, name: now.name, url: now.publicUrls[0], path };
    ctx.log(messages.health.checking(i.app, now.activeVersion, check.method, path, now.publicUrls[0], check.via));
    const result = await runHealthCheck((req) => ctx.platform(deadline).callApp(req), target, check, deadline);
    if (result.healthy) {
      ctx.log(messages.health.passed(i.app, now.activeVersion, result.target, result.attempts));
      return;
    }
    const failure = messages.health.failure(result, check, deadline.limited && deadline.expired() ? { operation: deadline.operation, secs: deadline.limitSecs! } : undefined);
    if (before === undefined || before === 0 || before === now.activeVersion) {
      throw new Error(messages.health.failedStays(i.app, now.activeVersion, failure, before === undefined));
    }
    try {
      await ctx.platform().rollbackVersion(now.organization, now.name, before);
    } catch (err) {
      throw new Error(messages.health.rollbackFailed(i.app, now.activeVersion, failure, before, (err as Error).message), { cause: err });
    }
    throw new Error(messages.health.failedRolledBack(i.app, now.activeVersion, failure, before));
  }

  /** Runs an operation under its custom timeout; an error after the time is up says so. */
  async function timed<T>(i: PublishedVersionInputs, operation: Operation, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = new Deadline(operation, i.__timeouts);
    try {
      return await fn(deadline);
    } catch (err) {
      if (deadline.limited && deadline.expired() && !/failed its health check/.test((err as Error).message)) {
        throw new Error(messages.options.timedOut(operation, deadline.limitSecs!, i.app, (err as Error).message), { cause: err });
      }
      throw err;
    }
  }

  return {
    async check(_olds, news) {
      const result = checkPublishedVersion(news as unknown as Record<string, unknown>);
      const i = result.inputs as PublishedVersionInputs;
      const ref = isUnknown(i.app) ? undefined : parseAppId(i.app);
      const problem = await ctx.preflight(ref?.org, `the organization of \`app\` "${i.app}"`);
      if (problem) return { inputs: result.inputs, failures: [...(result.failures ?? []), { property: "", reason: problem }] };
      if (!ref || (result.failures ?? []).length > 0) return result;
      const pinned = typeof i.version === "number";
      if (!pinned && !i.__undeclaredCode) return result;
      const platform = ctx.platform();
      const found = await platform.listVersions(ref.org, ref.name);
      const live = found ? liveVersions(found) : undefined;
      if (pinned) return { inputs: result.inputs, failures: pinFailures(i, live) };
      const draft = live ? await platform.getDraft(ref.org, ref.name) : undefined;
      return { inputs: result.inputs, failures: foreignCodeFailures(i, live, draft?.codeHash) };
    },

    async create(i) {
      return { id: `${i.app}/published`, outs: await timed(i, "create", (d) => sync(i, d, true)) };
    },

    async read(id, props) {
      const old = props as PublishedVersionOutputs;
      const ref = parseAppId(old.app);
      const platform = ctx.platform();
      const app = ref && (await platform.getApp(ref.org, ref.name));
      if (!app || app.activeVersion === 0) return {};
      const now = plainApp(app);
      const found = await platform.listVersions(ref.org, ref.name);
      const activeHash = found ? activeCodeHash(liveVersions(found)) : old.codeHash;
      const outs = { ...old, codeHash: activeHash, version: now.activeVersion, activeVersion: now.activeVersion, publicUrls: now.publicUrls, appCreateTimeMs: createTimeOf(app) };
      return readResult(id, outs, inputsOf(outs));
    },

    async update(_id, _olds, news) {
      return { outs: await timed(news, "update", (d) => sync(news, d, false)) };
    },

    // Versions are immutable and stay on the platform; the App's deletion removes them.
    async delete() {},

    async diff(_id, olds, news) {
      const ref = parseAppId(news.app);
      return reportDiff(ctx, diffPublishedVersion(olds, news, ref ? await versionsForDiff(ref, olds, news) : undefined));
    },
  };

  /**
   * The live versions the diff needs. The app's metadata (read ahead with the App's) is enough
   * when it shows the same app with the same active version as this state: versions are
   * immutable, so that version still carries the code this state recorded — and the diff only
   * needs that when the release plan is to do nothing. Otherwise, ListVersions.
   */
  async function versionsForDiff(ref: { org: string; name: string }, olds: PublishedVersionOutputs, news: PublishedVersionInputs): Promise<LiveVersions | undefined> {
    const platform = ctx.platform();
    const app = await platform.getApp(ref.org, ref.name);
    if (!app) return undefined;
    const recorded = recordedVersions(olds, app);
    if (recorded && !isUnknown(news.codeHash) && !isUnknown(news.version) && planRelease(news, recorded).action === "none") return recorded;
    const found = await platform.listVersions(ref.org, ref.name);
    return found ? liveVersions(found) : undefined;
  }
}

/** `create_time_ms` as a number; undefined when the platform leaves it unset. */
function createTimeOf(app: AppMeta): number | undefined {
  const t = Number(app.createTimeMs);
  return Number.isSafeInteger(t) && t > 0 ? t : undefined;
}

/**
 * What the state says about the live versions, when the live app proves it still holds: the
 * same app (its create time, recorded in the state) with the same active version. Only that
 * version is known (with the code hash the state recorded for it); undefined otherwise.
 * @internal
 */
export function recordedVersions(olds: PublishedVersionOutputs, app: AppMeta): LiveVersions | undefined {
  const created = createTimeOf(app);
  if (created === undefined || olds.appCreateTimeMs !== created) return undefined;
  if (app.activeVersion < 1 || app.activeVersion !== olds.activeVersion || typeof olds.codeHash !== "string" || !isCodeHash(olds.codeHash)) return undefined;
  return { activeVersion: app.activeVersion, versions: [{ version: app.activeVersion, codeHash: olds.codeHash }] };
}

/** The state: the inputs, with the code and version that are active. Program-only inputs are dropped. */
function outputs(i: PublishedVersionInputs, live: { activeVersion: number; activeHash: string; publicUrls: string[]; appCreateTimeMs: number | undefined }): PublishedVersionOutputs {
  const { __expectation: _e, __undeclaredCode: _u, version: _v, codeHash, ...kept } = i;
  return jsonSafe({
    ...kept,
    codeHash: live.activeHash,
    draftCodeHash: codeHash,
    version: live.activeVersion,
    activeVersion: live.activeVersion,
    publicUrls: live.publicUrls,
    pinned: i.version !== undefined,
    ...(live.appCreateTimeMs !== undefined ? { appCreateTimeMs: live.appCreateTimeMs } : {}),
  });
}

/**
 * The inputs that would describe the live state (what `read` returns, so `pulumi refresh` and
 * `preview --refresh --diff` show drift as old → new): the code that is active, and the pin,
 * when pinned, at the version that is active.
 */
export function inputsOf(outs: PublishedVersionOutputs): PublishedVersionInputs {
  return jsonSafe({
    app: outs.app,
    codeHash: outs.pinned ? (outs.draftCodeHash ?? outs.codeHash) : outs.codeHash,
    ...(outs.pinned ? { version: outs.activeVersion } : {}),
    ...(outs.healthCheck ? { healthCheck: outs.healthCheck } : {}),
    ...(outs.expectCodeHash ? { expectCodeHash: outs.expectCodeHash } : {}),
    ...(outs.__timeouts ? { __timeouts: outs.__timeouts } : {}),
    ...(outs.__ignoreChanges ? { __ignoreChanges: outs.__ignoreChanges } : {}),
  });
}

// ---- diff ----------------------------------------------------------------------------------

export interface PublishedVersionDiff extends pulumi.dynamic.DiffResult {
  notes: string[];
}

/**
 * replace: app; update: the release plan does something (the active version is not the
 * pinned one, or, unpinned, does not carry `codeHash`); ignored: everything else — the health
 * check, the expectation, timeouts — and live moves of the active version when `ignoreChanges`
 * names `version` or `codeHash`.
 */
export function diffPublishedVersion(
  olds: PublishedVersionOutputs,
  news: PublishedVersionInputs,
  live: LiveVersions | undefined,
): PublishedVersionDiff {
  const notes: string[] = [];
  if (isUnknown(news.app) || olds.app !== news.app) return { changes: true, replaces: ["app"], notes };
  if (isUnknown(news.codeHash) || isUnknown(news.version)) return { changes: true, notes };
  if (live === undefined) {
    notes.push(messages.version.noteGone(news.app));
    return { changes: true, notes };
  }
  const oldCode = olds.draftCodeHash ?? olds.codeHash;
  const inputsSame = news.version === undefined ? !olds.pinned && oldCode === news.codeHash : olds.pinned && olds.version === news.version;
  const ignored = ignoredPaths(news.__ignoreChanges);
  if (inputsSame && (touchesField(ignored, "version") || touchesField(ignored, "codeHash"))) return { changes: false, notes };
  const plan = planRelease(news, live);
  const changes = plan.action !== "none";
  const outOfBand = live.activeVersion !== olds.activeVersion;
  if (changes && outOfBand && inputsSame) {
    notes.push(
      news.version !== undefined
        ? messages.version.noteMovedPinned(news.app, live.activeVersion, news.version)
        : messages.version.noteMoved(news.app, live.activeVersion, plan.action === "activate" ? plan.version : undefined),
    );
  }
  return { changes, notes };
}

// ---- the resource ----------------------------------------------------------------------------

/**
 * The active version of an app: publishes the Draft's code, or pins an existing version.
 *
 * ```ts
 * const release = new ignite.PublishedVersion("greet", { app, codeHash: draft.codeHash });
 * export const url = release.publicUrls[0];
 * ```
 *
 * Removing it (or `pulumi destroy` of it alone) leaves the published versions in place:
 * versions are immutable, and they go away with their App.
 */
export class PublishedVersion extends IgniteResource {
  declare readonly app: pulumi.Output<string>;
  /** The code hash of the active version: the code that actually runs (not the Draft's while `version` pins another). */
  declare readonly codeHash: pulumi.Output<string>;
  /** The `codeHash` input: the Draft's code. */
  declare readonly draftCodeHash: pulumi.Output<string>;
  /** The version this resource made active. */
  declare readonly version: pulumi.Output<number>;
  /** The app's active version, as of this resource's last update. */
  declare readonly activeVersion: pulumi.Output<number>;
  /** The app's public URLs, one per port. */
  declare readonly publicUrls: pulumi.Output<string[]>;

  constructor(name: string, args: PublishedVersionArgs, opts?: pulumi.CustomResourceOptions) {
    const app = appIdOf(args.app);
    super(
      "publishedVersion",
      "PublishedVersion",
      name,
      {
        app,
        codeHash: args.codeHash,
        version: args.version,
        healthCheck: args.healthCheck,
        expectCodeHash: args.expectCodeHash,
        ...programChecks(app, args),
        ...optionInputs(opts),
        draftCodeHash: undefined,
        activeVersion: undefined,
        publicUrls: undefined,
        pinned: undefined,
      },
      opts,
    );
  }
}

/**
 * What only the program can know: whether a Draft of this program computed `codeHash`, and,
 * when it is not `expectCodeHash`, which files differ from the verified manifest.
 */
function programChecks(app: pulumi.Input<string>, args: PublishedVersionArgs): Record<string, pulumi.Input<unknown>> {
  const known = pulumi.all([app, args.codeHash, args.expectCodeHash, args.expectManifest]);
  return {
    __undeclaredCode: known.apply(([, codeHash]) => (typeof codeHash === "string" && isCodeHash(codeHash) && !declaredCode(codeHash) ? true : undefined)),
    // Without `expectCodeHash` there is no expectation: registered plain, not as an Output.
    __expectation: args.expectCodeHash === undefined ? undefined : known.apply(([appId, codeHash, expect, expectManifest]) => {
      if (typeof expect !== "string" || !isCodeHash(expect) || codeHash === expect || typeof codeHash !== "string") return undefined;
      const local = declaredCode(codeHash);
      const files = local && expectManifest ? describeManifestDiff(manifestDiff(expectManifest, local.manifest)) : undefined;
      return messages.promotion.mismatch(appId, codeHash, expect, files, local?.code);
    }),
  };
}
