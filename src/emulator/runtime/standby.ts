/**
 * Pod agents started ahead of need. On the platform the agent is already on the node when a
 * cold start comes and "just execs the binary" (seed 003); here starting a process from the
 * emulator costs milliseconds of the event loop (Node forks the whole emulator to spawn it),
 * which would be billed to every cold start. So one agent always waits, idle, without a
 * worker: a cold start takes it, tells it over its IPC channel which worker to run, where and
 * with which environment (docs/pod-protocol.md, "Standby"), and the next one is started after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createSlotTable } from "./handoff.js";

/** An agent process: the child, with its IPC channel, and the slot table it inherited (fd 5). */
export interface AgentProcess {
  child: ChildProcess;
  slots: number;
}

/** Starts an agent: with `workerArgv` it starts that worker at once, without it it waits for a start message. */
export function spawnAgent(agent: string, workerArgv?: string[]): AgentProcess {
  const slots = createSlotTable();
  const child = spawn(agent, workerArgv ? ["--", ...workerArgv] : [], {
    env: { ...process.env, IGNITE_READY_FD: "3", IGNITE_SLOTS_FD: "5" },
    stdio: ["pipe", "pipe", "pipe", "pipe", "ipc", slots],
  });
  child.channel?.unref();
  return { child, slots };
}

/** How long after a standby is taken the next one is started: after the cold start it serves. */
const REFILL_DELAY_MS = 250;

export class StandbyAgents {
  private waiting: AgentProcess | undefined;
  private stopped = false;

  constructor(
    /** The agent binary (built on first use). */
    private readonly agentPath: () => Promise<string>,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the first standby now, so even the first cold start finds one. */
  warm(): void {
    this.agentPath().then((path) => this.refill(path), () => undefined);
  }

  /** A standby agent for a pod (started now if none is waiting); another is started for the next. */
  async take(): Promise<AgentProcess> {
    const path = await this.agentPath();
    let agent = this.waiting;
    this.waiting = undefined;
    if (!agent || agent.child.exitCode !== null || agent.child.signalCode !== null || !agent.child.connected) {
      if (agent) agent.child.kill("SIGKILL");
      agent = spawnAgent(path);
    }
    detach(agent);
    // Not at once: spawning from the emulator blocks its event loop for milliseconds, which
    // would land on the very cold start this agent is for (its READY, its request).
    const timer = setTimeout(() => this.refill(path), REFILL_DELAY_MS);
    timer.unref();
    return agent;
  }

  /** The waiting agent's pid (GET /_ignite/pods), if one waits. */
  get waitingPid(): number | undefined {
    return this.waiting?.child.pid;
  }

  stop(): void {
    this.stopped = true;
    this.waiting?.child.kill("SIGKILL");
    this.waiting = undefined;
  }

  private refill(path: string): void {
    if (this.stopped || this.waiting) return;
    const agent = spawnAgent(path);
    // An idle standby says nothing; if it does, it is the emulator's business.
    const say = (d: Buffer) => this.log(`runtime: standby agent: ${d.toString().trim()}`);
    agent.child.stdout?.on("data", say);
    agent.child.stderr?.on("data", say);
    agent.child.on("error", (err) => this.log(`runtime: a standby agent could not start: ${err.message}`));
    agent.child.once("exit", () => {
      if (this.waiting === agent) this.waiting = undefined;
    });
    this.waiting = agent;
  }
}

/** Removes what the standby pool attached, so the pod's own listeners are the only ones. */
function detach(agent: AgentProcess): void {
  agent.child.stdout?.removeAllListeners("data");
  agent.child.stderr?.removeAllListeners("data");
  agent.child.removeAllListeners("exit");
  agent.child.removeAllListeners("error");
}
