/**
 * The asynchronous compile lifecycle of Rust drafts: CompileDraft marks the draft COMPILING and
 * returns; the check (compile-check.ts) runs after `compileDelayMs` and records its log lines and
 * terminal state in the draft. Followers of StreamCompileLogs are woken on every change.
 *
 * A compile result is only applied if the draft it was started for is still the one in the
 * slot (same code hash, still COMPILING), so a SaveDraft during a compile wins.
 */
import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import { CompileLogLineSchema, CompileState, RustTarget, type CompileLogLine } from "../gen/dodil/ignite/v1/compute_pb.js";
import { checkRustPackage } from "./compile-check.js";
import type { KeyedMutex } from "./mutex.js";
import type { Store, StoredDraft } from "./store.js";

export class Compiler {
  private readonly events = new EventEmitter();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  /** "<appId>@<codeHash>" of compiles scheduled or running in this process. */
  private readonly active = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly locks: KeyedMutex,
    private readonly delayMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Marks `stored` as COMPILING (caller holds the app lock and persists) and schedules the check. */
  start(appId: string, stored: StoredDraft): StoredDraft {
    const rust = stored.draft.runtime?.runtime.case === "rust" ? stored.draft.runtime.runtime.value : undefined;
    const codeHash = stored.draft.codeHash;
    stored.draft.compileState = CompileState.COMPILING;
    stored.draft.compileError = "";
    stored.compileLog = [line(`compile queued for ${appId} (${codeHash})`, CompileState.COMPILING)];
    const key = `${appId}@${codeHash}`;
    this.active.add(key);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const job = this.finish(appId, codeHash, rust?.target ?? RustTarget.UNSPECIFIED, rust?.toolchain ?? "")
        .catch((err: unknown) => this.log(`compile of ${appId} crashed: ${String(err)}`))
        .finally(() => {
          this.running.delete(job);
          this.active.delete(key);
        });
      this.running.add(job);
    }, this.delayMs);
    this.timers.add(timer);
    return stored;
  }

  /**
   * Whether this process is compiling that exact draft. A draft left COMPILING by a stopped
   * emulator is not, and CompileDraft starts it again.
   */
  isActive(appId: string, codeHash: string): boolean {
    return this.active.has(`${appId}@${codeHash}`);
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

  /** Cancels pending compiles and waits for running ones, so stop() leaves no writes behind. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.running]);
  }

  private async finish(appId: string, codeHash: string, target: RustTarget, toolchain: string): Promise<void> {
    const outcome = await checkRustPackage(this.store.draftTreeDir(appId), target, toolchain);
    await this.locks.run(appId, async () => {
      const stored = await this.store.getDraft(appId);
      if (!stored || stored.draft.codeHash !== codeHash || stored.draft.compileState !== CompileState.COMPILING) {
        return; // superseded by a newer SaveDraft or a deleted app
      }
      const state = outcome.ok ? CompileState.SUCCEEDED : CompileState.FAILED;
      outcome.lines.forEach((text, i) => {
        stored.compileLog.push(line(text, i === outcome.lines.length - 1 ? state : CompileState.COMPILING));
      });
      stored.draft.compileState = state;
      stored.draft.compileError = outcome.error ?? "";
      if (outcome.ok) stored.draft.compiledCodeHash = codeHash;
      stored.draft.updateTimeMs = BigInt(Date.now());
      await this.store.putDraftMeta(appId, stored);
    });
    this.changed(appId);
  }
}

function line(text: string, state: CompileState): CompileLogLine {
  return create(CompileLogLineSchema, { line: text, timestampMs: BigInt(Date.now()), state });
}
