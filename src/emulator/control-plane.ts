/**
 * The control-plane RPCs of ComputeService (apps, the draft, versions), with the semantics of
 * the platform pages. Handlers authenticate from the request headers, validate, then do every
 * read-modify-write of one app under that app's lock. They throw domain errors (errors.ts);
 * the service wrapper (instrument.ts) maps them to Connect codes.
 */
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  AppMetaSchema,
  CompileRuntimeSchema,
  CompileState,
  CompileStateSchema,
  DraftSchema,
  ResourceTier,
  Runtime,
  RustTarget,
  VersionSchema,
  type AppMeta,
  type CompileLogLine,
  type ComputeService,
  type Draft,
  type UpdateAppConfigRequest,
} from "../gen/dodil/ignite/v1/compute_pb.js";
import { unpackArchive } from "./archive.js";
import { bearerToken, type Authenticator } from "./auth.js";
import type { Access, Caller } from "./auth-types.js";
import type { Compiler } from "./compiler.js";
import type { DataPlane, DataPlaneMethods } from "./data-plane.js";
import {
  AlreadyExistsError,
  AppNotFoundError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "./errors.js";
import { checkImageSource } from "./image-drafts.js";
import type { KeyedMutex } from "./mutex.js";
import type { ResolvedOptions } from "./options.js";
import type { Store, StoredDraft, TreeFile } from "./store.js";
import {
  applyScalingDefaults,
  publicUrls,
  validateAppName,
  validateEnv,
  validateHealthPath,
  validateOrgName,
  validatePorts,
  validateToolchain,
} from "./validation.js";
import { enumName } from "./enum-names.js";
import { RUNTIME_PLUGINS, runtimeNamed } from "./runtimes/index.js";

export type ControlPlaneService = Omit<ServiceImpl<typeof ComputeService>, DataPlaneMethods>;

export interface ControlPlaneDeps {
  store: Store;
  auth: Authenticator;
  options: ResolvedOptions;
  locks: KeyedMutex;
  compiler: Compiler;
  /** Late-bound: the data plane is created after the control plane's store and auth. */
  dataPlane: () => DataPlane;
}

/** UpdateAppConfig fields that update_mask may name. */
const MASKABLE = ["description", "resource_tier", "scaling", "env", "ports", "allow_unauthenticated", "health_path"] as const;
type Maskable = (typeof MASKABLE)[number];
const SCALING_FIELDS = ["reserved_capacity", "max_replicas", "scale_metric", "scale_threshold", "scaledown_period_secs"] as const;

export function createControlPlane(deps: ControlPlaneDeps): ControlPlaneService {
  const { store, auth, options, locks, compiler } = deps;
  const now = (): bigint => BigInt(Date.now());

  /** Authenticates the call and checks its org may `access` apps of `org`. */
  const authorize = (ctx: HandlerContext, org: string, access: Access): Caller => {
    const caller = auth.authenticate(bearerToken(ctx.requestHeader.get("authorization")));
    validateOrgName(org);
    auth.authorize(caller, org, access);
    return caller;
  };

  /** Authorizes, validates the app name and returns the id; the app may not exist yet. */
  const appIdFor = (ctx: HandlerContext, org: string, name: string, access: Access, field = "app_name"): string => {
    authorize(ctx, org, access);
    validateAppName(name, field);
    return `${org}/${name}`;
  };

  const mustGetApp = async (appId: string): Promise<AppMeta> => {
    const app = await store.getApp(appId);
    if (!app) throw new AppNotFoundError(appId);
    return app;
  };

  /** Public URLs are derived, so they follow the current --domain even for old state. */
  const present = (app: AppMeta): AppMeta => {
    app.publicUrls = publicUrls(app, options);
    return app;
  };

  const saveApp = async (app: AppMeta): Promise<AppMeta> => {
    app.updateTimeMs = now();
    present(app);
    await store.putApp(app);
    // Awaited: once a call that changed the app returns, every later request sees the change.
    await deps.dataPlane().appChanged(app.appId);
    return app;
  };

  const emptyDraft = (appId: string): Draft => create(DraftSchema, { appId });

  return {
    // ---- apps ----------------------------------------------------------------------------

    async createApp(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.name, "write", "name");
      const runtime = req.runtime === Runtime.UNSPECIFIED ? Runtime.PYTHON : req.runtime;
      checkEnum(runtime, Runtime, "runtime");
      const tier = req.resourceTier === ResourceTier.UNSPECIFIED ? ResourceTier.SMALL : req.resourceTier;
      checkEnum(tier, ResourceTier, "resource_tier");
      const scaling = applyScalingDefaults(req.scaling, options);
      const ports = validatePorts(req.ports);
      validateEnv(req.env);
      validateHealthPath(req.healthPath);
      return locks.run(appId, async () => {
        if (await store.getApp(appId)) throw new AlreadyExistsError(`app ${appId} already exists`);
        const t = now();
        const app = create(AppMetaSchema, {
          appId,
          organizationName: req.organizationName,
          name: req.name,
          description: req.description,
          resourceTier: tier,
          runtime,
          scaling,
          env: { ...req.env },
          ports,
          activeVersion: 0,
          latestVersion: 0,
          publicUrls: [],
          allowUnauthenticated: req.allowUnauthenticated,
          healthPath: req.healthPath,
          createTimeMs: t,
          updateTimeMs: t,
        });
        await store.putApp(app);
        return { appId, app };
      });
    },

    async getApp(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "read");
      return { app: present(await mustGetApp(appId)) };
    },

    async listApps(req, ctx) {
      authorize(ctx, req.organizationName, "read");
      if (req.pageSize < 0) throw new InvalidArgumentError("page_size", "must be >= 0");
      // The page token is the name of the last app of the previous page (names are unique and
      // sorted); only the page's own apps are read.
      const names = (await store.listAppNames(req.organizationName)).filter((n) => req.pageToken === "" || n > req.pageToken);
      const page = req.pageSize > 0 ? names.slice(0, req.pageSize) : names;
      const more = page.length < names.length;
      // A name whose app is gone by now (deleted meanwhile) is left out.
      const apps = (await Promise.all(page.map((n) => store.getApp(`${req.organizationName}/${n}`)))).filter((a): a is AppMeta => a !== undefined);
      return { apps: apps.map(present), nextPageToken: more ? page[page.length - 1]! : "" };
    },

    async updateAppConfig(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "write");
      const paths = maskPaths(req);
      return locks.run(appId, async () => {
        const app = await mustGetApp(appId);
        applyUpdate(app, req, paths, options);
        return { app: await saveApp(app) };
      });
    },

    async deleteApp(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "write");
      await locks.run(appId, async () => {
        if (!(await store.deleteApp(appId))) throw new AppNotFoundError(appId);
      });
      // Awaited, as for changes: once DeleteApp returns, no pod of the app serves a request.
      await deps.dataPlane().appDeleted(appId);
      await compiler.deleted(appId);
      compiler.changed(appId);
      return {};
    },

    // ---- the draft -----------------------------------------------------------------------

    async saveDraft(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "write");
      const code = req.code?.source;
      if (!code || code.case === undefined) {
        throw new InvalidArgumentError("code", "is required: set code.compile (a runtime and source_code or archive) or code.image (dockerfile_path, git_url or image_ref)");
      }
      if (code.case === "image") {
        // Image drafts fit any app: the container runs its own server, whatever the app's runtime.
        const checked = await checkImageSource(code.value, options);
        return locks.run(appId, async () => {
          await mustGetApp(appId);
          const previous = await store.getDraft(appId);
          const draft = create(DraftSchema, {
            appId,
            codeHash: checked.codeHash,
            compileState: CompileState.NOT_REQUIRED,
            files: checked.files.map((f) => f.path),
            sizeBytes: BigInt(checked.files.reduce((n, f) => n + f.data.length, 0)),
            compileError: "",
            compiledCodeHash: previous?.draft.compiledCodeHash ?? "",
            updateTimeMs: now(),
            sourceKind: "image",
            image: checked.image,
          });
          await store.replaceDraft(appId, { draft, compileLog: [] }, checked.saved, checked.files);
          compiler.superseded(appId);
          compiler.changed(appId);
          return { draft };
        });
      }
      const compile = code.value;
      const runtimeCase = compile.runtime?.runtime.case;
      if (!compile.runtime || runtimeCase === undefined) {
        throw new InvalidArgumentError("code.compile.runtime", "is required, e.g. {python: {}} or {rust: {target: RUST_TARGET_NATIVE}}");
      }
      const plugin = runtimeNamed(runtimeCase);
      if (!plugin) throw new InvalidArgumentError("code.compile.runtime", `${runtimeCase} is not a runtime the local Ignite runs (${RUNTIME_PLUGINS.map((r) => r.name).join(", ")})`);
      if (compile.runtime.runtime.case === "rust") {
        const target = compile.runtime.runtime.value.target;
        if (target !== RustTarget.NATIVE && target !== RustTarget.WASM) {
          throw new InvalidArgumentError(
            "code.compile.runtime.rust.target",
            "is required for Rust drafts: pass native or wasm (RUST_TARGET_NATIVE or RUST_TARGET_WASM; --rust-target native|wasm)",
          );
        }
        validateToolchain(compile.runtime.runtime.value.toolchain);
      }
      let saved: Uint8Array;
      let files: TreeFile[];
      if (compile.input.case === "sourceCode") {
        saved = compile.input.value;
        files = [{ path: plugin.entryFile, data: saved, executable: false }];
      } else if (compile.input.case === "archive") {
        saved = compile.input.value;
        files = await unpackArchive(saved, options, "code.compile.archive");
        if (files.length === 0) throw new InvalidArgumentError("code.compile.archive", "contains no files");
      } else {
        throw new InvalidArgumentError("code.compile.input", "set source_code (a single file) or archive (a tar of a directory, optionally gzip-compressed)");
      }
      const runtime = create(CompileRuntimeSchema, compile.runtime);
      return locks.run(appId, async () => {
        const app = await mustGetApp(appId);
        if (plugin.runtime !== app.runtime) {
          throw new InvalidArgumentError(
            "code.compile.runtime",
            `the draft's runtime ${runtimeCase} does not match the app's runtime ${enumName(Runtime, app.runtime)}; save ${enumName(Runtime, app.runtime)} code or create the app with another runtime`,
          );
        }
        const previous = await store.getDraft(appId);
        const draft = create(DraftSchema, {
          appId,
          codeHash: "sha256:" + createHash("sha256").update(saved).digest("hex"),
          // Only a runtime with an explicit compile step (Rust) waits for CompileDraft.
          compileState: plugin.compile ? CompileState.NOT_COMPILED : CompileState.NOT_REQUIRED,
          runtime,
          files: files.map((f) => f.path),
          sizeBytes: BigInt(files.reduce((n, f) => n + f.data.length, 0)),
          compileError: "",
          compiledCodeHash: previous?.draft.compiledCodeHash ?? "",
          updateTimeMs: now(),
          sourceKind: compile.input.case === "archive" ? "archive" : "source",
        });
        await store.replaceDraft(appId, { draft, compileLog: [] }, saved, files);
        compiler.superseded(appId);
        compiler.changed(appId);
        return { draft };
      });
    },

    async getDraft(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "read");
      await mustGetApp(appId);
      const stored = await store.getDraft(appId);
      return { draft: stored?.draft ?? emptyDraft(appId) };
    },

    async compileDraft(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "write");
      return locks.run(appId, async () => {
        await mustGetApp(appId);
        const stored = await mustHaveDraftCode(store, appId);
        const { draft } = stored;
        // Interpreted runtimes compile as part of publish; CompileDraft is the Rust step.
        if (draft.runtime?.runtime.case !== "rust") return { draft };
        if (draft.compileState === CompileState.COMPILING && compiler.isActive(appId, draft.codeHash)) return { draft };
        const started = compiler.start(appId, stored);
        await store.putDraftMeta(appId, started);
        compiler.changed(appId);
        return { draft: started.draft };
      });
    },

    async *streamCompileLogs(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "read");
      await mustGetApp(appId);
      let sent = 0;
      let codeHash: string | undefined;
      for (;;) {
        const stored = await store.getDraft(appId);
        if (!stored) return;
        // A new SaveDraft or CompileDraft restarts the log; a follower keeps following the new one.
        if (codeHash !== undefined && (stored.draft.codeHash !== codeHash || stored.compileLog.length < sent)) sent = 0;
        codeHash = stored.draft.codeHash;
        const lines: CompileLogLine[] = stored.compileLog.slice(sent);
        sent += lines.length;
        for (const line of lines) yield line;
        if (!req.follow || stored.draft.compileState !== CompileState.COMPILING || ctx.signal.aborted) return;
        await compiler.waitForChange(appId, 250, ctx.signal);
      }
    },

    async publishDraft(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "write");
      return locks.run(appId, async () => {
        const app = await mustGetApp(appId);
        const stored = await mustHaveDraftCode(store, appId);
        const { draft } = stored;
        if (draft.runtime?.runtime.case === "rust") checkCompiled(appId, draft);
        // Go and Deno compile as part of publish (seed 003); a build error publishes nothing.
        const built = await compiler.publishBuild(appId, stored);
        if (built && !built.ok) {
          throw new FailedPreconditionError(`the draft of ${appId} does not build: ${built.error}; fix the code, SaveDraft and publish again (StreamCompileLogs shows the build's output)`);
        }
        if (built?.ok && built.artifact) await store.files.putDraftArtifact(appId, built.artifact);
        const number = app.latestVersion + 1;
        await store.createVersionFromDraft(
          appId,
          create(VersionSchema, {
            version: number,
            codeHash: draft.codeHash,
            runtime: draft.runtime,
            files: draft.files,
            sizeBytes: draft.sizeBytes,
            createTimeMs: now(),
            image: draft.image,
          }),
        );
        app.latestVersion = number;
        app.activeVersion = number;
        return { publishedVersion: number, app: await saveApp(app) };
      });
    },

    // ---- versions ------------------------------------------------------------------------

    async listVersions(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "read");
      const app = await mustGetApp(appId);
      return { versions: await store.listVersions(appId), activeVersion: app.activeVersion };
    },

    async rollbackVersion(req, ctx) {
      const appId = appIdFor(ctx, req.organizationName, req.appName, "write");
      if (req.version <= 0) throw new InvalidArgumentError("version", `must be a published version number (>= 1), got ${req.version}`);
      return locks.run(appId, async () => {
        const app = await mustGetApp(appId);
        if (!(await store.getVersion(appId, req.version))) {
          throw new NotFoundError(`version ${req.version} of app ${appId} not found (latest is ${app.latestVersion}); ListVersions shows the published versions`);
        }
        app.activeVersion = req.version;
        return { app: await saveApp(app) };
      });
    },
  };
}

async function mustHaveDraftCode(store: Store, appId: string): Promise<StoredDraft> {
  const stored = await store.getDraft(appId);
  if (!stored || stored.draft.codeHash === "") {
    throw new FailedPreconditionError(`app ${appId} has no draft code: run SaveDraft first`);
  }
  return stored;
}

function checkCompiled(appId: string, draft: Draft): void {
  const state = draft.compileState;
  if (state === CompileState.SUCCEEDED && draft.compiledCodeHash === draft.codeHash) return;
  const cli = `dodil ignite draft compile ${appId.replace("/", ":")}`;
  if (state === CompileState.COMPILING) {
    throw new FailedPreconditionError(`the draft of ${appId} is still compiling: wait for CompileDraft to finish (StreamCompileLogs with follow) before publishing`);
  }
  if (state === CompileState.FAILED) {
    throw new FailedPreconditionError(`the draft of ${appId} is not compiled: its compile failed (${draft.compileError}); fix the code, SaveDraft and run CompileDraft again`);
  }
  throw new FailedPreconditionError(
    `the draft of ${appId} is not compiled (${enumName(CompileStateSchema, state)}): Rust drafts need an explicit compile — run CompileDraft (${cli}) and wait for it to succeed before publishing`,
  );
}

function checkEnum(value: number, values: Record<string, string | number>, field: string): void {
  if (!Object.values(values).includes(value)) throw new InvalidArgumentError(field, `unknown value ${value}`);
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The fields an UpdateAppConfig changes. Explicit mask: exactly those paths ("scaling.<field>"
 * changes one scaling field). Empty mask: every field set to a non-default value.
 */
function maskPaths(req: UpdateAppConfigRequest): string[] {
  const given = req.updateMask?.paths ?? [];
  if (given.length === 0) {
    const set: Record<Maskable, boolean> = {
      description: req.description !== "",
      resource_tier: req.resourceTier !== ResourceTier.UNSPECIFIED,
      scaling: req.scaling !== undefined,
      env: Object.keys(req.env).length > 0,
      ports: req.ports.length > 0,
      allow_unauthenticated: req.allowUnauthenticated,
      health_path: req.healthPath !== "",
    };
    return MASKABLE.filter((f) => set[f]);
  }
  return given.map((raw, i) => {
    const p = raw.split(".").map(snake).join(".");
    const [head, sub, ...rest] = p.split(".");
    const ok =
      (MASKABLE as readonly string[]).includes(head!) &&
      (sub === undefined || (head === "scaling" && (SCALING_FIELDS as readonly string[]).includes(sub) && rest.length === 0));
    if (!ok) {
      throw new InvalidArgumentError(`update_mask.paths[${i}]`, `unknown field ${JSON.stringify(raw)}; use one of ${MASKABLE.join(", ")} or scaling.<field>`);
    }
    return p;
  });
}

function applyUpdate(app: AppMeta, req: UpdateAppConfigRequest, paths: string[], options: ResolvedOptions): void {
  for (const p of paths) {
    switch (p) {
      case "description":
        app.description = req.description;
        break;
      case "resource_tier": {
        const tier = req.resourceTier === ResourceTier.UNSPECIFIED ? ResourceTier.SMALL : req.resourceTier;
        checkEnum(tier, ResourceTier, "resource_tier");
        app.resourceTier = tier;
        break;
      }
      case "scaling":
        app.scaling = applyScalingDefaults(req.scaling, options);
        break;
      case "env":
        validateEnv(req.env);
        app.env = { ...req.env };
        break;
      case "ports":
        app.ports = validatePorts(req.ports);
        break;
      case "allow_unauthenticated":
        app.allowUnauthenticated = req.allowUnauthenticated;
        break;
      case "health_path":
        validateHealthPath(req.healthPath);
        app.healthPath = req.healthPath;
        break;
    }
  }
  // Partial scaling paths merge onto the current effective config, then re-derive it.
  const scalingPaths = paths.filter((p) => p.startsWith("scaling."));
  if (scalingPaths.length > 0) {
    const merged = { ...app.scaling! };
    const from = req.scaling;
    for (const p of scalingPaths) {
      const field = p.slice("scaling.".length) as (typeof SCALING_FIELDS)[number];
      const camel = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as
        | "reservedCapacity" | "maxReplicas" | "scaleMetric" | "scaleThreshold" | "scaledownPeriodSecs";
      merged[camel] = from?.[camel] ?? 0;
    }
    app.scaling = applyScalingDefaults(merged, options);
  }
}
