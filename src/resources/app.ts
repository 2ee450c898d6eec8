// The `App` resource: an Ignite app's metadata (name, organization, runtime, description,
// tier, scaling, env, ports, auth). Config changes are applied in place with UpdateAppConfig;
// a new name, organization or runtime replaces the app. Code and versions belong to `Draft`
// and `PublishedVersion`.
import * as pulumi from "@pulumi/pulumi";
import { defaultOrganization, type ConfigSource } from "../client/settings.js";
import * as messages from "../messages.js";
import { isEnvName } from "../names.js";
import {
  Failures,
  readResult,
  engineSecret,
  jsonSafe,
  stableJson,
  RUNTIMES,
  SCALE_METRICS,
  TIERS,
  checkOneOf,
  declareAppRuntime,
  declarePlainAppId,
  dnsLabelProblem,
  isAlreadyExists,
  isNonNegativeInt,
  isUnknown,
  jsonEqual,
  metricToProto,
  plainApp,
  runtimeToProto,
  tierToProto,
  type CheckFailure,
  type PlainApp,
  type PlainAppConfig,
  type PlainScaling,
  type RuntimeName,
  type ScaleMetricName,
  type TierName,
} from "./common.js";
import { reportDiff, type AppConfigInit, type ProviderContext } from "./platform.js";
import { Deadline, ignoredPaths, optionInputs, timeoutFailures, withIgnoredFromLive, type Operation, type OptionInputs } from "./resource-options.js";
import { IgniteResource } from "./registration.js";
import { MIN_SCALEDOWN_SECS, PLATFORM_MAX_REPLICAS_CAP, SCALING_DEFAULTS } from "../scaling-defaults.js";

// ---- types ---------------------------------------------------------------------------------

/** How the app scales. Every field is optional; omitted fields take the platform default. */
export interface ScalingArgs {
  /**
   * Minimum warm pods, exempt from idle teardown. 0 lets the app scale to zero.
   * @default 0
   * @example 1
   */
  reservedCapacity?: pulumi.Input<number>;
  /**
   * Maximum pods. Values above the platform cap (5) are clamped to it; the preview shows the
   * clamped value.
   * @default 10, clamped to the platform cap (5)
   * @example 3
   */
  maxReplicas?: pulumi.Input<number>;
  /**
   * What the autoscaler measures: `REQUEST_RATE` (requests/second per pod, for short uniform
   * requests) or `CONCURRENCY` (in-flight requests per pod, for variable-duration work).
   * @default "REQUEST_RATE"
   * @example "CONCURRENCY"
   */
  scaleMetric?: pulumi.Input<ScaleMetricName>;
  /**
   * Per-pod target for `scaleMetric`; 0 means the platform default.
   * @default 10
   * @example 50
   */
  scaleThreshold?: pulumi.Input<number>;
  /**
   * Seconds to stay scaled up after traffic drops: 0 for the default, otherwise at least 30.
   * @default 300
   * @example 60
   */
  scaledownPeriodSecs?: pulumi.Input<number>;
}

export interface AppArgs {
  /**
   * The app's name on the platform: a single DNS label, used as given. Changing it replaces
   * the app.
   * @default `ignite:namePrefix` (DODIL_NAME_PREFIX) + the resource name, e.g. "staging-greet"
   * @example "greet"
   */
  name?: pulumi.Input<string>;
  /**
   * The organization that owns the app. Changing it replaces the app.
   * @default the `ignite:organization` config, else the `DODIL_ORG` environment variable
   * @example "acme-corp"
   */
  organization?: pulumi.Input<string>;
  /**
   * The runtime the app is created with. Changing it replaces the app.
   * @default "python"
   * @example "rust"
   */
  runtime?: pulumi.Input<RuntimeName>;
  /**
   * A human description.
   * @default ""
   * @example "A tiny greeting microservice"
   */
  description?: pulumi.Input<string>;
  /**
   * Pod size.
   * @default "small"
   * @example "medium"
   */
  resourceTier?: pulumi.Input<TierName>;
  /**
   * How the app scales. The preview shows the effective values (defaults applied, clamped).
   * @default platform defaults: `{ reservedCapacity: 0, maxReplicas: 5, scaleMetric: "REQUEST_RATE", scaleThreshold: 10, scaledownPeriodSecs: 300 }`
   * @example { reservedCapacity: 1, maxReplicas: 3 }
   */
  scaling?: pulumi.Input<ScalingArgs>;
  /**
   * Environment variables for the app's pods. Values may be secrets; the whole map is stored
   * encrypted in state.
   * @default {}
   * @example { GREETING: "Hello", API_KEY: config.requireSecret("apiKey") }
   */
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Ports the app listens on, in order; one public URL per port.
   * @default [80]
   * @example [80, 8080]
   */
  ports?: pulumi.Input<pulumi.Input<number>[]>;
  /**
   * Whether the public URL may be invoked without a token (CORS-open).
   * @default false
   * @example true
   */
  allowUnauthenticated?: pulumi.Input<boolean>;
  /**
   * The path the platform probes before a pod serves (`--health-path`): `GET <healthPath>`
   * must answer 2xx/3xx. It is also the default path of a PublishedVersion's `healthCheck`.
   * @default "" (no readiness probe: a pod is ready once its handler is loaded)
   * @example "/healthz"
   */
  healthPath?: pulumi.Input<string>;
  /**
   * Bring an app that already exists on the platform under management instead of creating
   * it: `create` checks that the app exists with the same organization, name and runtime,
   * then updates its config to these args (and `pulumi destroy` deletes it from then on).
   * Without it, an app of this name that this stack does not manage fails the preview
   * (unless it is an empty app with exactly this config, i.e. our own interrupted create);
   * with it, an app that does not exist, or has another runtime, fails the preview.
   * `pulumi import` does not work for dynamic resources on Pulumi 3.248.
   * @default false
   * @example true
   */
  adopt?: pulumi.Input<boolean>;
}

/** The checked inputs the provider receives (defaults applied). */
export interface AppInputs extends PlainAppConfig, OptionInputs {
  appId: string;
  name: string;
  organization: string;
  runtime: RuntimeName;
  adopt: boolean;
  /**
   * Set by `check` when `up` will adopt an app that exists (`adopt: true`), saying so and what
   * it will change, so the preview shows an adoption rather than a plain create.
   */
  adopting?: string;
}

/** State: the inputs, with the config fields as the platform holds them. */
export type AppOutputs = Omit<AppInputs, "adopting">;

// ---- defaults ------------------------------------------------------------------------------

/** The platform's cap on `maxReplicas` ("typically 5"). */
export const MAX_REPLICAS_CAP = PLATFORM_MAX_REPLICAS_CAP;

/** The effective scaling the platform will hold for `s`, recording problems in `f`. */
export function effectiveScaling(s: unknown, f: Failures): PlainScaling | string {
  if (isUnknown(s)) return s as string;
  let args = (s ?? {}) as Record<string, unknown>;
  if (typeof args !== "object" || Array.isArray(args)) {
    f.add("scaling", messages.app.scalingNotObject());
    args = {};
  }
  const int = (key: keyof PlainScaling, dflt: number): number => {
    const v = args[key];
    if (v === undefined || v === null) return dflt;
    if (isUnknown(v)) return v as unknown as number;
    if (!isNonNegativeInt(v)) {
      f.add(`scaling.${key}`, messages.app.scalingNotWhole(key, v));
      return dflt;
    }
    return v;
  };
  const reservedCapacity = int("reservedCapacity", SCALING_DEFAULTS.reservedCapacity);
  const requestedMax = int("maxReplicas", 0);
  const maxReplicas = isUnknown(requestedMax)
    ? requestedMax
    : Math.min(requestedMax === 0 ? SCALING_DEFAULTS.maxReplicas : requestedMax, MAX_REPLICAS_CAP);
  const threshold = int("scaleThreshold", 0);
  const scaleThreshold = isUnknown(threshold) || threshold !== 0 ? threshold : SCALING_DEFAULTS.scaleThreshold;
  const scaledown = int("scaledownPeriodSecs", 0);
  let scaledownPeriodSecs = scaledown;
  if (!isUnknown(scaledown)) {
    if (scaledown === 0) scaledownPeriodSecs = SCALING_DEFAULTS.scaledownPeriodSecs;
    else if (scaledown < MIN_SCALEDOWN_SECS) {
      f.add("scaling.scaledownPeriodSecs", messages.app.scaledownTooShort(SCALING_DEFAULTS.scaledownPeriodSecs, MIN_SCALEDOWN_SECS, scaledown));
    }
  }
  let scaleMetric = args.scaleMetric as ScaleMetricName | undefined;
  if (scaleMetric === undefined || scaleMetric === null) scaleMetric = SCALING_DEFAULTS.scaleMetric;
  else checkOneOf(f, "scaling.scaleMetric", SCALE_METRICS, scaleMetric);
  for (const key of Object.keys(args)) {
    if (!(key in SCALING_DEFAULTS)) {
      f.add(`scaling.${key}`, messages.app.scalingUnknownField(key, Object.keys(SCALING_DEFAULTS)));
    }
  }
  if (typeof reservedCapacity === "number" && typeof maxReplicas === "number" && reservedCapacity > maxReplicas) {
    const capped = requestedMax !== 0 && requestedMax > MAX_REPLICAS_CAP ? MAX_REPLICAS_CAP : undefined;
    f.add("scaling.reservedCapacity", messages.app.reservedAboveMax(reservedCapacity, maxReplicas, capped));
  }
  return { reservedCapacity, maxReplicas, scaleMetric, scaleThreshold, scaledownPeriodSecs };
}

// ---- check ---------------------------------------------------------------------------------

/** Validates and defaults the App's inputs; every failure names its property. */
export function checkApp(news: Record<string, unknown>, defaultOrganization?: string): pulumi.dynamic.CheckResult<AppInputs> {
  const f = new Failures();
  const known = (v: unknown) => v !== undefined && !isUnknown(v);

  const name = news.name;
  if (!isUnknown(name)) {
    const p = dnsLabelProblem(name);
    if (p) f.add("name", messages.app.badName(p));
  }
  let organization = news.organization ?? defaultOrganization;
  if (organization === undefined || organization === "") {
    organization = "";
    f.add("organization", messages.app.noOrganization());
  } else if (!isUnknown(organization)) {
    const p = dnsLabelProblem(organization);
    if (p) f.add("organization", messages.app.badOrganization(p));
  }
  const runtime = news.runtime ?? "python";
  checkOneOf(f, "runtime", RUNTIMES, runtime);
  const description = news.description ?? "";
  if (known(description) && typeof description !== "string") f.add("description", messages.app.descriptionNotString());
  const resourceTier = news.resourceTier ?? "small";
  checkOneOf(f, "resourceTier", TIERS, resourceTier);
  const scaling = effectiveScaling(news.scaling, f);
  const env = (news.env ?? {}) as Record<string, unknown>;
  if (!isUnknown(env)) {
    if (typeof env !== "object" || Array.isArray(env)) f.add("env", messages.app.envNotMap());
    else
      for (const [k, v] of Object.entries(env)) {
        if (!isEnvName(k)) f.add(`env.${k}`, messages.app.envBadName(k));
        if (!isUnknown(v) && typeof v !== "string") f.add(`env.${k}`, messages.app.envNotString(k, typeof v));
      }
  }
  const ports = news.ports ?? [80];
  if (!isUnknown(ports)) {
    if (!Array.isArray(ports) || ports.length === 0) f.add("ports", messages.app.portsEmpty());
    else {
      ports.forEach((p, i) => {
        if (!isUnknown(p) && !(Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535)) {
          f.add(`ports[${i}]`, messages.app.badPort(i, p));
        }
      });
      if (new Set(ports).size !== ports.length) f.add("ports", messages.app.duplicatePort());
    }
  }
  const allowUnauthenticated = news.allowUnauthenticated ?? false;
  if (known(allowUnauthenticated) && typeof allowUnauthenticated !== "boolean") f.add("allowUnauthenticated", messages.app.notBoolean("allowUnauthenticated"));
  const healthPath = news.healthPath ?? "";
  if (known(healthPath) && (typeof healthPath !== "string" || (healthPath !== "" && !healthPath.startsWith("/")))) f.add("healthPath", messages.app.badHealthPath(healthPath));
  const adopt = news.adopt ?? false;
  if (known(adopt) && typeof adopt !== "boolean") f.add("adopt", messages.app.notBoolean("adopt"));
  for (const failure of timeoutFailures(news.__timeouts)) f.add(failure.property, failure.reason);
  if (news.deleteBeforeReplace === false) f.add("deleteBeforeReplace", messages.app.createFirstReplace());

  const appId = isUnknown(organization) || isUnknown(name) ? news.appId ?? "" : `${organization}/${name}`;
  const inputs = {
    appId,
    name,
    organization,
    runtime,
    description,
    resourceTier,
    scaling,
    env,
    ports,
    allowUnauthenticated,
    healthPath,
    adopt,
    ...(news.__timeouts !== undefined ? { __timeouts: news.__timeouts } : {}),
    ...(news.__ignoreChanges !== undefined ? { __ignoreChanges: news.__ignoreChanges } : {}),
  } as AppInputs;
  return { inputs: jsonSafe(inputs), failures: f.list };
}

// ---- the request bodies ----------------------------------------------------------------------

function configInit(i: AppInputs): AppConfigInit {
  return {
    description: i.description,
    resourceTier: tierToProto[i.resourceTier],
    scaling: {
      reservedCapacity: i.scaling.reservedCapacity,
      maxReplicas: i.scaling.maxReplicas,
      scaleMetric: metricToProto[i.scaling.scaleMetric],
      scaleThreshold: i.scaling.scaleThreshold,
      scaledownPeriodSecs: i.scaling.scaledownPeriodSecs,
    },
    env: i.env,
    ports: i.ports,
    allowUnauthenticated: i.allowUnauthenticated,
    healthPath: i.healthPath ?? "",
  };
}

/** Config fields: input name → UpdateAppConfig mask path. */
const CONFIG_FIELDS = {
  description: "description",
  resourceTier: "resource_tier",
  scaling: "scaling",
  env: "env",
  ports: "ports",
  allowUnauthenticated: "allow_unauthenticated",
  healthPath: "health_path",
} as const satisfies Record<keyof PlainAppConfig, string>;
type ConfigField = keyof typeof CONFIG_FIELDS;
const SCALING_FIELDS = Object.keys(SCALING_DEFAULTS) as (keyof PlainScaling)[];

/**
 * What the provider makes the live app look like: the inputs, with every path `ignoreChanges`
 * names left as the live app has it (the engine only keeps the old inputs there; without this
 * the live diff would still set an ignored field back).
 */
export function desiredConfig(i: AppInputs, live: PlainApp): AppInputs {
  return withIgnoredFromLive(i, live, ignoredPaths(i.__ignoreChanges));
}

/** The config fields where `live` differs from what `desired` asks for (`healthPath` of old state counts as ""). */
export function configDrift(desired: AppInputs, live: PlainApp): ConfigField[] {
  return (Object.keys(CONFIG_FIELDS) as ConfigField[]).filter((k) => !jsonEqual(k === "healthPath" ? (desired[k] ?? "") : desired[k], live[k]));
}

/**
 * The UpdateAppConfig mask for `fields`: whole fields, except that a scaling change whose
 * ignored parts are left alone names only the scaling fields that differ (`scaling.<field>`),
 * so an ignored one is not overwritten with a stale value.
 */
export function updateMask(desired: AppInputs, live: PlainApp, fields: ConfigField[]): string[] {
  const ignored = ignoredPaths(desired.__ignoreChanges);
  return fields.flatMap((k) => {
    if (k === "scaling" && ignored.some((p) => p[0] === "scaling" && p.length > 1)) {
      return SCALING_FIELDS.filter((sf) => desired.scaling[sf] !== live.scaling[sf]).map((sf) => `scaling.${camelToSnake(sf)}`);
    }
    return [CONFIG_FIELDS[k]];
  });
}

const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function outputs(inputs: AppInputs, live: PlainApp): AppOutputs {
  const { adopting: _adopting, ...kept } = inputs;
  return {
    ...kept,
    appId: live.appId,
    description: live.description,
    resourceTier: live.resourceTier,
    scaling: live.scaling,
    env: live.env,
    ports: live.ports,
    allowUnauthenticated: live.allowUnauthenticated,
    healthPath: live.healthPath,
  };
}

/**
 * The inputs that describe the live app (what `read` returns, so `pulumi refresh` and
 * `preview --refresh --diff` show each field changed elsewhere as old → new). An env variable
 * this stack did not set is returned as a secret: its value was never reviewed here.
 */
export function inputsOf(outs: AppOutputs, previousEnv: Record<string, string>): Record<string, unknown> {
  const env = Object.fromEntries(Object.entries(outs.env).map(([k, v]) => [k, k in previousEnv ? v : engineSecret(v)]));
  return jsonSafe({ ...outs, env });
}

// ---- the provider ----------------------------------------------------------------------------

/**
 * An app `create` takes over without `adopt`: empty (never published) and exactly as asked.
 * That is what our own interrupted create leaves behind, so `create` stays safe to retry.
 */
export function isOwnLeftover(i: AppInputs, live: PlainApp): boolean {
  return live.latestVersion === 0 && live.runtime === i.runtime && configDrift(i, live).length === 0;
}

/**
 * What the platform already says about creating this App, at preview: an app this stack does
 * not manage holds the name (without `adopt`), or the app to adopt is missing or has another
 * runtime. `olds` are the previous inputs; a known app id there means this stack manages it.
 */
export function platformFailures(olds: Partial<AppInputs>, i: AppInputs, live: PlainApp | undefined): CheckFailure[] {
  const creating = olds.appId !== i.appId;
  if (!creating) return [];
  if (i.adopt) {
    if (!live) return [{ property: "adopt", reason: messages.app.adoptMissing(i.appId).replace(/^ignite: /, "") }];
    if (live.runtime !== i.runtime) return [{ property: "runtime", reason: messages.app.adoptRuntime(i.appId, live.runtime, i.runtime).replace(/^ignite: /, "") }];
    return [];
  }
  if (live && !isOwnLeftover(i, live)) return [{ property: "name", reason: messages.app.nameTaken(i.appId, i.name, live) }];
  return [];
}

/**
 * The reads an existing app's resources make in a preview, started at its App's check: the
 * app (the App's diff, then the PublishedVersion's) and its draft (the Draft's diff).
 */
const READS_AHEAD = { app: 2, draft: 1 } as const;

/** @internal */
export function appProvider(ctx: ProviderContext): pulumi.dynamic.ResourceProvider<AppInputs, AppOutputs> {
  /** One UpdateAppConfig for the fields that differ, leaving ignored paths as they are live. */
  async function applyConfig(i: AppInputs, live: PlainApp, deadline: Deadline): Promise<PlainApp> {
    const desired = desiredConfig(i, live);
    const fields = configDrift(desired, live);
    if (fields.length === 0) return live;
    const app = await ctx.platform(deadline).updateAppConfig({
      organizationName: i.organization,
      appName: i.name,
      ...configInit(desired),
      mask: updateMask(desired, live, fields),
    });
    return plainApp(app);
  }

  async function adopt(i: AppInputs, how: "adopting" | "taking over the empty, identical", deadline: Deadline): Promise<pulumi.dynamic.CreateResult<AppOutputs>> {
    const existing = await ctx.platform(deadline).getApp(i.organization, i.name);
    if (!existing) throw new Error(messages.app.adoptMissing(i.appId));
    const live = plainApp(existing);
    if (live.runtime !== i.runtime) throw new Error(messages.app.adoptRuntime(i.appId, live.runtime, i.runtime));
    ctx.log(messages.app.adopting(how, i.appId, configDrift(desiredConfig(i, live), live)));
    return { id: i.appId, outs: outputs(i, await applyConfig(i, live, deadline)) };
  }

  /** Runs an operation under its custom timeout; an error after the time is up says so. */
  async function timed<T>(i: AppInputs, operation: Operation, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = new Deadline(operation, i.__timeouts);
    try {
      return await fn(deadline);
    } catch (err) {
      if (deadline.limited && deadline.expired()) throw new Error(messages.options.timedOut(operation, deadline.limitSecs!, i.appId, (err as Error).message), { cause: err });
      throw err;
    }
  }

  return {
    async check(olds, news) {
      const result = checkApp(news as unknown as Record<string, unknown>, ctx.defaultOrganization());
      const i = result.inputs as AppInputs;
      const org = typeof i.organization === "string" && !isUnknown(i.organization) && !dnsLabelProblem(i.organization) ? i.organization : undefined;
      const origin = org !== undefined && org === ctx.defaultOrganization() ? "`ignite:organization` / DODIL_ORG (the App's default `organization`)" : "the App's `organization`";
      const problem = await ctx.preflight(org, origin);
      if (problem) return { inputs: result.inputs, failures: [...(result.failures ?? []), { property: "", reason: problem }] };
      if ((result.failures ?? []).length > 0 || org === undefined || isUnknown(i.name) || isUnknown(i.adopt) || isUnknown(i.runtime)) return result;
      if ((olds as Partial<AppInputs>).appId === i.appId) {
        // The diff comes next, and the app's Draft and PublishedVersion after it: their
        // platform reads start now, in parallel, instead of one per turn (read-ahead.ts).
        ctx.platform().readAhead(i.organization, i.name, READS_AHEAD);
        return result;
      }
      const found = await ctx.platform().getApp(i.organization, i.name);
      const live = found ? plainApp(found) : undefined;
      const failures = platformFailures(olds as Partial<AppInputs>, i, live);
      // An adoption is not a create: say so where the preview shows this App.
      const adopting = failures.length === 0 && i.adopt && live ? messages.app.adoptionPlan(i.appId, live, adoptionChanges(i, live)) : undefined;
      return { inputs: adopting ? ({ ...result.inputs, adopting } as AppInputs) : result.inputs, failures };
    },

    create: (i) => timed(i, "create", (deadline) => create(i, deadline)),

    async read(id, props) {
      const old = props as AppOutputs;
      const found = await ctx.platform().getApp(old.organization, old.name);
      if (!found) return {};
      const live = plainApp(found);
      const outs = outputs({ ...old, runtime: live.runtime ?? old.runtime }, live);
      return readResult(id, outs, inputsOf(outs, old.env ?? {}));
    },

    update: (_id, _olds, news) =>
      timed(news, "update", async (deadline) => {
        const found = await ctx.platform(deadline).getApp(news.organization, news.name);
        if (!found) throw new Error(messages.app.deletedBeforeUpdate(news.appId));
        return { outs: outputs(news, await applyConfig(news, plainApp(found), deadline)) };
      }),

    delete: (_id, props) => timed(props as AppInputs, "delete", (deadline) => ctx.platform(deadline).deleteApp(props.organization, props.name)),

    async diff(_id, olds, news) {
      const known = !isUnknown(news.organization) && !isUnknown(news.name);
      // Started by check already, unless the engine skipped it (read-ahead.ts).
      if (known) ctx.platform().readAhead(news.organization, news.name, READS_AHEAD);
      const found = known ? await ctx.platform().getApp(news.organization, news.name) : undefined;
      return reportDiff(ctx, diffApp(olds, news, found ? plainApp(found) : undefined));
    },
  };

  async function create(i: AppInputs, deadline: Deadline): Promise<pulumi.dynamic.CreateResult<AppOutputs>> {
      if (i.adopt) return adopt(i, "adopting", deadline);
      try {
        const created = await ctx.platform(deadline).createApp({
          organizationName: i.organization,
          name: i.name,
          runtime: runtimeToProto[i.runtime],
          ...configInit(i),
        });
        return { id: i.appId, outs: outputs(i, plainApp(created)) };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // The preview found no foreign app of this name (check): this one is our own
        // interrupted create (empty, identical: take it), or appeared since the preview.
        const existing = await ctx.platform(deadline).getApp(i.organization, i.name);
        const live = existing && plainApp(existing);
        if (live && isOwnLeftover(i, live)) return adopt(i, "taking over the empty, identical", deadline);
        throw new Error(messages.app.createConflict(i.appId), { cause: err });
      }
  }
}

/** The config fields adopting `live` changes, with their values (env: names only). */
export function adoptionChanges(i: AppInputs, live: PlainApp): string[] {
  const desired = desiredConfig(i, live);
  return configDrift(desired, live).map((k) => (k === "env" ? `env (${envChanges(live.env, desired.env)})` : `${k}: ${stableJson(live[k])} → ${stableJson(desired[k])}`));
}

/** "API_KEY changed, DEBUG removed": which env variables differ, without their values. */
export function envChanges(live: Record<string, string>, desired: Record<string, string>): string {
  const parts: string[] = [];
  for (const k of Object.keys(desired).sort()) if (!(k in live)) parts.push(`${k} added`);
  for (const k of Object.keys(desired).sort()) if (k in live && live[k] !== desired[k]) parts.push(`${k} changed`);
  for (const k of Object.keys(live).sort()) if (!(k in desired)) parts.push(`${k} removed`);
  return parts.join(", ");
}

// ---- diff ----------------------------------------------------------------------------------

export interface AppDiff extends pulumi.dynamic.DiffResult {
  /** Why, for the person reading the preview (out-of-band changes). */
  notes: string[];
}

/**
 * Compares what the program asks for (`news`) with the previous state (`olds`) and the live
 * app (`live`, undefined when it no longer exists).
 *
 * replace: name, organization, runtime (and a vanished app, created again), deleting the old
 * app first when the app id stays the same;
 * update in place: description, resourceTier, scaling, env, ports, allowUnauthenticated;
 * ignored: adopt (it only matters on create).
 */
export function diffApp(olds: AppOutputs, news: AppInputs, live: PlainApp | undefined): AppDiff {
  const notes: string[] = [];
  const replaces = (["name", "organization", "runtime"] as const).filter((k) => !jsonEqual(olds[k], news[k]));
  // An app's id is its organization and name: while they stay, the old app must go first, or
  // CreateApp would find it in the way. (The App's resource option deleteBeforeReplace says
  // so for every replacement, the ones the engine forces without asking diff included.)
  const sameId = replaces.every((k) => k === "runtime");
  if (live === undefined) {
    if (sameId) {
      notes.push(messages.app.noteGone(news.appId));
      return { changes: true, replaces: [...new Set([...replaces, "appId"])], deleteBeforeReplace: true, notes };
    }
    return { changes: true, replaces, deleteBeforeReplace: false, notes };
  }
  if (!replaces.includes("runtime") && !isUnknown(news.runtime) && live.runtime !== news.runtime) {
    notes.push(messages.app.noteRuntime(news.appId, live.runtime, news.runtime));
    replaces.push("runtime");
  }
  if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: sameId, notes };
  const unknownInputs = (Object.keys(CONFIG_FIELDS) as ConfigField[]).some((k) => isUnknown(news[k]));
  if (unknownInputs) return { changes: true, replaces: [], deleteBeforeReplace: false, notes };
  const desired = desiredConfig(news, live);
  const drift = configDrift(desired, live);
  const outOfBand = drift.filter((k) => jsonEqual(olds[k] ?? (k === "healthPath" ? "" : undefined), news[k]));
  if (outOfBand.length > 0) notes.push(messages.app.noteDrift(news.appId, outOfBand.map((k) => driftDetail(k, live, desired))));
  return { changes: drift.length > 0, replaces: [], deleteBeforeReplace: false, notes };
}

/** "scaling.maxReplicas 4 → 2": what changed outside Pulumi and what `up` sets back (env: names only). */
function driftDetail(k: ConfigField, live: PlainApp, desired: AppInputs): string {
  if (k === "env") return `env (${envChanges(live.env, desired.env)})`;
  if (k === "scaling") {
    return SCALING_FIELDS.filter((sf) => live.scaling[sf] !== desired.scaling[sf])
      .map((sf) => `scaling.${sf} ${live.scaling[sf]} → ${desired.scaling[sf]}`)
      .join(", ");
  }
  return `${k} ${stableJson(live[k])} → ${stableJson(desired[k])}`;
}

// ---- the resource ----------------------------------------------------------------------------

/** Every key of AppArgs, in one list: the App registers each (set or not), the Service passes each on. */
export const APP_ARG_KEYS = [
  "name",
  "organization",
  "runtime",
  "description",
  "resourceTier",
  "scaling",
  "env",
  "ports",
  "allowUnauthenticated",
  "healthPath",
  "adopt",
] as const satisfies readonly (keyof AppArgs)[];

// A key added to AppArgs and not to the list fails the build here.
const appArgKeysComplete: [Exclude<keyof AppArgs, (typeof APP_ARG_KEYS)[number]>] extends [never] ? true : never = true;
void appArgKeysComplete;

/** The AppArgs keys of `args` (a Service's args, say), each present even when undefined. */
export function appArgsOf(args: AppArgs): AppArgs {
  return Object.fromEntries(APP_ARG_KEYS.map((k) => [k, args[k]])) as AppArgs;
}

/**
 * An Ignite app: metadata and config, no code.
 *
 * ```ts
 * const app = new ignite.App("greet", {
 *   runtime: "python",
 *   scaling: { maxReplicas: 3 },
 *   env: { API_KEY: config.requireSecret("apiKey") },
 * });
 * ```
 *
 * Pair it with a `Draft` (the code) and a `PublishedVersion` (what runs).
 */
export class App extends IgniteResource {
  /** "<organization>/<name>", e.g. "acme-corp/greet". */
  declare readonly appId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly organization: pulumi.Output<string>;
  declare readonly runtime: pulumi.Output<RuntimeName>;
  declare readonly description: pulumi.Output<string>;
  declare readonly resourceTier: pulumi.Output<TierName>;
  /** The effective scaling the platform holds (defaults applied, clamped). */
  declare readonly scaling: pulumi.Output<PlainScaling>;
  /** Secret: the whole map is stored encrypted. */
  declare readonly env: pulumi.Output<Record<string, string>>;
  declare readonly ports: pulumi.Output<number[]>;
  declare readonly allowUnauthenticated: pulumi.Output<boolean>;
  /** The pods' readiness probe path ("" for none). */
  declare readonly healthPath: pulumi.Output<string>;

  constructor(name: string, args: AppArgs = {}, opts?: pulumi.CustomResourceOptions) {
    // The naming rule: `name` as given, else `ignite:namePrefix` (DODIL_NAME_PREFIX) + the
    // resource name, so two stacks of one program in one organization need not collide.
    const appName = args.name ?? `${namePrefix()}${name}`;
    const organization = normalizeOrganization(args.organization);
    // So a Draft given this App's id as a string knows its runtime too (see Draft).
    const runtime = args.runtime ?? "python";
    // Known now in the usual program (plain strings): then `appId` is registered as a plain
    // value, not an Output (each Output input costs the SDK a promise with a formatted stack
    // when it serializes the inputs; issue 11).
    const plainId = typeof organization === "string" && typeof appName === "string" ? `${organization}/${appName}` : undefined;
    if (plainId !== undefined && typeof runtime === "string") declareAppRuntime(plainId, runtime);
    else if (organization !== undefined) pulumi.all([organization, appName, runtime]).apply(([org, n, r]) => declareAppRuntime(`${org}/${n}`, r));
    super(
      "app",
      "App",
      name,
      {
        // Every output is named here, set or not: Pulumi makes an output property only for
        // the keys it is given, so an arg left out would read as undefined in the program.
        ...appArgsOf(args),
        name: appName,
        organization,
        // Computed here, not by the provider, so dependents see it during preview.
        appId: plainId ?? (organization === undefined ? undefined : pulumi.interpolate`${organization}/${appName}`),
        // Only to fail the preview: an App cannot be replaced create-first (see below).
        ...(opts?.deleteBeforeReplace === false ? { deleteBeforeReplace: false } : {}),
        ...optionInputs(opts),
      },
      // An app's id is its organization and name, so two cannot exist at once: every
      // replacement deletes the old app first, also the ones the engine forces (`pulumi up
      // --replace`, `replaceOnChanges`), which do not ask the provider's diff.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["env"], deleteBeforeReplace: true }),
    );
    // So a Draft of this App knows its runtime when it is made (see Draft).
    if (plainId !== undefined) declarePlainAppId(this, plainId);
  }
}

/** The program's stack config, by full "namespace:key" names, as the settings are read. */
const programConfig: ConfigSource = {
  get: (key) => {
    const at = key.indexOf(":");
    return new pulumi.Config(key.slice(0, at)).get(key.slice(at + 1));
  },
};

/** `ignite:namePrefix`, else DODIL_NAME_PREFIX, else "" (read in the program). */
export function namePrefix(): string {
  return new pulumi.Config("ignite").get("namePrefix") ?? process.env.DODIL_NAME_PREFIX ?? "";
}

/** The organization: the arg, else the default organization (read in the program, never in the provider closure). */
function normalizeOrganization(org: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined {
  return org ?? defaultOrganization(programConfig);
}
