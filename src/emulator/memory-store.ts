/**
 * The local Ignite's state in memory, for one run: what `startEmulator({ store: "memory" })`
 * keeps instead of the data dir's files (fs-store.ts). It holds the same contract — the store
 * contract test runs against both — and copies every message in and out, so callers can never
 * change stored state by mutating what they were given.
 *
 * Programs still need files on disk (pods run in a version's tree and exec its artifact,
 * builds read the draft's tree): those are written out, once each, under a scratch directory.
 * A version's files never change; a draft's are written again after each SaveDraft.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { clone, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  AppMetaSchema,
  ExecutionSchema,
  VersionSchema,
  type AppMeta,
  type Execution,
  type Version,
} from "../gen/dodil/ignite/v1/compute_pb.js";
import { writeTree } from "./fs-util.js";
import { copyDraft, type Store, type StoreFiles, type StoredDraft, type StoredExecution, type TreeFile } from "./store.js";

interface DraftSlot {
  stored: StoredDraft;
  saved: Uint8Array;
  files: TreeFile[];
  artifact?: Uint8Array;
  /** Bumped by every SaveDraft: the draft's files on disk are written again for a new one. */
  generation: number;
}

interface VersionSlot {
  version: Version;
  files: TreeFile[];
  artifact?: Uint8Array;
}

interface AppSlot {
  meta: AppMeta;
  draft?: DraftSlot;
  versions: Map<number, VersionSlot>;
}

const copy = <D extends DescMessage>(schema: D, message: MessageShape<D>): MessageShape<D> => clone(schema, message);

export class MemoryStore implements Store {
  private readonly apps = new Map<string, AppSlot>();
  private readonly executions = new Map<string, StoredExecution>();
  /** What has been written out to disk, by key, so each tree or artifact is written once. */
  private readonly written = new Map<string, Promise<string>>();
  private nextGeneration = 1;

  /** `scratchDir`: where trees and artifacts are written out for the programs that read them. */
  constructor(private readonly scratchDir: string) {}

  // ---- apps ----------------------------------------------------------------------------

  async listOrgs(): Promise<string[]> {
    return [...new Set([...this.apps.keys()].map((id) => id.split("/")[0]!))].sort();
  }

  async listApps(org: string): Promise<AppMeta[]> {
    return [...this.apps.values()]
      .filter((a) => a.meta.organizationName === org)
      .map((a) => copy(AppMetaSchema, a.meta))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listAppNames(org: string): Promise<string[]> {
    return [...this.apps.values()].filter((a) => a.meta.organizationName === org).map((a) => a.meta.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async getApp(appId: string): Promise<AppMeta | undefined> {
    const slot = this.apps.get(appId);
    return slot && copy(AppMetaSchema, slot.meta);
  }

  async putApp(app: AppMeta): Promise<void> {
    const slot = this.apps.get(app.appId);
    if (slot) slot.meta = copy(AppMetaSchema, app);
    else this.apps.set(app.appId, { meta: copy(AppMetaSchema, app), versions: new Map() });
  }

  async deleteApp(appId: string): Promise<boolean> {
    return this.apps.delete(appId);
  }

  // ---- the draft -----------------------------------------------------------------------

  async getDraft(appId: string): Promise<StoredDraft | undefined> {
    const draft = this.apps.get(appId)?.draft;
    return draft && copyDraft(draft.stored);
  }

  async replaceDraft(appId: string, draft: StoredDraft, savedBytes: Uint8Array, files: TreeFile[]): Promise<void> {
    const slot = this.mustApp(appId);
    slot.draft = { stored: copyDraft(draft), saved: Uint8Array.from(savedBytes), files: copyFiles(files), generation: this.nextGeneration++ };
  }

  async putDraftMeta(appId: string, draft: StoredDraft): Promise<void> {
    const slot = this.mustApp(appId);
    if (!slot.draft) throw new Error(`app ${appId} has no draft to update`);
    slot.draft.stored = copyDraft(draft);
  }

  // ---- versions ------------------------------------------------------------------------

  async createVersionFromDraft(appId: string, version: Version): Promise<void> {
    const slot = this.mustApp(appId);
    if (!slot.draft) throw new Error(`app ${appId} has no draft to publish`);
    slot.versions.set(version.version, {
      version: copy(VersionSchema, version),
      files: copyFiles(slot.draft.files),
      ...(slot.draft.artifact ? { artifact: Uint8Array.from(slot.draft.artifact) } : {}),
    });
  }

  async getVersion(appId: string, version: number): Promise<Version | undefined> {
    const v = this.apps.get(appId)?.versions.get(version);
    return v && copy(VersionSchema, v.version);
  }

  async listVersions(appId: string): Promise<Version[]> {
    const versions = [...(this.apps.get(appId)?.versions.values() ?? [])].map((v) => copy(VersionSchema, v.version));
    return versions.sort((a, b) => a.version - b.version);
  }

  // ---- executions ----------------------------------------------------------------------

  async putExecution(stored: StoredExecution): Promise<void> {
    this.executions.set(stored.execution.id, { execution: copy(ExecutionSchema, stored.execution), invokerOrg: stored.invokerOrg });
  }

  async getExecution(id: string): Promise<StoredExecution | undefined> {
    const stored = this.executions.get(id);
    return stored && { execution: copy(ExecutionSchema, stored.execution), invokerOrg: stored.invokerOrg };
  }

  async listExecutions(appId: string): Promise<Execution[]> {
    return [...this.executions.values()].filter((e) => e.execution.appId === appId).map((e) => copy(ExecutionSchema, e.execution));
  }

  // ---- files on disk -------------------------------------------------------------------

  readonly files: StoreFiles = {
    draftTree: async (appId) => {
      const draft = this.mustApp(appId).draft;
      if (!draft) throw new Error(`app ${appId} has no draft`);
      return this.writeOnce(`draft:${appId}:${draft.generation}`, (dir) => writeTree(dir, draft.files));
    },
    versionTree: async (appId, n) => {
      const v = this.mustVersion(appId, n);
      return this.writeOnce(`version:${appId}:${n}`, (dir) => writeTree(dir, v.files));
    },
    putDraftArtifact: async (appId, file) => {
      const draft = this.mustApp(appId).draft;
      if (!draft) throw new Error(`app ${appId} has no draft for an artifact`);
      draft.artifact = await fs.readFile(file);
    },
    versionArtifact: async (appId, n) => {
      const v = this.mustVersion(appId, n);
      const bytes = v.artifact;
      if (!bytes) return undefined;
      return this.writeOnce(`artifact:${appId}:${n}`, async (dir) => {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(path.join(dir, "artifact"), bytes, { mode: 0o755 });
      }).then((dir) => path.join(dir, "artifact"));
    },
  };

  private writeOnce(key: string, write: (dir: string) => Promise<void>): Promise<string> {
    let pending = this.written.get(key);
    if (!pending) {
      const dir = path.join(this.scratchDir, `${key.replace(/[^A-Za-z0-9._-]+/g, "_")}-${randomBytes(4).toString("hex")}`);
      pending = write(dir).then(() => dir);
      this.written.set(key, pending);
      pending.catch(() => this.written.delete(key));
    }
    return pending;
  }

  private mustApp(appId: string): AppSlot {
    const slot = this.apps.get(appId);
    if (!slot) throw new Error(`app ${appId} not found in the store`);
    return slot;
  }

  private mustVersion(appId: string, n: number): VersionSlot {
    const v = this.mustApp(appId).versions.get(n);
    if (!v) throw new Error(`version ${n} of app ${appId} not found in the store`);
    return v;
  }
}

function copyFiles(files: TreeFile[]): TreeFile[] {
  return files.map((f) => ({ path: f.path, data: Uint8Array.from(f.data), executable: f.executable }));
}
