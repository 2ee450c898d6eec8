/**
 * One pod: the pod agent (agent.ts, docs/pod-protocol.md) running one published version's
 * worker, separate from the server so nothing a handler does (crash, hang, huge output) can
 * take the server down.
 *
 * The agent reports its port on fd 3 once the worker is ready; its stdout/stderr (and the
 * worker's stderr) go to the app's log; its stdin is a pipe it watches, so a pod never
 * outlives the emulator even when the emulator is killed without cleanup; fd 4 is Node's IPC
 * channel, over which the relay hands client connections to the pod, and fd 5 the slot table
 * that says what the pod does with them (handoff.ts).
 */
import type { ChildProcess } from "node:child_process";
import * as http from "node:http";
import type { Readable } from "node:stream";
import type { WorkerCommand } from "../runtimes/types.js";
import { PodFailedError, podExitedError } from "./errors.js";
import { PodHandoffs } from "./handoff.js";
import { PodSockets } from "./pod-sockets.js";
import type { AgentProcess, StandbyAgents } from "./standby.js";

export interface PodSpec {
  /** The runtime's worker for this version. */
  worker: WorkerCommand;
  treeDir: string;
  /** The published version it runs. */
  version: number;
  functionId: string;
  organizationId: string;
  env: Record<string, string>;
  /** Receives everything the pod writes on stdout/stderr. */
  appLog: (chunk: string) => void;
  /** The emulator's log. */
  log: (line: string) => void;
}

export class PodStartError extends Error {}

let nextPodNumber = 1;
/** How long a pod that hung up mid-request is given to exit before the failure is answered. */
const POD_EXIT_WAIT_MS = 200;

export class PodProcess {
  readonly name: string;
  readonly version: number;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  /** Raw keep-alive connections for the public-URL relay. */
  readonly sockets = new PodSockets(() => this.port);
  /** Client connections the relay handed to this pod. */
  readonly handoffs: PodHandoffs;
  port = 0;
  inFlight = 0;
  /** Requests the pool leased it (relay, Invoke, InvokeAsync), in all. */
  leased = 0;
  lastActiveAt = Date.now();
  exited = false;
  /** Out of rotation: killed once its last request ends (scale-down, new version). */
  retired = false;
  /** Reserved pods are exempt from idle teardown. */
  reserved = false;
  private readonly child: ChildProcess;
  private readonly exitListeners: Array<() => void> = [];

  private constructor(spec: PodSpec, agent: AgentProcess) {
    this.name = `pod-${nextPodNumber++}`;
    this.version = spec.version;
    this.child = agent.child;
    const slots = agent.slots;
    this.handoffs = new PodHandoffs(this.child, slots, {
      podName: this.name,
      kill: () => this.kill(),
      emptied: () => this.killIfDrained(),
      log: spec.log,
    });
    const forward = (d: Buffer) => spec.appLog(d.toString());
    this.child.stdout?.on("data", forward);
    this.child.stderr?.on("data", forward);
    this.child.on("exit", () => {
      this.exited = true;
      this.agent.destroy();
      this.sockets.destroy();
      this.handoffs.podExited();
      for (const l of this.exitListeners.splice(0)) l();
    });
    this.child.on("error", () => {
      this.exited = true;
      this.handoffs.podExited();
      for (const l of this.exitListeners.splice(0)) l();
    });
  }

  /**
   * Starts a pod on a standby agent and resolves once it listens; rejects if it exits or
   * misses the deadline. `spawned` gets the pod as soon as its process exists. The agent starts the worker with exactly the environment built here:
   * the local Ignite's own, the app's `env`, the runtime's additions, minus what the runtime
   * keeps out, plus the ids the worker reads.
   */
  static async start(spec: PodSpec, budgetMs: number, standby: StandbyAgents, spawned?: (pod: PodProcess) => void): Promise<PodProcess> {
    const pod = new PodProcess(spec, await standby.take());
    // Known to its pool from now on, so stopping the pool kills a pod still starting too.
    spawned?.(pod);
    const env: Record<string, string | undefined> = { ...process.env, ...spec.env, ...spec.worker.env };
    for (const name of spec.worker.unsetEnv ?? []) delete env[name];
    env.IGNITE_FUNCTION_ID = spec.functionId;
    env.IGNITE_ORGANIZATION_ID = spec.organizationId;
    const start = { t: "start", argv: spec.worker.argv, env, cwd: spec.treeDir, hint: spec.worker.stdoutHint ?? "" };
    const ready = pod.child.stdio[3] as Readable;
    pod.child.send(start, (err) => err && pod.kill());
    return new Promise((resolve, reject) => {
      let buffered = "";
      const fail = (why: string) => {
        clearTimeout(timer);
        pod.kill();
        reject(new PodStartError(why));
      };
      const timer = setTimeout(() => fail(`the pod was not ready within the cold-start budget (${budgetMs} ms)`), budgetMs);
      pod.onExit(() => fail("the pod exited before it was ready; see the app logs"));
      ready.on("data", (d: Buffer) => {
        buffered += d.toString();
        const m = /READY (\d+)\n/.exec(buffered);
        if (!m) return;
        clearTimeout(timer);
        pod.port = Number(m[1]);
        ready.destroy();
        resolve(pod);
      });
      ready.on("error", () => undefined);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  onExit(listener: () => void): void {
    if (this.exited) listener();
    else this.exitListeners.push(listener);
  }

  /**
   * The error for a request whose connection to this pod broke. A pod that hangs up
   * mid-request is almost always dying, and its exit event can trail the closed socket, so
   * this waits up to POD_EXIT_WAIT_MS for it: the error then says what happened, and the
   * caller's next request cannot be routed to the dead pod.
   */
  async connectionLost(err: Error | undefined): Promise<PodFailedError> {
    if (!this.exited) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POD_EXIT_WAIT_MS);
        this.onExit(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.exited) return podExitedError(err);
    return new PodFailedError(`the pod connection failed (${err?.message ?? "closed"}); see the app logs`, { cause: err });
  }

  /** Out of rotation: its handed connections come back, and it stops once nothing runs on it. */
  /** Resolves once the pod has taken note of the recall (handoff.ts `drain`). */
  retire(): Promise<void> {
    this.retired = true;
    const recalled = this.handoffs.drain();
    this.killIfDrained();
    return recalled;
  }

  killIfDrained(): void {
    if (this.retired && this.inFlight === 0 && this.handoffs.count === 0) this.kill();
  }

  /** SIGKILL: a pod holds no state worth a graceful shutdown, and a hung handler ignores SIGTERM. */
  kill(): void {
    if (this.exited) return;
    this.child.kill("SIGKILL");
  }

  /** Kills and waits until the process is gone (stop() must leave no processes behind). */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.onExit(resolve);
      this.kill();
    });
  }
}
