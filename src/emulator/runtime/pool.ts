/**
 * The pods of one app, and the scaling emulation around them.
 *
 * A request leases the least-busy ready pod; with none running it starts one and waits
 * (the cold path: activation from zero is binary, bounded by the cold-start budget). A
 * periodic tick applies the autoscaler formula, keeps reserved_capacity pods warm, and
 * retires pods once the app has needed fewer for scaledown_period_secs (to zero once it has
 * been idle that long). Pods of a replaced version drain and stop.
 */
import * as http from "node:http";
import type { AppMeta } from "../../gen/dodil/ignite/v1/compute_pb.js";
import { ScaleMetric } from "../../gen/dodil/ignite/v1/compute_pb.js";
import { SCALING_DEFAULTS } from "../../scaling-defaults.js";
import { desiredReplicas, observedPerPod } from "./autoscaler.js";
import { InvocationTimeoutError, PodFailedError } from "./errors.js";
import { scaledownPeriodMs, type ResolvedRuntimeOptions } from "./options.js";
import type { RuntimePlugin, VersionContext, WorkerCommand } from "../runtimes/types.js";
import { PodProcess, PodStartError } from "./pod-process.js";
import type { StandbyAgents } from "./standby.js";

/** What a pool runs: the app's metadata (cached, so the request path reads no disk) and its active version. */
export interface PoolTarget {
  meta: AppMeta;
  version: number;
  treeDir: string;
  runtime: RuntimePlugin;
  /** What the runtime needs to know about the version. */
  context: VersionContext;
}

export interface PoolContext {
  options: ResolvedRuntimeOptions;
  /** The id of an organization, for ctx["organization_id"]. */
  orgId(org: string): string;
  /** The runtime's worker for a pod of `target` (prepares the version first). */
  podCommand(target: PoolTarget, appLog: (chunk: string) => void): Promise<WorkerCommand>;
  /** Agents waiting for a worker (standby.ts): a cold start takes one instead of spawning it. */
  standby: StandbyAgents;
  /** Platform cap on max_replicas. */
  maxReplicasCap: number;
  appLog: (chunk: string) => void;
  log: (line: string) => void;
}

/** A pod held for one request. `release` must be called exactly once. */
export interface Lease {
  pod: PodProcess;
  version: number;
  /** How long the request waited for a pod to start from zero; 0 when warm. */
  coldStartMs: number;
  release(): void;
}

/** One pod as GET /_ignite/pods shows it. */
export interface PodInfo {
  app: string;
  version: number;
  name: string;
  pid: number | undefined;
  /** Requests the pool leased to it now (relay, Invoke, InvokeAsync). */
  inFlight: number;
  /** Client connections handed to it (handoff.ts). */
  handedConnections: number;
  /** Who served its requests: those the pool leased it (through the relay, Invoke, InvokeAsync)… */
  leasedRequests: number;
  /** …and those it served itself on connections handed to it. */
  handedRequests: number;
  reserved: boolean;
  /** Out of rotation (scale-down, a new version): finishing what it holds, then stopped. */
  retiring: boolean;
}

export class AppPool {
  private pods: PodProcess[] = [];
  /** Every live process, including retired pods still draining: stop() kills them all. */
  private readonly processes = new Set<PodProcess>();
  /** Pods whose process exists but which are not ready yet: stop() kills them too. */
  private readonly notReady = new Set<PodProcess>();
  private starting = 0;
  /** Requests waiting for a pod to start. */
  private waiting = 0;
  private pendingStart: Promise<PodProcess> | undefined;
  /** Where the pod start in progress is stuck, if anywhere (its health check's last answer). */
  private startNote: string | undefined;
  private readonly arrivals: number[] = [];
  private lastActivityAt = Date.now();
  private belowSince: number | undefined;
  private stopped = false;
  /**
   * Bumped by every update(): the relay hands a connection over only if the app did not
   * change since it authorized the request (a guard made before a change must not outlive it).
   */
  generation = 0;

  constructor(
    private target: PoolTarget,
    private readonly ctx: PoolContext,
  ) {}

  get appId(): string {
    return this.target.meta.appId;
  }

  get meta(): AppMeta {
    return this.target.meta;
  }

  /** Pods running (ready) now. */
  get replicas(): number {
    return this.pods.length;
  }

  /**
   * New config or a new active version; pods of an old version drain and stop. Resolves once
   * every pod has recalled its handed connections, so no later request reaches the old state.
   */
  update(target: PoolTarget): Promise<void> {
    this.generation++;
    const versionChanged = target.version !== this.target.version || target.treeDir !== this.target.treeDir;
    const replaced = podIdentity(target) !== podIdentity(this.target);
    this.target = target;
    if (replaced) {
      // Running pods keep the environment they started with: they are rolled, so the next
      // request runs on a pod of the new version or config (reserved pods start again at once).
      const why = versionChanged ? `now runs version ${target.version}` : "changed its env or health path";
      this.ctx.log(`runtime: ${this.appId} ${why}; retiring ${this.pods.length} pod(s)`);
      this.pendingStart = undefined;
      return this.retire(this.pods.slice());
    }
    // What the relay authorized when it handed connections over (allow_unauthenticated, for
    // one) may have changed: they come back and are authorized again.
    return Promise.all(this.pods.map((pod) => pod.handoffs.drain())).then(() => undefined);
  }

  async acquire(): Promise<Lease> {
    const now = Date.now();
    this.arrivals.push(now);
    this.lastActivityAt = now;
    const warm = this.pickReady();
    if (warm) return this.lease(warm, 0);
    // Cold: every request that finds no pod shares the one start in flight.
    this.pendingStart ??= this.startPod().finally(() => (this.pendingStart = undefined));
    const started = Date.now();
    this.waiting++;
    const budget = this.ctx.options.coldStartBudgetMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InvocationTimeoutError(
              `no pod of ${this.appId} became ready within the cold-start budget (${budget / 1000} s; IGNITE_COLD_START_BUDGET_SECS or --cold-start-budget-secs sets it)${this.startNote ? `: ${this.startNote}` : ""}; see the app logs`,
            ),
          ),
        budget,
      );
    });
    try {
      const pod = await Promise.race([this.pendingStart, deadline]);
      // Another cold request may have raced us to a less busy pod; either is fine.
      return this.lease(this.pickReady() ?? pod, Math.max(1, Date.now() - started));
    } finally {
      this.waiting--;
      clearTimeout(timer);
    }
  }

  /** One autoscaler evaluation; called periodically by the runtime. */
  tick(now = Date.now()): void {
    if (this.stopped) return;
    const { options } = this.ctx;
    // Requests on connections handed to pods never pass through the pool: their slots say.
    let handedBusy = 0;
    for (const pod of this.processes) { // retiring pods too: their handed requests still count
      const sample = pod.handoffs.sample();
      handedBusy += sample.busy;
      for (let i = 0; i < sample.completed; i++) this.arrivals.push(now);
      if (sample.busy > 0 || sample.lastDoneAt > pod.lastActiveAt) {
        pod.lastActiveAt = sample.busy > 0 ? now : sample.lastDoneAt;
        this.lastActivityAt = Math.max(this.lastActivityAt, pod.lastActiveAt);
      }
    }
    while (this.arrivals.length > 0 && this.arrivals[0]! < now - options.metricWindowMs) this.arrivals.shift();
    const scaling = this.target.meta.scaling;
    const reserved = Math.max(0, scaling?.reservedCapacity ?? 0);
    // AppMeta.scaling is the effective config (validation.ts); the default covers state without it.
    const maxReplicas = Math.min(scaling?.maxReplicas || SCALING_DEFAULTS.maxReplicas, this.ctx.maxReplicasCap);
    const ready = this.pods.length;
    const current = ready + this.starting;
    // Requests waiting through a cold start are in flight too (CONCURRENCY, idleness).
    const inFlight = this.pods.reduce((n, p) => n + p.inFlight, 0) + handedBusy + this.waiting;
    const observed = observedPerPod({
      metric: scaling?.scaleMetric ?? ScaleMetric.REQUEST_RATE,
      requestsInWindow: this.arrivals.length,
      windowMs: options.metricWindowMs,
      inFlight,
      pods: ready,
    });
    const period = scaledownPeriodMs(scaling?.scaledownPeriodSecs ?? 0, options);
    const idle = inFlight === 0 && now - this.lastActivityAt >= period;
    let target = desiredReplicas({
      observedPerPod: observed,
      scaleThreshold: scaling?.scaleThreshold ?? 0,
      reservedCapacity: reserved,
      maxReplicas,
    });
    // Only a request wakes an app from zero (reserved pods aside); once up, it stays up until
    // it has been idle for the scale-down period, whatever the rate window still remembers.
    if (current === 0 || idle) target = reserved;
    else target = Math.max(target, 1);
    // Activation is 0 -> 1: scale further only once the first pod is up and measured.
    if (ready === 0 && this.starting > 0) target = Math.min(target, current);

    if (target > current) {
      this.belowSince = undefined;
      for (let i = current; i < target; i++) {
        this.startPod().catch((err: unknown) => this.ctx.log(`runtime: ${this.appId}: scale-up failed: ${String(err)}`));
      }
    } else if (target < ready) {
      this.belowSince ??= now;
      if (idle || now - this.belowSince >= period) {
        this.ctx.log(`runtime: ${this.appId} scales ${ready} -> ${target}`);
        this.scaleTo(target);
        this.belowSince = undefined;
      }
    } else {
      this.belowSince = undefined;
    }
    this.pods.forEach((pod, i) => (pod.reserved = i < reserved));
  }

  /** Every live pod, including retired ones still finishing their requests or connections. */
  describe(): PodInfo[] {
    return [...this.processes].filter((pod) => !pod.exited).map((pod) => ({
      app: this.appId,
      version: pod.version,
      name: pod.name,
      pid: pod.pid,
      inFlight: pod.inFlight,
      handedConnections: pod.handoffs.count,
      leasedRequests: pod.leased,
      handedRequests: pod.handoffs.served(),
      reserved: pod.reserved,
      retiring: pod.retired,
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pods = [];
    await Promise.all([...this.processes, ...this.notReady].map((p) => p.stop()));
  }

  private pickReady(): PodProcess | undefined {
    let best: PodProcess | undefined;
    for (const pod of this.pods) {
      // Handed connections count as load: each may bring requests the pool never sees.
      if (!pod.exited && (!best || load(pod) < load(best))) best = pod;
    }
    return best;
  }

  private lease(pod: PodProcess, coldStartMs: number): Lease {
    pod.inFlight++;
    pod.leased++;
    const version = this.target.version;
    let released = false;
    return {
      pod,
      version,
      coldStartMs,
      release: () => {
        if (released) return;
        released = true;
        pod.inFlight--;
        pod.lastActiveAt = this.lastActivityAt = Date.now();
        pod.killIfDrained();
      },
    };
  }

  private async startPod(): Promise<PodProcess> {
    const target = this.target;
    this.starting++;
    try {
      const worker = await this.ctx.podCommand(target, this.ctx.appLog);
      const startedAt = Date.now();
      const pod = await PodProcess.start(
        {
          worker,
          version: target.version,
          treeDir: target.treeDir,
          functionId: target.meta.appId,
          organizationId: this.ctx.orgId(target.meta.organizationName),
          env: { ...target.meta.env },
          appLog: this.ctx.appLog,
          log: this.ctx.log,
        },
        this.ctx.options.coldStartBudgetMs,
        this.ctx.standby,
        (spawned) => {
          this.notReady.add(spawned);
          spawned.onExit(() => this.notReady.delete(spawned));
          if (this.stopped) spawned.kill();
        },
      );
      this.notReady.delete(pod);
      this.processes.add(pod);
      pod.onExit(() => this.processes.delete(pod));
      if (target.meta.healthPath) {
        await passesHealthCheck(pod, target.meta.healthPath, this.ctx.options.coldStartBudgetMs - (Date.now() - startedAt), this.ctx.appLog, (note) => (this.startNote = note));
        this.startNote = undefined;
      }
      if (this.stopped || podIdentity(target) !== podIdentity(this.target)) {
        // Stopped or redeployed while starting: this pod serves nothing.
        if (this.stopped) pod.kill();
        else void pod.retire();
        if (this.stopped) throw new PodFailedError(`${this.appId} was stopped while its pod started`);
        return this.startPod();
      }
      this.pods.push(pod);
      pod.onExit(() => {
        const i = this.pods.indexOf(pod);
        if (i >= 0) this.pods.splice(i, 1);
      });
      this.ctx.log(`runtime: ${this.appId} v${target.version} ${pod.name} (pid ${pod.pid}, ${target.runtime.name} ${worker.mode} mode) ready on port ${pod.port}`);
      return pod;
    } catch (err) {
      if (err instanceof PodStartError) throw new PodFailedError(`${this.appId}: ${err.message}`, { cause: err });
      throw err;
    } finally {
      this.starting--;
    }
  }

  /** Retire the least busy pods beyond `count`, keeping the reserved ones. */
  private scaleTo(count: number): void {
    const victims = this.pods
      .slice()
      .sort((a, b) => Number(a.reserved) - Number(b.reserved) || a.inFlight - b.inFlight)
      .slice(0, Math.max(0, this.pods.length - count));
    void this.retire(victims);
  }

  /** Out of rotation; resolves once each pod has recalled its handed connections. */
  private async retire(pods: PodProcess[]): Promise<void> {
    const recalls = pods.map((pod) => {
      const i = this.pods.indexOf(pod);
      if (i >= 0) this.pods.splice(i, 1);
      return pod.retire();
    });
    await Promise.all(recalls);
  }
}

/** What a pod is started from: a change to any of it replaces the running pods. */
function podIdentity(t: PoolTarget): string {
  const env = Object.entries(t.meta.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([t.version, t.treeDir, env, t.meta.healthPath]);
}

const HEALTH_RETRY_MS = 100;

/**
 * An app with a health_path is ready once GET <health_path> answers 2xx/3xx (the platform's
 * readiness probe, `--health-path`), retried until the rest of the cold-start budget is spent.
 * A pod that never passes is stopped, and the request waiting for it fails saying why.
 */
async function passesHealthCheck(
  pod: PodProcess,
  healthPath: string,
  budgetMs: number,
  appLog: (chunk: string) => void,
  note: (status: string) => void,
): Promise<void> {
  const until = Date.now() + Math.max(0, budgetMs);
  let last = "no answer yet";
  for (let attempt = 1; ; attempt++) {
    if (pod.exited) throw new PodStartError(`the pod exited during its health check (GET ${healthPath}); see the app logs`);
    try {
      const status = await probe(pod, healthPath, Math.max(100, until - Date.now()));
      if (status >= 200 && status < 400) return;
      last = `answered ${status}`;
    } catch (err) {
      last = `failed: ${(err as Error).message}`;
    }
    note(`its health check GET ${healthPath} ${last} (${attempt} attempt${attempt === 1 ? "" : "s"})`);
    if (attempt === 1) appLog(`[ignite] health check GET ${healthPath} ${last}; retrying until the pod passes or the cold-start budget is spent\n`);
    if (Date.now() + HEALTH_RETRY_MS >= until) {
      pod.kill();
      throw new PodStartError(`the pod did not pass its health check within the cold-start budget (GET ${healthPath} ${last} after ${attempt} attempts); see the app logs`);
    }
    await new Promise((r) => setTimeout(r, HEALTH_RETRY_MS));
  }
}

function probe(pod: PodProcess, healthPath: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: pod.port, method: "GET", path: healthPath, agent: pod.agent, headers: { "x-ignite-execution-id": "" }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

function load(pod: PodProcess): number {
  return pod.inFlight + pod.handoffs.count;
}
