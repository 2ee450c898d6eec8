/**
 * The pods of the local Ignite: one pod pool per app, created on first use (or when an
 * app with reserved capacity is published), refreshed when the control plane reports a
 * change, ticked by one autoscaler timer, and all stopped by `stop()`.
 */
import * as path from "node:path";
import { Runtime as AppRuntime } from "../../gen/dodil/ignite/v1/compute_pb.js";
import { enumName } from "../enum-names.js";
import { AppNotFoundError } from "../errors.js";
import { runtimeForVersion, RUNTIME_PLUGINS } from "../runtimes/index.js";
import type { RuntimeHost, RuntimePlugin } from "../runtimes/types.js";
import { versionContext } from "../runtimes/version-context.js";
import type { Store } from "../store.js";
import { podAgent } from "./agent.js";
import { AppLogs } from "./app-logs.js";
import { StandbyAgents } from "./standby.js";
import { NotRunnableError } from "./errors.js";
import type { ResolvedRuntimeOptions } from "./options.js";
import { AppPool, type PodInfo, type PoolTarget } from "./pool.js";

/** What GET /_ignite/pods shows. */
export interface PodsView {
  pods: PodInfo[];
  standbyAgent: { pid: number } | null;
}

export class PodPools {
  readonly logs: AppLogs;
  private readonly standby: StandbyAgents;
  private readonly hosts = new Map<RuntimePlugin, RuntimeHost>();
  private readonly pools = new Map<string, Promise<AppPool>>();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly dataPlaneDir: string,
    readonly options: ResolvedRuntimeOptions,
    private readonly maxReplicasCap: number,
    private readonly orgId: (org: string) => string,
    private readonly log: (line: string) => void,
  ) {
    this.logs = new AppLogs(path.join(dataPlaneDir, "logs"), log);
    this.timer = setInterval(() => void this.tick(), options.autoscaleIntervalMs);
    this.timer.unref();
    // Build (or find) the agent, start a standby and warm the runtimes now, so the first cold
    // start does not pay for any of it.
    this.standby = new StandbyAgents(() => podAgent({ podAgent: options.podAgent, log }), log);
    podAgent({ podAgent: options.podAgent, log }).then(() => this.standby.warm(), (err: unknown) => log(`runtime: ${String(err)}`));
    for (const plugin of RUNTIME_PLUGINS) {
      plugin.warmUp?.(this.host(plugin)).catch((err: unknown) => log(`runtime: ${plugin.name}: ${String(err)}`));
    }
    this.warmReserved().catch((err: unknown) => log(`runtime: starting reserved pods: ${String(err)}`));
  }

  /** After a start on existing data, apps with reserved capacity get their warm pods again. */
  private async warmReserved(): Promise<void> {
    for (const org of await this.store.listOrgs()) {
      for (const app of await this.store.listApps(org)) {
        if (!this.stopped && app.activeVersion > 0 && (app.scaling?.reservedCapacity ?? 0) > 0) {
          (await this.pool(app.appId).catch(() => undefined))?.tick();
        }
      }
    }
  }

  /** The pool of a runnable app; throws AppNotFound / NotRunnable. */
  pool(appId: string): Promise<AppPool> {
    let pool = this.pools.get(appId);
    if (!pool) {
      pool = this.createPool(appId);
      this.pools.set(appId, pool);
      pool.catch(() => this.pools.delete(appId));
    }
    return pool;
  }

  /** Re-read the app: new scaling config or active version. Apps with reserved capacity start warming now. */
  async appChanged(appId: string): Promise<void> {
    const existing = this.pools.get(appId);
    if (existing) {
      const pool = await existing.catch(() => undefined);
      const target = await this.target(appId).catch(() => undefined);
      if (pool && target) await pool.update(target);
      else if (pool) await this.appDeleted(appId);
      pool?.tick();
      return;
    }
    const meta = await this.store.getApp(appId);
    if (meta && meta.activeVersion > 0 && (meta.scaling?.reservedCapacity ?? 0) > 0) {
      const pool = await this.pool(appId).catch(() => undefined);
      pool?.tick();
    }
  }

  async appDeleted(appId: string): Promise<void> {
    const pool = this.pools.get(appId);
    this.pools.delete(appId);
    await (await pool?.catch(() => undefined))?.stop();
  }

  /** Every live pod, and the standby agent waiting for the next cold start (GET /_ignite/pods). */
  async pods(): Promise<PodsView> {
    const pools = await Promise.all([...this.pools.values()].map((p) => p.catch(() => undefined)));
    const pid = this.standby.waitingPid;
    return { pods: pools.flatMap((pool) => pool?.describe() ?? []), standbyAgent: pid === undefined ? null : { pid } };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.standby.stop();
    clearInterval(this.timer);
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(async (p) => (await p.catch(() => undefined))?.stop()));
    await this.logs.close();
  }

  private async createPool(appId: string): Promise<AppPool> {
    if (this.stopped) throw new NotRunnableError("the local Ignite is stopping");
    const target = await this.target(appId);
    return new AppPool(target, {
      options: this.options,
      orgId: this.orgId,
      podCommand: (t, appLog) => t.runtime.worker(t.context, this.host(t.runtime), appLog),
      standby: this.standby,
      maxReplicasCap: this.maxReplicasCap,
      appLog: this.logs.writerFor(appId),
      log: this.log,
    });
  }

  private async target(appId: string): Promise<PoolTarget> {
    const meta = await this.store.getApp(appId);
    if (!meta) throw new AppNotFoundError(appId);
    if (meta.activeVersion <= 0) {
      throw new NotRunnableError(`app ${appId} has no published version yet: publish its draft first`);
    }
    const version = await this.store.getVersion(appId, meta.activeVersion);
    const runtime = runtimeForVersion(meta.runtime, version);
    if (!runtime) {
      throw new NotRunnableError(
        `the local Ignite does not run ${enumName(AppRuntime, meta.runtime)} apps yet (it runs ${RUNTIME_PLUGINS.map((r) => r.name).join(", ")}); app ${appId} cannot be invoked`,
      );
    }
    // What CompileDraft built is stored with the version: a rollback runs the old binary.
    const context = await versionContext(this.store, appId, meta.activeVersion, version);
    return {
      meta,
      version: meta.activeVersion,
      treeDir: context.treeDir,
      runtime,
      context: { ...context, ports: meta.ports.length > 0 ? [...meta.ports] : [80] },
    };
  }

  /** What the local Ignite offers a runtime: the options, its own directory, the log. */
  private host(plugin: RuntimePlugin): RuntimeHost {
    let host = this.hosts.get(plugin);
    if (!host) {
      host = { options: this.options, dataDir: path.join(this.dataPlaneDir, plugin.name), log: this.log };
      this.hosts.set(plugin, host);
    }
    return host;
  }

  private async tick(): Promise<void> {
    for (const pending of this.pools.values()) {
      const pool = await pending.catch(() => undefined);
      pool?.tick();
    }
  }
}
