/**
 * The filesystem implementation of Store: pbjson files written atomically under the data
 * directory, one directory per app, so the state survives restarts and can be read by a human.
 *
 *   apps/<org>/<name>/app.json                      AppMeta
 *   apps/<org>/<name>/draft/{draft.json,saved.bin,tree/,artifact}
 *   apps/<org>/<name>/versions/<n>/{version.json,saved.bin,tree/,artifact}
 *   executions/<id>.json                            Execution (data plane)
 *   data-plane/                                     free for the data plane
 *
 * Multi-file changes (a new draft, a new version) are assembled in a temp directory and
 * renamed into place, so a crash leaves the old or the new slot, never a mix.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { clone, fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import {
  AppMetaSchema,
  CompileLogLineSchema,
  DraftSchema,
  ExecutionSchema,
  VersionSchema,
  type AppMeta,
  type Execution,
  type Version,
} from "../gen/dodil/ignite/v1/compute_pb.js";
import { exists, fsyncDir, isMissingFile, readJson, writeFileAtomic, writeJsonAtomic, writeTree } from "./fs-util.js";
import { RecordCache } from "./record-cache.js";
import { copyDraft, type Store, type StoreFiles, type StoredDraft, type StoredExecution, type TreeFile } from "./store.js";

const EXECUTION_ID = /^[A-Za-z0-9_.-]{1,128}$/;
/** The compiled artifact's file name in a draft or version directory. */
const ARTIFACT = "artifact";

const copyApp = (app: AppMeta): AppMeta => clone(AppMetaSchema, app);
const copyVersion = (version: Version): Version => clone(VersionSchema, version);

export class FileStore implements Store {
  private readonly appsDir: string;
  /** Its records as last read or written: the data directory is this local Ignite's alone. */
  private readonly cache = new RecordCache();
  private readonly executionsDir: string;
  /** Its own directories, as they are: trees and artifacts already live on disk. */
  readonly files: StoreFiles = {
    draftTree: async (appId) => this.draftTreeDir(appId),
    versionTree: async (appId, version) => path.join(this.versionDir(appId, version), "tree"),
    putDraftArtifact: (appId, file) => this.putDraftArtifact(appId, file),
    versionArtifact: async (appId, version) => {
      const file = path.join(this.versionDir(appId, version), ARTIFACT);
      return (await exists(file)) ? file : undefined;
    },
  };

  private constructor(dataDir: string) {
    this.appsDir = path.join(dataDir, "apps");
    this.executionsDir = path.join(dataDir, "executions");
  }

  static async open(dataDir: string): Promise<FileStore> {
    const store = new FileStore(path.resolve(dataDir));
    for (const dir of [store.appsDir, store.executionsDir]) {
      await fs.mkdir(dir, { recursive: true });
    }
    return store;
  }

  // ---- apps ------------------------------------------------------------------------------

  async listOrgs(): Promise<string[]> {
    const entries = await fs.readdir(this.appsDir, { withFileTypes: true });
    const orgs = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name).sort();
    // An org's directory outlives its last app (a concurrent create may be filling it).
    const withApps = await Promise.all(orgs.map(async (org) => (await this.listApps(org)).length > 0));
    return orgs.filter((_, i) => withApps[i]);
  }

  async listAppNames(org: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.appsDir, org));
    } catch (err) {
      if (isMissingFile(err)) return [];
      throw err;
    }
    return names.filter((n) => !n.startsWith(".")).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async listApps(org: string): Promise<AppMeta[]> {
    const apps: AppMeta[] = [];
    for (const name of await this.listAppNames(org)) {
      const app = await this.getApp(`${org}/${name}`);
      if (app) apps.push(app);
    }
    return apps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getApp(appId: string): Promise<AppMeta | undefined> {
    return this.readMessage(path.join(this.appDir(appId), "app.json"), AppMetaSchema);
  }

  async putApp(app: AppMeta): Promise<void> {
    const file = path.join(this.appDir(app.appId), "app.json");
    await this.cache.write(file, app, copyApp, () => writeJsonAtomic(file, toJson(AppMetaSchema, app)));
  }

  async deleteApp(appId: string): Promise<boolean> {
    const dir = this.appDir(appId);
    if (!(await exists(dir))) return false;
    // Rename first so the app disappears atomically; the slow recursive delete follows.
    const trash = path.join(this.appsDir, `.trash-${randomBytes(6).toString("hex")}`);
    await this.cache.remove(dir, () => fs.rename(dir, trash));
    await fsyncDir(path.dirname(dir));
    await fs.rm(trash, { recursive: true, force: true });
    return true;
  }

  // ---- draft -----------------------------------------------------------------------------

  async getDraft(appId: string): Promise<StoredDraft | undefined> {
    const file = path.join(this.draftDir(appId), "draft.json");
    return this.cache.read(
      file,
      async () => {
        const json = (await readJson(file)) as { draft: JsonValue; compileLog?: JsonValue[] } | undefined;
        if (json === undefined) return undefined;
        return {
          draft: fromJson(DraftSchema, json.draft),
          compileLog: (json.compileLog ?? []).map((line) => fromJson(CompileLogLineSchema, line)),
        };
      },
      copyDraft,
    );
  }

  async replaceDraft(appId: string, draft: StoredDraft, savedBytes: Uint8Array, files: TreeFile[]): Promise<void> {
    const target = this.draftDir(appId);
    await this.cache.write(path.join(target, "draft.json"), draft, copyDraft, async () => {
      const staging = `${target}.new-${randomBytes(6).toString("hex")}`;
      await writeTree(path.join(staging, "tree"), files);
      await writeFileAtomic(path.join(staging, "saved.bin"), savedBytes);
      await writeJsonAtomic(path.join(staging, "draft.json"), draftJson(draft));
      const old = `${target}.old-${randomBytes(6).toString("hex")}`;
      const hadOld = await exists(target);
      if (hadOld) await fs.rename(target, old);
      await fs.rename(staging, target);
      await fsyncDir(path.dirname(target));
      if (hadOld) await fs.rm(old, { recursive: true, force: true });
    });
  }

  async putDraftMeta(appId: string, draft: StoredDraft): Promise<void> {
    const file = path.join(this.draftDir(appId), "draft.json");
    await this.cache.write(file, draft, copyDraft, () => writeJsonAtomic(file, draftJson(draft)));
  }

  private draftTreeDir(appId: string): string {
    return path.join(this.draftDir(appId), "tree");
  }

  private async putDraftArtifact(appId: string, file: string): Promise<void> {
    const target = path.join(this.draftDir(appId), ARTIFACT);
    const staging = `${target}.new-${randomBytes(6).toString("hex")}`;
    await copyWithMode(file, staging);
    await fs.rename(staging, target);
  }

  // ---- versions --------------------------------------------------------------------------

  async createVersionFromDraft(appId: string, version: Version): Promise<void> {
    const target = this.versionDir(appId, version.version);
    // A leftover from a crash between this rename and the app.json update: the app never
    // saw it, so it is safe to replace.
    await fs.rm(target, { recursive: true, force: true });
    const staging = `${target}.new-${randomBytes(6).toString("hex")}`;
    await fs.mkdir(staging, { recursive: true });
    await fs.cp(this.draftTreeDir(appId), path.join(staging, "tree"), { recursive: true });
    await fs.copyFile(path.join(this.draftDir(appId), "saved.bin"), path.join(staging, "saved.bin"));
    const artifact = path.join(this.draftDir(appId), ARTIFACT);
    if (await exists(artifact)) await copyWithMode(artifact, path.join(staging, ARTIFACT));
    await this.cache.write(path.join(target, "version.json"), version, copyVersion, async () => {
      await writeJsonAtomic(path.join(staging, "version.json"), toJson(VersionSchema, version));
      await fs.rename(staging, target);
      await fsyncDir(path.dirname(target));
    });
  }

  async getVersion(appId: string, version: number): Promise<Version | undefined> {
    if (!Number.isInteger(version) || version < 1) return undefined;
    return this.readMessage(path.join(this.versionDir(appId, version), "version.json"), VersionSchema);
  }

  async listVersions(appId: string): Promise<Version[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(path.join(this.appDir(appId), "versions"));
    } catch (err) {
      if (isMissingFile(err)) return [];
      throw err;
    }
    const versions: Version[] = [];
    for (const n of entries.filter((e) => /^[0-9]+$/.test(e)).map(Number)) {
      const v = await this.getVersion(appId, n);
      if (v) versions.push(v);
    }
    return versions.sort((a, b) => a.version - b.version);
  }

  // ---- executions ------------------------------------------------------------------------

  async putExecution(stored: StoredExecution): Promise<void> {
    await writeJsonAtomic(this.executionFile(stored.execution.id), {
      invokerOrg: stored.invokerOrg,
      execution: toJson(ExecutionSchema, stored.execution),
    });
  }

  async getExecution(id: string): Promise<StoredExecution | undefined> {
    if (!EXECUTION_ID.test(id)) return undefined;
    const json = (await readJson(this.executionFile(id))) as { invokerOrg?: string; execution?: JsonValue } | undefined;
    if (json === undefined) return undefined;
    if (json.execution === undefined) {
      // Written before records said who invoked them: the app's own org.
      const execution = fromJson(ExecutionSchema, json as JsonValue);
      return { execution, invokerOrg: execution.appId.split("/")[0] ?? "" };
    }
    return { execution: fromJson(ExecutionSchema, json.execution), invokerOrg: json.invokerOrg ?? "" };
  }

  async listExecutions(appId: string): Promise<Execution[]> {
    const files = (await fs.readdir(this.executionsDir)).filter((f) => f.endsWith(".json") && !f.startsWith("."));
    const out: Execution[] = [];
    for (const f of files) {
      const e = (await this.getExecution(f.slice(0, -".json".length)))?.execution;
      if (e && e.appId === appId) out.push(e);
    }
    return out;
  }

  /** A record stored as the pbjson of one message, through the cache. */
  private readMessage<D extends DescMessage>(file: string, schema: D): Promise<MessageShape<D> | undefined> {
    return this.cache.read(
      file,
      async () => {
        const json = await readJson(file);
        return json === undefined ? undefined : fromJson(schema, json as JsonValue);
      },
      (m) => clone(schema, m),
    );
  }

  // ---- paths -----------------------------------------------------------------------------

  private appDir(appId: string): string {
    const [org, name, ...rest] = appId.split("/");
    // Names are validated upstream; this guards the filesystem against a caller that forgot.
    if (!org || !name || rest.length > 0 || [org, name].some((p) => p.startsWith(".") || p.includes("\\"))) {
      throw new Error(`invalid app id ${JSON.stringify(appId)}`);
    }
    return path.join(this.appsDir, org, name);
  }

  private draftDir(appId: string): string {
    return path.join(this.appDir(appId), "draft");
  }

  private versionDir(appId: string, version: number): string {
    return path.join(this.appDir(appId), "versions", String(version));
  }

  private executionFile(id: string): string {
    if (!EXECUTION_ID.test(id)) throw new Error(`invalid execution id ${JSON.stringify(id)}`);
    return path.join(this.executionsDir, `${id}.json`);
  }
}

function draftJson(draft: StoredDraft): JsonValue {
  return {
    draft: toJson(DraftSchema, draft.draft),
    compileLog: draft.compileLog.map((line) => toJson(CompileLogLineSchema, line)),
  };
}

/** A copy that keeps the permission bits (a binary stays executable). */
async function copyWithMode(from: string, to: string): Promise<void> {
  await fs.copyFile(from, to);
  await fs.chmod(to, (await fs.stat(from)).mode & 0o777);
}

