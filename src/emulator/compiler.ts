/**
 * The compile queue behind CompileDraft: CompileDraft marks the draft COMPILING and returns; the
 * compile runs when a slot is free (at most `concurrency` at once, first come first served),
 * through the runtime plug-in's `compile` (for Rust a real cargo build). Its output is
 * appended to the draft's compile log in batches, waking StreamCompileLogs followers; the
 * result (state, compile_error, the artifact) is recorded in the draft.
 *
 * A result is only applied if the draft it was started for is still the one in the slot (same
 * code hash, still COMPILING, no newer compile): a SaveDraft during a compile wins, and the
 * superseded build is stopped. Past the compile budget a build is killed and FAILED "timed out
 * after N s". A compile cut short by stop() is FAILED as interrupted, and so is one a killed
 * local Ignite left COMPILING in the data dir (recover(), at start).
 */
import { EventEmitter } from "node:events";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { create } from "@bufbuild/protobuf";
import { CompileLogLineSchema, CompileState, type CompileLogLine, type CompileRuntime } from "../gen/dodil/ignite/v1/compute_pb.js";
import type { KeyedMutex } from "./mutex.js";
import type { CompileResult, PublishBuildResult, RuntimeHost, RuntimePlugin } from "./runtimes/types.js";
import type { Store, StoredDraft } from "./store.js";

export interface CompilerOptions {
  store: Store;
  /** Where builds keep their working copies and wrapper crates (under the data dir). */
  workRoot: string;
  locks: KeyedMutex;
  log: (line: string) => void;
  /** The plug-in of a CompileRuntime case ("rust"), when that runtime has a compile step. */
  plugin: (runtimeCase: string) => RuntimePlugin | undefined;
  /** The services the local Ignite gives a plug-in. */
  host: (plugin: RuntimePlugin) => RuntimeHost;
  /** How long one compile may run, seconds (the platform's default is 2400). */
  budgetSecs: number;
  /** How many compiles run at once; the rest wait in order. */
  concurrency: number;
}

export const INTERRUPTED = "the compile was interrupted: the local Ignite stopped before it finished; run CompileDraft again";

/** Why a compile was aborted. */
class Stop {
  constructor(readonly why: "budget" | "stop" | "superseded") {}
}

interface Job {
  appId: string;
  codeHash: string;
  runtimeCase: string;
  compileRuntime: CompileRuntime | undefined;
  controller: AbortController;
  /** Lines not yet persisted. */
  pending: string[];
  /** The latest lines, for the tail of a timeout's error. */
  recent: string[];
  flushTimer: NodeJS.Timeout | undefined;
  /** The previous compile of the same app, which must be gone before this one touches its work dir. */
  after: Promise<void>;
  started: boolean;
  done: Promise<void>;
  resolveDone: () => void;
}

const FLUSH_MS = 200;
const TAIL = 10;

export class Compiler {
  private readonly events = new EventEmitter();
  /** The latest compile of each app, queued or running. */
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  /** Compiles started and not yet ended, including superseded ones still stopping. */
  private readonly live = new Set<Job>();
  private running = 0;
  private stopped = false;
  /** Builds of PublishDraft in progress (stop() aborts them). */
  private readonly publishing = new Set<AbortController>();

  constructor(private readonly o: CompilerOptions) {
    this.events.setMaxListeners(0);
  }

  /** Marks `stored` as COMPILING (caller holds the app lock and persists) and queues the compile. */
  start(appId: string, stored: StoredDraft): StoredDraft {
    const codeHash = stored.draft.codeHash;
    const runtimeCase = stored.draft.runtime?.runtime.case ?? "";
    stored.draft.compileState = CompileState.COMPILING;
    stored.draft.compileError = "";
    stored.compileLog = [line(`compile queued for ${appId} (${codeHash})`, CompileState.COMPILING)];
    const previous = this.jobs.get(appId);
    previous?.controller.abort(new Stop("superseded"));
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const job: Job = {
      appId,
      codeHash,
      runtimeCase,
      compileRuntime: stored.draft.runtime,
      controller: new AbortController(),
      pending: [],
      recent: [],
      flushTimer: undefined,
      after: previous?.done ?? Promise.resolve(),
      started: false,
      done,
      resolveDone,
    };
    this.jobs.set(appId, job);
    const ahead = this.running + this.queue.length;
    if (ahead >= this.o.concurrency) {
      stored.compileLog.push(line(`waiting for ${ahead - this.o.concurrency + 1} compile(s) ahead of it (compile concurrency ${this.o.concurrency})`, CompileState.COMPILING));
    }
    this.queue.push(job);
    setImmediate(() => this.pump());
    return stored;
  }

  /**
   * Whether this process is compiling (or has queued) that exact draft. A draft left
   * COMPILING by a stopped local Ignite is not, and CompileDraft starts it again.
   */
  isActive(appId: string, codeHash: string): boolean {
    return this.jobs.get(appId)?.codeHash === codeHash;
  }

  /** A SaveDraft or DeleteApp replaced the draft: its compile stops, its result is dropped. */
  superseded(appId: string): void {
    this.jobs.get(appId)?.controller.abort(new Stop("superseded"));
  }

  /** DeleteApp: stops the app's compile and removes its build directory. */
  async deleted(appId: string): Promise<void> {
    const job = this.jobs.get(appId);
    job?.controller.abort(new Stop("superseded"));
    if (job?.started) await job.done;
    await fs.rm(this.workDir(appId), { recursive: true, force: true });
  }

  /** Wakes StreamCompileLogs followers of `appId`. */
  changed(appId: string): void {
    this.events.emit(appId);
  }

  /** Resolves on the next change of `appId`'s draft, or after `ms` (a safety net), or on abort. */
  waitForChange(appId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off(appId, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.events.on(appId, done);
      signal.addEventListener("abort", done);
    });
  }

  /**
   * At start: a draft left COMPILING in the data dir (the local Ignite was killed mid-compile)
   * is FAILED as interrupted, so nobody waits for a compile that no longer runs.
   */
  async recover(): Promise<void> {
    for (const org of await this.o.store.listOrgs()) {
      for (const app of await this.o.store.listApps(org)) {
        await this.o.locks.run(app.appId, async () => {
          const stored = await this.o.store.getDraft(app.appId);
          if (!stored || stored.draft.compileState !== CompileState.COMPILING || this.jobs.has(app.appId)) return;
          await this.record(app.appId, stored, [`error: ${INTERRUPTED}`], { state: CompileState.FAILED, error: INTERRUPTED });
          this.o.log(`compile of ${app.appId} was interrupted by a stop; marked FAILED`);
        });
      }
    }
  }

  /**
   * The build that is part of PublishDraft, for runtimes that have one (Go, Deno; seed 003:
   * "compiled as part of the draft/publish flow"): run now, on a private copy of the draft,
   * within the compile budget. The caller holds the app lock and publishes only on success.
   * The build's lines become the draft's compile log (StreamCompileLogs shows them). Undefined
   * for runtimes without such a build.
   */
  async publishBuild(appId: string, stored: StoredDraft): Promise<PublishBuildResult | undefined> {
    const runtimeCase = stored.draft.runtime?.runtime.case ?? "";
    const plugin = this.o.plugin(runtimeCase);
    if (!plugin?.publishBuild) return undefined;
    if (this.stopped) return { ok: false, error: INTERRUPTED };
    const workDir = this.workDir(appId);
    const treeDir = path.join(workDir, "tree");
    await fs.rm(treeDir, { recursive: true, force: true });
    await fs.mkdir(workDir, { recursive: true });
    await fs.cp(await this.o.store.files.draftTree(appId), treeDir, { recursive: true, preserveTimestamps: true });
    const controller = new AbortController();
    this.publishing.add(controller);
    const budget = setTimeout(() => controller.abort(new Stop("budget")), this.o.budgetSecs * 1000);
    const lines: string[] = [`build for publish of ${appId} (${stored.draft.codeHash}, ${runtimeCase})`];
    let result: PublishBuildResult;
    try {
      result = await plugin.publishBuild(
        { appId, treeDir, workDir, compileRuntime: stored.draft.runtime, signal: controller.signal, log: (text) => lines.push(text) },
        this.o.host(plugin),
      );
    } catch (err) {
      result = { ok: false, error: `the build crashed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(budget);
      this.publishing.delete(controller);
    }
    const why = (controller.signal.reason as Stop | undefined)?.why;
    if (why === "budget") result = { ok: false, error: `timed out after ${this.o.budgetSecs} s (the compile budget: --compile-budget-secs, IGNITE_COMPILE_BUDGET_SECS)` };
    if (why === "stop") result = { ok: false, error: INTERRUPTED };
    if (!result.ok) lines.push(`error: ${result.error}`);
    stored.compileLog = [
      ...lines.map((t) => line(t, CompileState.COMPILING)),
      line(result.ok ? "build succeeded" : "build failed", result.ok ? CompileState.SUCCEEDED : CompileState.FAILED),
    ];
    await this.o.store.putDraftMeta(appId, stored);
    this.changed(appId);
    return result;
  }

  /** Stops every compile (killing its build) and records it as interrupted; waits for the writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const controller of this.publishing) controller.abort(new Stop("stop"));
    const all = [...new Set([...this.jobs.values(), ...this.live])];
    for (const job of all) job.controller.abort(new Stop("stop"));
    // Queued compiles never start now: record them here.
    for (const job of this.queue.splice(0)) void this.finish(job, { ok: false, error: INTERRUPTED }).finally(() => this.release(job));
    await Promise.all(all.map((j) => j.done));
  }

  // ---- running a compile ---------------------------------------------------------------

  private workDir(appId: string): string {
    return path.join(this.o.workRoot, ...appId.split("/"));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.o.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job.started = true;
      this.live.add(job);
      void this.run(job)
        .catch((err: unknown) => this.o.log(`compile of ${job.appId} crashed: ${String(err)}`))
        .finally(() => {
          this.running--;
          this.release(job);
          this.pump();
        });
    }
  }

  private release(job: Job): void {
    this.live.delete(job);
    if (job.flushTimer) clearTimeout(job.flushTimer);
    if (this.jobs.get(job.appId) === job) this.jobs.delete(job.appId);
    job.resolveDone();
  }

  private async run(job: Job): Promise<void> {
    await job.after;
    const { signal } = job.controller;
    if (signal.aborted) return this.finish(job, { ok: false, error: INTERRUPTED });
    const plugin = this.o.plugin(job.runtimeCase);
    const workDir = this.workDir(job.appId);
    const treeDir = path.join(workDir, "tree");
    // The build's private copy of the draft, taken under the app lock so a SaveDraft cannot
    // replace the tree halfway; timestamps kept, so cargo rebuilds only what changed.
    const current = await this.o.locks.run(job.appId, async () => {
      if (!this.isCurrent(job, await this.o.store.getDraft(job.appId))) return false;
      await fs.rm(treeDir, { recursive: true, force: true });
      await fs.mkdir(workDir, { recursive: true });
      await fs.cp(await this.o.store.files.draftTree(job.appId), treeDir, { recursive: true, preserveTimestamps: true });
      return true;
    });
    if (!current) return;
    if (!plugin?.compile) return this.finish(job, { ok: false, error: `runtime ${job.runtimeCase} has no compile step here` });

    const budget = setTimeout(() => job.controller.abort(new Stop("budget")), this.o.budgetSecs * 1000);
    let result: CompileResult;
    try {
      result = await plugin.compile(
        { appId: job.appId, treeDir, workDir, compileRuntime: job.compileRuntime, signal, log: (text) => this.log(job, text) },
        this.o.host(plugin),
      );
    } catch (err) {
      result = { ok: false, error: `the compile crashed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(budget);
    }
    await this.finish(job, result);
  }

  private log(job: Job, text: string): void {
    job.pending.push(text);
    job.recent.push(text);
    if (job.recent.length > TAIL) job.recent.shift();
    job.flushTimer ??= setTimeout(() => {
      job.flushTimer = undefined;
      void this.flush(job).catch((err: unknown) => this.o.log(`compile log of ${job.appId}: ${String(err)}`));
    }, FLUSH_MS);
  }

  /** Persists the pending lines; a compile whose draft was replaced is stopped instead. */
  private async flush(job: Job): Promise<void> {
    await this.o.locks.run(job.appId, async () => {
      const stored = await this.o.store.getDraft(job.appId);
      if (!this.isCurrent(job, stored)) {
        job.controller.abort(new Stop("superseded"));
        return;
      }
      const lines = job.pending.splice(0);
      if (lines.length === 0) return;
      stored!.compileLog.push(...lines.map((t) => line(t, CompileState.COMPILING)));
      await this.o.store.putDraftMeta(job.appId, stored!);
    });
    this.changed(job.appId);
  }

  /** Records the outcome, unless the draft moved on. */
  private async finish(job: Job, result: CompileResult): Promise<void> {
    if (job.flushTimer) clearTimeout(job.flushTimer);
    job.flushTimer = undefined;
    const reason = job.controller.signal.aborted ? (job.controller.signal.reason as Stop | undefined)?.why : undefined;
    if (reason === "superseded") return;
    let outcome: { state: CompileState; error: string; artifact?: string };
    if (reason === "budget") {
      const tail = job.recent.map((l) => `  | ${l}`).join("\n");
      job.pending.push(`error: timed out after ${this.o.budgetSecs} s (the compile budget); the build was stopped`);
      outcome = {
        state: CompileState.FAILED,
        error: `timed out after ${this.o.budgetSecs} s (the compile budget: --compile-budget-secs, IGNITE_COMPILE_BUDGET_SECS); the last lines of the log:\n${tail}`,
      };
    } else if (reason === "stop") {
      job.pending.push(`error: ${INTERRUPTED}`);
      outcome = { state: CompileState.FAILED, error: INTERRUPTED };
    } else if (result.ok) {
      outcome = { state: CompileState.SUCCEEDED, error: "", artifact: result.artifact };
    } else {
      outcome = { state: CompileState.FAILED, error: result.error };
    }
    await this.o.locks.run(job.appId, async () => {
      const stored = await this.o.store.getDraft(job.appId);
      if (!this.isCurrent(job, stored)) return;
      if (outcome.artifact) await this.o.store.files.putDraftArtifact(job.appId, outcome.artifact);
      await this.record(job.appId, stored!, job.pending.splice(0), outcome);
    });
    this.changed(job.appId);
  }

  /** Appends `lines` and the final line, sets the terminal state; caller holds the app lock. */
  private async record(appId: string, stored: StoredDraft, lines: string[], outcome: { state: CompileState; error: string }): Promise<void> {
    const ok = outcome.state === CompileState.SUCCEEDED;
    stored.compileLog.push(...lines.map((t) => line(t, CompileState.COMPILING)));
    stored.compileLog.push(line(ok ? "compile succeeded" : "compile failed", outcome.state));
    stored.draft.compileState = outcome.state;
    stored.draft.compileError = outcome.error;
    if (ok) stored.draft.compiledCodeHash = stored.draft.codeHash;
    stored.draft.updateTimeMs = BigInt(Date.now());
    await this.o.store.putDraftMeta(appId, stored);
  }

  private isCurrent(job: Job, stored: StoredDraft | undefined): boolean {
    return (
      stored !== undefined &&
      stored.draft.codeHash === job.codeHash &&
      stored.draft.compileState === CompileState.COMPILING &&
      this.jobs.get(job.appId) === job
    );
  }
}

function line(text: string, state: CompileState): CompileLogLine {
  return create(CompileLogLineSchema, { line: text, timestampMs: BigInt(Date.now()), state });
}
