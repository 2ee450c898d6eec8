// `ignite.Service`: the common case in one resource — an App, the Draft holding its code and the
// PublishedVersion that makes the code live (with its health gate), from one args object. Its
// children are exactly those three resources, so `pulumi preview --diff` shows each of them as
// precisely as when they are declared one by one.
import * as pulumi from "@pulumi/pulumi";
import { App, appArgsOf, type AppArgs } from "./app.js";
import type { PlainScaling, RuntimeName } from "./common.js";
import { Draft, type DraftArgs } from "./draft.js";
import type { HealthCheckArgs } from "./health-check.js";
import { PublishedVersion, type PublishedVersionArgs } from "./published-version.js";

/**
 * Changes one child's args and resource options before it is created (SST's `transform`):
 * either args to merge in, or a function that edits `args` and `opts` in place.
 */
export type Transform<T> = Partial<T> | ((args: T, opts: pulumi.CustomResourceOptions, name: string) => void);

/**
 * The App's args (name, organization, description, resourceTier, scaling, env, ports,
 * allowUnauthenticated, healthPath, adopt — documented on `AppArgs`), the Draft's code args
 * (code, include, exclude, rust — on `DraftArgs`) and the PublishedVersion's release args
 * (version, expectCodeHash, expectManifest — on `PublishedVersionArgs`), in one object.
 */
export interface ServiceArgs
  extends Omit<AppArgs, "runtime">,
    Pick<DraftArgs, "code" | "include" | "exclude" | "rust">,
    Pick<PublishedVersionArgs, "version" | "expectCodeHash" | "expectManifest"> {
  /**
   * The runtime. Changing it replaces the app.
   * @default "rust" when `rust` is set, else "python"
   * @example "python"
   */
  runtime?: pulumi.Input<RuntimeName>;
  /**
   * Call the app after each release and roll back when it does not answer as expected; `true`
   * for the defaults (GET the App's `healthPath`, else "/", expecting a 2xx status).
   * @default undefined (no health check)
   * @example { path: "/healthz", expectStatus: 200, timeoutSecs: 180 }
   */
  healthCheck?: pulumi.Input<HealthCheckArgs> | true;
  /**
   * Change the args or resource options of a child before it is created, e.g. to set
   * `customTimeouts` or `ignoreChanges` on it.
   * @default {}
   * @example { app: (args, opts) => { opts.ignoreChanges = ["scaling"]; } }
   */
  transform?: {
    app?: Transform<AppArgs>;
    draft?: Transform<DraftArgs>;
    publishedVersion?: Transform<PublishedVersionArgs>;
  };
}

/**
 * An Ignite app with its code, released: an `App`, a `Draft` and a `PublishedVersion`.
 *
 * ```ts
 * const greet = new ignite.Service("greet", {
 *   code: "./app",
 *   healthPath: "/healthz",
 *   healthCheck: true,
 *   scaling: { maxReplicas: 3 },
 * });
 * export const url = greet.url;
 * ```
 *
 * Each change touches only the child it concerns: a scaling change is one UpdateAppConfig, a
 * file change one SaveDraft and one PublishDraft. Use the three resources directly when one
 * stack owns the app and another its code.
 */
export class Service extends pulumi.ComponentResource {
  /** "<organization>/<name>". */
  readonly appId: pulumi.Output<string>;
  /** The code hash of the active version: what actually runs. */
  readonly codeHash: pulumi.Output<string>;
  /** The per-file manifest of the code in `code` (export it with `codeHash` for promotion). */
  readonly manifest: pulumi.Output<Record<string, string>>;
  /** The active version. */
  readonly activeVersion: pulumi.Output<number>;
  /** One public URL per port. */
  readonly publicUrls: pulumi.Output<string[]>;
  /** The first public URL. */
  readonly url: pulumi.Output<string>;
  private readonly children: { app: App; draft: Draft; publishedVersion: PublishedVersion };

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ignite:index:Service", name, {}, opts);
    const app = createApp(this, name, args);
    const draft = createDraft(this, name, args, app);
    const publishedVersion = createPublishedVersion(this, name, args, app, draft);
    this.children = { app, draft, publishedVersion };
    this.appId = app.appId;
    this.codeHash = publishedVersion.codeHash;
    this.manifest = draft.manifest;
    this.activeVersion = publishedVersion.activeVersion;
    this.publicUrls = publishedVersion.publicUrls;
    this.url = publishedVersion.publicUrls.apply((urls) => urls?.[0] ?? "");
    this.registerOutputs({ appId: this.appId, codeHash: this.codeHash, activeVersion: this.activeVersion, publicUrls: this.publicUrls });
  }

  /** The child resources, for what the Service does not pass through. */
  get nodes(): { app: App; draft: Draft; publishedVersion: PublishedVersion } {
    return this.children;
  }

  /** The effective scaling the platform holds. */
  get scaling(): pulumi.Output<PlainScaling> {
    return this.children.app.scaling;
  }
}

function transformed<T>(parent: Service, name: string, args: T, transform: Transform<T> | undefined): [T, pulumi.CustomResourceOptions] {
  const opts: pulumi.CustomResourceOptions = { parent };
  if (typeof transform === "function") transform(args, opts, name);
  else if (transform) Object.assign(args as object, transform);
  return [args, opts];
}

function createApp(parent: Service, name: string, args: ServiceArgs): App {
  const runtime = args.runtime ?? (args.rust !== undefined ? "rust" : undefined);
  const appArgs: AppArgs = { ...appArgsOf(args), runtime };
  return new App(name, ...transformed(parent, name, definedOnly(appArgs), args.transform?.app));
}

function createDraft(parent: Service, name: string, args: ServiceArgs, app: App): Draft {
  const draftArgs: DraftArgs = { app, code: args.code, include: args.include, exclude: args.exclude, rust: args.rust };
  return new Draft(name, ...transformed(parent, name, definedOnly(draftArgs), args.transform?.draft));
}

function createPublishedVersion(parent: Service, name: string, args: ServiceArgs, app: App, draft: Draft): PublishedVersion {
  const pvArgs: PublishedVersionArgs = {
    app,
    codeHash: draft.codeHash,
    version: args.version,
    healthCheck: args.healthCheck === true ? {} : args.healthCheck,
    expectCodeHash: args.expectCodeHash,
    expectManifest: args.expectManifest,
  };
  return new PublishedVersion(name, ...transformed(parent, name, definedOnly(pvArgs), args.transform?.publishedVersion));
}

/** Leaves out args that are not set, so each child applies its own defaults. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

