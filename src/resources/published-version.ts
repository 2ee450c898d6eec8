// The `PublishedVersion` resource: which immutable version of an app is active. It publishes
// the draft (PublishDraft → version N+1) only when the active version does not already carry
// the Draft's code, and with `version` pinned it rolls back (RollbackVersion) instead.
// Versions are immutable: removing this resource leaves every version, and the active one, as
// they are.
import * as pulumi from "@pulumi/pulumi";
import type { AppMeta, Version } from "../gen/dodil/ignite/v1/compute_pb.js";
import * as messages from "../messages.js";
import {
  Failures,
  jsonSafe,
  appIdOf,
  checkAppRef,
  isCodeHash,
  isNonNegativeInt,
  isUnknown,
  parseAppId,
  plainApp,
  type AppArg,
  type CheckFailure,
  type ProviderContext,
} from "./common.js";
import { providerShim } from "./shim.js";

// ---- types ---------------------------------------------------------------------------------

export interface PublishedVersionArgs {
  /**
   * The app: the `App` itself, or its app id "<organization>/<name>". Changing it replaces the resource.
   * @default none: required
   * @example app
   */
  app: AppArg;
  /**
   * The code that should be live: the Draft's `codeHash`. A new version is published when the
   * active version carries other code.
   * @default none: required
   * @example draft.codeHash
   */
  codeHash: pulumi.Input<string>;
  /**
   * Pin the active version (roll back, or forward, to an existing version) instead of
   * publishing the draft. Remove it to publish the draft again. A version that does not exist
   * fails the preview.
   * @default undefined (publish the draft when its code is not active)
   * @example 1
   */
  version?: pulumi.Input<number>;
}

export interface PublishedVersionInputs {
  app: string;
  codeHash: string;
  /** The pinned version; absent when not pinned. */
  version?: number;
}

export interface PublishedVersionOutputs {
  app: string;
  codeHash: string;
  /** The version this resource made (or found) active. */
  version: number;
  activeVersion: number;
  /** One per port: `<scheme>://<app>-<org>.<domain>[:port]`. */
  publicUrls: string[];
  /** Whether `version` was pinned. */
  pinned: boolean;
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
  const inputs: PublishedVersionInputs = {
    app: news.app as string,
    codeHash: codeHash as string,
    ...(version !== undefined && version !== null ? { version: version as number } : {}),
  };
  return { inputs: jsonSafe(inputs), failures: f.list };
}

// ---- the provider ----------------------------------------------------------------------------

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
  if (have.includes(i.version)) return [];
  return [{ property: "version", reason: messages.version.pinMissing(i.app, i.version, have, live !== undefined) }];
}

/** The code hash of the active version ("" when nothing is published). */
export function activeCodeHash(live: LiveVersions): string {
  return live.versions.find((v) => v.version === live.activeVersion)?.codeHash ?? "";
}

export function publishedVersionProvider(ctx: ProviderContext): pulumi.dynamic.ResourceProvider<PublishedVersionInputs, PublishedVersionOutputs> {
  async function sync(i: PublishedVersionInputs): Promise<PublishedVersionOutputs> {
    const ref = parseAppId(i.app)!;
    const platform = ctx.platform();
    const found = await platform.listVersions(ref.org, ref.name);
    if (!found) throw new Error(messages.appRef.missing(i.app));
    const live = liveVersions(found);
    // PublishDraft and RollbackVersion answer with the app as it now is; otherwise read it.
    let app: AppMeta | undefined;
    if (i.version !== undefined) {
      if (!live.versions.some((v) => v.version === i.version)) {
        throw new Error(messages.version.pinMissingAtUp(i.app, i.version, live.versions.map((v) => v.version)));
      }
      if (live.activeVersion !== i.version) {
        ctx.log(messages.version.rolling(i.app, live.activeVersion, i.version));
        app = await platform.rollbackVersion(ref.org, ref.name, i.version);
      }
    } else if (activeCodeHash(live) !== i.codeHash) {
      const draft = await platform.getDraft(ref.org, ref.name);
      if (draft?.codeHash !== i.codeHash) throw new Error(messages.version.draftHoldsOther(i.app, draft?.codeHash, i.codeHash));
      const published = await platform.publishDraft(ref.org, ref.name);
      ctx.log(messages.version.published(i.app, published.publishedVersion));
      app = published.app;
    }
    app ??= await platform.getApp(ref.org, ref.name);
    if (!app) throw new Error(messages.version.disappeared(i.app));
    const now = plainApp(app);
    return {
      app: i.app,
      codeHash: i.codeHash,
      version: now.activeVersion,
      activeVersion: now.activeVersion,
      publicUrls: now.publicUrls,
      pinned: i.version !== undefined,
    };
  }

  return {
    async check(_olds, news) {
      const result = checkPublishedVersion(news as unknown as Record<string, unknown>);
      const i = result.inputs as PublishedVersionInputs;
      const ref = isUnknown(i.app) ? undefined : parseAppId(i.app);
      const problem = await ctx.preflight(ref?.org, `the organization of \`app\` "${i.app}"`);
      if (problem) return { inputs: result.inputs, failures: [...(result.failures ?? []), { property: "", reason: problem }] };
      if (!ref || typeof i.version !== "number" || (result.failures ?? []).length > 0) return result;
      const found = await ctx.platform().listVersions(ref.org, ref.name);
      return { inputs: result.inputs, failures: pinFailures(i, found ? liveVersions(found) : undefined) };
    },

    async create(i) {
      return { id: `${i.app}/published`, outs: await sync(i) };
    },

    async read(id, props) {
      const old = props as PublishedVersionOutputs;
      const ref = parseAppId(old.app);
      const app = ref && (await ctx.platform().getApp(ref.org, ref.name));
      if (!app || app.activeVersion === 0) return {};
      const live = plainApp(app);
      return { id, props: { ...old, version: live.activeVersion, activeVersion: live.activeVersion, publicUrls: live.publicUrls } };
    },

    async update(_id, _olds, news) {
      return { outs: await sync(news) };
    },

    // Versions are immutable and stay on the platform; the App's deletion removes them.
    async delete() {},

    async diff(_id, olds, news) {
      const ref = parseAppId(news.app);
      const found = ref ? await ctx.platform().listVersions(ref.org, ref.name) : undefined;
      const result = diffPublishedVersion(olds, news, found ? liveVersions(found) : undefined);
      for (const line of result.notes) ctx.log(line);
      return result;
    },
  };
}

// ---- diff ----------------------------------------------------------------------------------

export interface PublishedVersionDiff extends pulumi.dynamic.DiffResult {
  notes: string[];
}

/**
 * replace: app; update: the active version is not the pinned one, or (unpinned) does not carry
 * `codeHash`; ignored: anything else (a codeHash change whose code is already active).
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
  const outOfBand = live.activeVersion !== olds.activeVersion;
  if (news.version !== undefined) {
    const changes = live.activeVersion !== news.version;
    if (changes && outOfBand && olds.pinned && olds.version === news.version) {
      notes.push(messages.version.noteMovedPinned(news.app, live.activeVersion, news.version));
    }
    return { changes, notes };
  }
  const changes = activeCodeHash(live) !== news.codeHash;
  if (changes && outOfBand && olds.codeHash === news.codeHash) {
    notes.push(messages.version.noteMoved(news.app, live.activeVersion));
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
export class PublishedVersion extends pulumi.dynamic.Resource {
  declare readonly app: pulumi.Output<string>;
  declare readonly codeHash: pulumi.Output<string>;
  /** The version this resource made active. */
  declare readonly version: pulumi.Output<number>;
  /** The app's active version, as of this resource's last update. */
  declare readonly activeVersion: pulumi.Output<number>;
  /** The app's public URLs, one per port. */
  declare readonly publicUrls: pulumi.Output<string[]>;

  constructor(name: string, args: PublishedVersionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("publishedVersion"),
      name,
      { app: appIdOf(args.app), codeHash: args.codeHash, version: args.version, activeVersion: undefined, publicUrls: undefined, pinned: undefined },
      opts,
      "ignite",
      "PublishedVersion",
    );
  }
}
