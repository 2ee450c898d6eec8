// The providers' implementation, loaded by the shim (./shim.ts) inside the dynamic-provider
// process. Its only module state is the connection: the stack config handed to `configure`,
// and the client made from it on first use. Nothing here is ever serialized into state.
// First: the modules below compile from Node's cache where it has them (compile-cache.ts).
import { flushCompileCache } from "./compile-cache.js";
import type * as pulumi from "@pulumi/pulumi";
import { checkConnection, createIgniteClient, resolveConnection, type CallOptions, type ConfigSource, type IgniteClient, type ResolvedConnection } from "../client/index.js";
import { defaultOrganization } from "../client/settings.js";
import * as messages from "../messages.js";
import { isNotFound, rustTargetToProto } from "./common.js";
import type { AppMeta } from "../gen/dodil/ignite/v1/compute_pb.js";
import type { Platform, ProviderContext, SaveDraftInit } from "./platform.js";
import { appProvider } from "./app.js";
import { draftProvider } from "./draft.js";
import { callApp } from "./call-app.js";
import { publishedVersionProvider } from "./published-version.js";
import { OrgListings, ReadAhead, type ReadKind } from "./read-ahead.js";
import { NO_DEADLINE, type Deadline } from "./resource-options.js";
import type { ProviderImpl, ResourceKind } from "./shim.js";

let config: ConfigSource = { get: () => undefined };
let resolved: { conn: ResolvedConnection } | { error: Error } | undefined;
let client: IgniteClient | undefined;
/** Reads taken ahead for apps' resources, shared by every platform object of the process (read-ahead.ts). */
const ahead = new ReadAhead();
/** Organizations' listings, answering reads of apps taken ahead (read-ahead.ts). */
const listings = new OrgListings<AppMeta>((org, pageSize, maxPages) => listOrganization(igniteClient(), org, pageSize, maxPages));

/**
 * The apps of `org` by name, as ListApps pages them: page after page of `pageSize`, until the
 * platform says there is no next page or `maxPages` pages were read (an app beyond them is
 * not listed, and OrgListings then reads it on its own).
 */
export async function listOrganization(client: Pick<IgniteClient, "listApps">, org: string, pageSize: number, maxPages: number): Promise<Map<string, AppMeta>> {
  const apps = new Map<string, AppMeta>();
  let pageToken = "";
  for (let page = 0; page < maxPages; page++) {
    const res = await client.listApps({ organizationName: org, pageSize, pageToken });
    for (const app of res.apps) apps.set(app.name, app);
    if (!res.nextPageToken) break;
    pageToken = res.nextPageToken;
  }
  return apps;
}
/** The connection check's answer per organization: at most one ListApps each, per process. */
const checked = new Map<string, Promise<string | undefined>>();

/**
 * Called once per resource kind with the same stack config (secrets arrive unwrapped). The
 * client is made once and shared: closing it here would cut calls another kind has in flight.
 */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  config = { get: (key) => req.config.get(key) };
  if (!client) resolved = undefined;
}

/** The settings, read once (from the config `configure` received, then the environment). */
function connection(): ResolvedConnection {
  resolved ??= (() => {
    try {
      return { conn: resolveConnection(config, process.env) };
    } catch (err) {
      return { error: err as Error };
    }
  })();
  if ("error" in resolved) throw resolved.error;
  return resolved.conn;
}

function igniteClient(): IgniteClient {
  // Resolved on first use, so a missing credential is reported by the call that needs it.
  client ??= createIgniteClient(connection());
  return client;
}

/**
 * The connection check of `check`: the settings must be usable, and one read-only call for
 * `organization` must succeed. Cached, so a preview calls ListApps once per organization
 * however many resources it checks.
 */
function preflight(organization: string | undefined, organizationOrigin: string): Promise<string | undefined> {
  let conn: ResolvedConnection;
  try {
    conn = connection();
  } catch (err) {
    return Promise.resolve(messages.connection.setting((err as Error).message));
  }
  if (!organization) return Promise.resolve(undefined);
  let answer = checked.get(organization);
  if (!answer) {
    answer = checkConnection(igniteClient(), conn, organization, organizationOrigin);
    checked.set(organization, answer);
  }
  return answer;
}

/**
 * The platform's calls for one operation. With a deadline (the resource's `customTimeouts`),
 * each call's own deadline is cut to the time left and a signal stops its retries when the
 * time is up; compile waits and app calls get the same cap. `takeAhead`: the reads take what
 * was read ahead (checks and diffs); an operation that changes something reads live.
 */
function platformOf(c: () => IgniteClient, deadline: Deadline, takeAhead: boolean): Platform {
  const o = (): CallOptions | undefined => {
    if (!deadline.limited) return undefined;
    return { timeoutMs: deadline.cap(c().timeoutMs), signal: deadline.signal() };
  };
  /** The reads taken ahead, as the platform answers them now. */
  const live = {
    app: (org: string, name: string) => c().getAppOrUndefined(org, name, o()),
    async draft(org: string, name: string) {
      try {
        return (await c().getDraft({ organizationName: org, appName: name }, o())).draft;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  } satisfies Record<ReadKind, (org: string, name: string) => Promise<unknown>>;
  /** A change to `appId`: nothing read of it before the change is used after it (read-ahead.ts). */
  const changing = async <T>(appId: string, change: () => Promise<T>): Promise<T> => {
    ahead.forget(appId);
    listings.forget(appId);
    try {
      return await change();
    } finally {
      ahead.forget(appId);
    }
  };
  const read = <T>(kind: ReadKind, org: string, name: string, now: () => Promise<T>): Promise<T> => (takeAhead ? ahead.take(kind, `${org}/${name}`, now) : now());
  return {
    getApp: (org, name) => read("app", org, name, () => live.app(org, name)),
    getDraft: (org, name) => read("draft", org, name, () => live.draft(org, name)),
    // Not read ahead: a PublishedVersion's diff lists versions only when the app read cannot vouch for its state.
    async listVersions(org, name) {
      try {
        const res = await c().listVersions({ organizationName: org, appName: name }, o());
        return { versions: res.versions, activeVersion: res.activeVersion };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    readAhead(org, name, reads) {
      for (const [kind, uses] of Object.entries(reads) as [ReadKind, number][]) {
        // Started already (the App's diff after its check): ask no listing for a reader.
        if (ahead.holds(kind, `${org}/${name}`)) continue;
        // An app's metadata comes from its organization's listing where there is one.
        const listed = kind === "app" ? listings.reader(org, name) : undefined;
        ahead.start(kind, `${org}/${name}`, listed?.read ?? (() => live[kind](org, name)), { uses, at: listed?.at });
      }
    },
    createApp: (req) =>
      changing(`${req.organizationName}/${req.name}`, async () => {
        const res = await c().createApp(req, o());
        if (!res.app) throw new Error(messages.app.returnedNothing("CreateApp", `${req.organizationName}/${req.name}`, "app"));
        return res.app;
      }),
    updateAppConfig: (req) =>
      changing(`${req.organizationName}/${req.appName}`, async () => {
        const { mask, ...fields } = req;
        const res = await c().updateAppConfig({ ...fields, updateMask: { paths: mask } }, o());
        if (!res.app) throw new Error(messages.app.returnedNothing("UpdateAppConfig", `${req.organizationName}/${req.appName}`, "app"));
        return res.app;
      }),
    deleteApp: (org, name) =>
      changing(`${org}/${name}`, async () => {
        try {
          await c().deleteApp({ organizationName: org, appName: name }, o());
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    saveDraft: (req) =>
      changing(`${req.organizationName}/${req.appName}`, async () => {
        const res = await c().saveDraft(
          {
            organizationName: req.organizationName,
            appName: req.appName,
            code: req.image ? imageCode(req.image) : { source: { case: "compile", value: { runtime: compileRuntime(req), input: input(req) } } },
          },
          o(),
        );
        if (!res.draft) throw new Error(messages.app.returnedNothing("SaveDraft", `${req.organizationName}/${req.appName}`, "draft"));
        return res.draft;
      }),
    compileDraft: (org, name, onLog) =>
      changing(`${org}/${name}`, async () => {
        await c().compileDraft({ organizationName: org, appName: name }, o());
        const wait = deadline.limited ? { timeoutMs: deadline.cap(Infinity), signal: deadline.signal() } : {};
        return c().waitForCompile(org, name, { onLog, ...wait });
      }),
    publishDraft: (org, name) =>
      changing(`${org}/${name}`, async () => {
        const res = await c().publishDraft({ organizationName: org, appName: name }, o());
        return { publishedVersion: res.publishedVersion, app: res.app };
      }),
    rollbackVersion: (org, name, version) =>
      changing(`${org}/${name}`, async () => {
        const res = await c().rollbackVersion({ organizationName: org, appName: name, version }, o());
        if (!res.app) throw new Error(messages.app.returnedNothing("RollbackVersion", `${org}/${name}`, "app"));
        return res.app;
      }),
    callApp: (req) => callApp(c(), { ...req, timeoutMs: deadline.cap(req.timeoutMs), signal: deadline.signal() }),
  };
}

function compileRuntime(req: SaveDraftInit) {
  if (req.runtime === "rust") {
    return {
      runtime: {
        case: "rust" as const,
        value: { target: rustTargetToProto[req.rust?.target ?? "native"], toolchain: req.rust?.toolchain ?? "" },
      },
    };
  }
  return { runtime: { case: req.runtime, value: {} } } as { runtime: { case: "python"; value: object } };
}

function imageCode(image: NonNullable<SaveDraftInit["image"]>) {
  const value =
    "imageRef" in image
      ? { source: { case: "imageRef" as const, value: image.imageRef } }
      : { source: { case: "dockerfilePath" as const, value: image.dockerfilePath }, contextArchive: image.contextArchive };
  return { source: { case: "image" as const, value } };
}

function input(req: SaveDraftInit) {
  if (req.archive) return { case: "archive" as const, value: req.archive };
  return { case: "sourceCode" as const, value: req.sourceCode ?? new Uint8Array() };
}

/** Made once (the client itself is made on first use): checks and diffs, and operations without a time limit. */
const forDiffs = platformOf(igniteClient, NO_DEADLINE, true);
const forOperations = platformOf(igniteClient, NO_DEADLINE, false);

const context: ProviderContext = {
  // Checks and diffs (no deadline) take what was read ahead; operations (create, update,
  // delete: with a deadline, limited or not) read live, and one with customTimeouts gets its
  // own platform, whose calls stop at its deadline.
  platform: (deadline) => (deadline === undefined ? forDiffs : deadline.limited ? platformOf(igniteClient, deadline, false) : forOperations),
  preflight,
  defaultOrganization: () => defaultOrganization(config),
  // The engine shows the provider process's output as diagnostics of the resource being
  // worked on; pulumi.log does not reach it from here.
  log: (line) => process.stderr.write(`${line}\n`),
};

export const providers: ProviderImpl["providers"] = {
  app: appProvider(context),
  draft: draftProvider(context),
  publishedVersion: publishedVersionProvider(context),
} satisfies Record<ResourceKind, pulumi.dynamic.ResourceProvider>;

// Every module the providers need is loaded: keep their compiled code for the next process.
flushCompileCache();
