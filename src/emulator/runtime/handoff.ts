/**
 * Connection handoff: once the relay (relay.ts) has served a request on a keep-alive
 * public-URL connection, it may give the client's socket to the pod that answered, so the
 * pod reads the next requests straight from the client and no process sits between them.
 * See docs/runtime.md, "Connection handoff".
 *
 * The socket travels over the pod's IPC channel (Node's child_process protocol: a JSON line
 * carrying the descriptor as SCM_RIGHTS). The emulator keeps its own descriptor of the same
 * socket and reads nothing from it while the pod holds it, so it can always take the
 * connection back: when the pod gives it back at a request boundary (a request the relay did
 * not authorize in this exact form, or a drain), and when the pod dies. What the pod is doing
 * is in a slot table both processes map (a file created and unlinked at once, inherited by
 * the pod as fd 5), one 40-byte slot per connection, five little-endian doubles:
 * [pending (since when the pod holds bytes of a request, 0 when none), started (when the
 * request head was accepted, 0 when none), responding (0/1), requests served, last request
 * done (epoch ms)]. pending and started are CLOCK_MONOTONIC milliseconds (Python's
 * time.monotonic, Node's process.hrtime), so a wall-clock step cannot make a request look hung. The pod marks "pending" before it reads a request's first byte,
 * so after a pod died a slot without it means no byte of the connection was lost and it can
 * simply go back to the relay; any other gets the error the relay would answer (502, or 504
 * when the watchdog killed the pod for the app timeout, which counts from "started"), unless
 * the response had started.
 *
 * No message crosses the channel per request: the pool reads the table on its ticks
 * (in-flight requests, request rate, last activity) and a watchdog reads it while
 * connections are handed over.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { appTimeoutError, podExitedError } from "./errors.js";

/** What the relay authorized; the pod serves only requests that match it exactly. */
export interface HandoffGuard {
  /** The request's host, lowercased, port stripped. */
  host: string;
  /** The Authorization value the relay accepted; null for an app that allows unauthenticated calls. */
  authorization: string | null;
  /** When the token stops being valid (epoch ms); null when it does not expire. */
  authUntil: number | null;
  /** Add Access-Control-Allow-Origin: * (allow_unauthenticated apps). */
  cors: boolean;
}

export interface HandoffLimits {
  timeoutMs: number;
  maxResponseBytes: number;
  /** The relay's answer to a response above maxResponseBytes, rendered once. */
  tooLarge: { status: number; body: string };
  maxRequestBytes: number;
  /** The relay's answer to a request body above maxRequestBytes (the connection then closes). */
  requestTooLarge: { status: number; body: string };
}

/**
 * Why the pod gave a connection back: "credentials" (another host or token, or an expired
 * one), "preflight", "malformed" (the relay answers 400/431), "drain" (recalled), "error".
 */
export type GiveBackReason = "credentials" | "preflight" | "malformed" | "drain" | "error";

/** What becomes of a handed connection; exactly one is called. */
export interface HandoffEnd {
  /** Given back at a request boundary; `unread` holds bytes the pod read and did not serve. */
  back(unread: Buffer, why: GiveBackReason): void;
  /** The pod closed it (client gone, Connection: close, idle timeout). */
  closed(): void;
  /** The pod died with a request in progress; `responding`: its response had started. */
  lost(err: Error, responding: boolean): void;
}

/** A sample of the slot table, for the autoscaler. */
export interface HandoffSample {
  /** Requests in progress on handed connections. */
  busy: number;
  /** Requests completed since the previous sample. */
  completed: number;
  /** When the last one ended (epoch ms), 0 if none. */
  lastDoneAt: number;
}

const SLOT_BYTES = 40;
/** Timestamps outside [now - this, now + this] are torn reads, not times (the pod writes doubles byte by byte). */
const SANE_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** Connections one pod holds at most; past it the relay keeps serving. */
export const MAX_HANDED_CONNECTIONS = 256;
const EMPTY = Buffer.alloc(0);
const DRAIN_ACK_WAIT_MS = 1000;

interface Handed {
  socket: net.Socket;
  slot: number;
  end: HandoffEnd;
  /** The slot's request count at the last sample. */
  counted: number;
}

interface Slot {
  /** The pod holds bytes of a request. */
  pending: boolean;
  /** When the request's head was accepted, or 0. */
  started: number;
  responding: boolean;
  requests: number;
  lastDoneAt: number;
}

/** Where slot tables are created (and unlinked at once): shared memory when the machine has it. */
function tableDir(): string {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

/**
 * A pod's slot table: an anonymous shared file, passed to the pod as an inherited
 * descriptor. Unlinked as soon as it is created, so it never outlives the two processes.
 */
export function createSlotTable(): number {
  const file = path.join(tableDir(), `ignite-${process.pid}-${randomBytes(8).toString("hex")}.slots`);
  const fd = fs.openSync(file, "wx+", 0o600);
  fs.unlinkSync(file);
  fs.ftruncateSync(fd, SLOT_BYTES * MAX_HANDED_CONNECTIONS);
  return fd;
}

export class PodHandoffs {
  private readonly handed = new Map<number, Handed>();
  private tableOpen = true;
  private readonly freeSlots: number[] = [];
  private slotsUsed = 0;
  private nextId = 1;
  private watchdog: NodeJS.Timeout | undefined;
  private limits: HandoffLimits | undefined;
  /** Connections whose request the watchdog found past the app timeout. */
  private overdue = new Set<number>();
  /** Completed requests of connections that ended since the last sample. */
  private completedUncounted = 0;
  /** Requests served on connections that were handed over and have ended. */
  private servedOnEnded = 0;
  private lastDoneAt = 0;
  private gone = false;
  /** Drains the pod has not confirmed yet, by sequence number. */
  private readonly drains = new Map<number, () => void>();

  constructor(
    private readonly child: ChildProcess,
    /** The slot table (createSlotTable), which the pod inherited. */
    private readonly tableFd: number,
    private readonly hooks: { podName: string; kill(): void; emptied(): void; log(line: string): void },
  ) {
    child.on("message", (m: unknown) => this.onMessage(m));
  }

  /** Connections the pod holds now. */
  get count(): number {
    return this.handed.size;
  }

  /**
   * Gives `socket` to the pod (true), or leaves it untouched (false: the pod is gone, full,
   * or has no channel). The socket must be idle between requests with nothing buffered.
   */
  hand(socket: net.Socket, guard: HandoffGuard, limits: HandoffLimits, end: HandoffEnd): boolean {
    if (this.gone || !this.child.connected || this.handed.size >= MAX_HANDED_CONNECTIONS) return false;
    if (socket.readableLength > 0 || !socket.writable) return false;
    const slot = this.freeSlots.pop() ?? this.slotsUsed++;
    fs.writeSync(this.tableFd, Buffer.alloc(SLOT_BYTES), 0, SLOT_BYTES, slot * SLOT_BYTES);
    const id = this.nextId++;
    this.limits = limits;
    park(socket);
    const message = { t: "conn", id, slot, ...guard, ...limits };
    this.handed.set(id, { socket, slot, end, counted: 0 });
    try {
      this.child.send(message, socket, { keepOpen: true }, (err) => {
        if (err) this.settle(id)?.end.back(EMPTY, "error"); // never reached the pod
      });
    } catch {
      this.handed.delete(id);
      unpark(socket);
      this.freeSlots.push(slot);
      return false;
    }
    this.watchdog ??= setInterval(() => this.checkTimeouts(), Math.min(250, Math.max(10, Math.floor(limits.timeoutMs / 10))));
    this.watchdog.unref();
    return true;
  }

  /**
   * Asks the pod to give back every connection it holds at its next request boundary.
   * Resolves once the pod has taken note (it serves no request of those connections after
   * that), or is gone.
   */
  drain(): Promise<void> {
    if (this.handed.size === 0 || this.gone || !this.child.connected) return Promise.resolve();
    const seq = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve) => {
      this.drains.set(seq, () => resolve());
      // A pod whose handler holds the interpreter cannot answer; a change must not wait on it.
      timer = setTimeout(resolve, DRAIN_ACK_WAIT_MS);
      // A failure means the pod is gone: its exit settles everything.
      this.child.send({ t: "drain", seq }, (err) => err && this.drains.get(seq)?.());
    }).finally(() => {
      clearTimeout(timer);
      this.drains.delete(seq);
    });
  }

  /** Every request this pod has served on a handed connection (held ones read from the table). */
  served(): number {
    let n = this.servedOnEnded;
    if (this.handed.size > 0) {
      const slots = this.readTable();
      for (const h of this.handed.values()) n += slots[h.slot]!.requests;
    }
    return n;
  }

  /** In-flight and completed requests on handed connections since the last call. */
  sample(): HandoffSample {
    let busy = 0;
    let completed = this.completedUncounted;
    let lastDoneAt = this.lastDoneAt;
    this.completedUncounted = 0;
    if (this.handed.size > 0) {
      const slots = this.readTable();
      for (const h of this.handed.values()) {
        const s = slots[h.slot]!;
        if (s.started > 0) busy++;
        completed += Math.max(0, s.requests - h.counted);
        h.counted = s.requests;
        lastDoneAt = Math.max(lastDoneAt, s.lastDoneAt);
      }
    }
    this.lastDoneAt = lastDoneAt;
    return { busy, completed, lastDoneAt };
  }

  /** The pod process is gone: every connection comes back, or fails as its request would have. */
  podExited(): void {
    if (this.gone) return;
    this.gone = true;
    this.stopWatchdog();
    for (const resolve of this.drains.values()) resolve();
    const slots = this.handed.size > 0 ? this.readTable() : [];
    const timeoutMs = this.limits?.timeoutMs ?? 0;
    for (const [id, h] of [...this.handed]) {
      this.handed.delete(id);
      const s = slots[h.slot]!;
      unpark(h.socket);
      if (!s.pending && !(s.started > 0)) h.end.back(EMPTY, "error");
      else if (this.overdue.has(id)) {
        h.end.lost(
          appTimeoutError(timeoutMs),
          s.responding,
        );
      } else h.end.lost(podExitedError(), s.responding);
    }
    if (this.tableOpen) {
      this.tableOpen = false;
      fs.closeSync(this.tableFd);
    }
  }

  private onMessage(m: unknown): void {
    const msg = m as { t?: string; id?: number; seq?: number; unread?: string; why?: GiveBackReason };
    if (msg.t === "drained" && typeof msg.seq === "number") this.drains.get(msg.seq)?.();
    if (typeof msg.id !== "number") return;
    if (msg.t === "back") this.settle(msg.id, true)?.end.back(msg.unread ? Buffer.from(msg.unread, "base64") : EMPTY, msg.why ?? "error");
    else if (msg.t === "closed") this.settle(msg.id, true)?.end.closed();
  }

  /** Forgets a connection (its slot is free again) and returns it, once. */
  private settle(id: number, count = false): Handed | undefined {
    const h = this.handed.get(id);
    if (!h) return undefined;
    this.handed.delete(id);
    if (count && this.tableOpen) {
      const s = this.readTable()[h.slot]!;
      this.servedOnEnded += s.requests;
      this.completedUncounted += Math.max(0, s.requests - h.counted);
      this.lastDoneAt = Math.max(this.lastDoneAt, s.lastDoneAt);
    }
    this.freeSlots.push(h.slot);
    unpark(h.socket);
    if (this.handed.size === 0) {
      this.stopWatchdog();
      queueMicrotask(() => this.hooks.emptied());
    }
    return h;
  }

  /** A request past the app timeout: the pod is killed, as the relay kills a hung pod. */
  private checkTimeouts(): void {
    const timeoutMs = this.limits?.timeoutMs;
    if (!timeoutMs || this.handed.size === 0) return;
    const now = monotonicMs();
    const slots = this.readTable();
    for (const [id, h] of this.handed) {
      const started = slots[h.slot]!.started;
      if (started > 0 && now - started >= timeoutMs) this.overdue.add(id);
    }
    if (this.overdue.size > 0) {
      this.hooks.log(`runtime: ${this.hooks.podName}: a request on a handed-over connection passed the app timeout; stopping the pod`);
      this.stopWatchdog();
      this.hooks.kill();
    }
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private readTable(): Slot[] {
    const bytes = Buffer.alloc(this.slotsUsed * SLOT_BYTES);
    if (this.tableOpen && bytes.length > 0) fs.readSync(this.tableFd, bytes, 0, bytes.length, 0);
    const now = Date.now();
    const monotonicNow = monotonicMs();
    const sane = (v: number, at: number): number => (Math.abs(v - at) <= SANE_WINDOW_MS ? v : 0);
    const slots: Slot[] = [];
    for (let off = 0; off < bytes.length; off += SLOT_BYTES) {
      slots.push({
        // Any non-zero pattern counts as pending: a torn write still means bytes may be held.
        pending: bytes.readDoubleLE(off) !== 0,
        started: sane(bytes.readDoubleLE(off + 8), monotonicNow),
        responding: bytes.readDoubleLE(off + 16) > 0,
        requests: bytes.readDoubleLE(off + 24),
        lastDoneAt: sane(bytes.readDoubleLE(off + 32), now),
      });
    }
    return slots;
  }
}

/**
 * Stops Node from reading a socket without closing it, and starts it again. net.Socket has
 * no public call for this (pause() only stops emitting; the handle keeps reading into the
 * stream's buffer), so these are the handle calls net.Socket itself makes for
 * `pauseOnCreate`; `_read` is replaced so the stream does not restart reading on its own.
 * Covered by the handoff tests, which fail if a byte goes to the wrong reader.
 */
interface HandleSocket {
  _read: (size: number) => void;
  _handle: { reading: boolean; readStop(): number; readStart(): number } | null;
}

const PARKED_SERVER = Symbol("parkedServer");

interface ServerSocket {
  server: unknown;
  [PARKED_SERVER]?: unknown;
}

function park(socket: net.Socket): void {
  const s = socket as unknown as HandleSocket & ServerSocket;
  // A socket accepted by a net.Server and sent to a child is registered with that server as
  // shared with a worker (cluster's bookkeeping): server.close() would then wait for the
  // child to confirm over a protocol a Python pod does not speak. The emulator tracks the
  // connection itself, so `server` is hidden while it is parked (Node may send the socket
  // later, once the pod acknowledged the previous one).
  s[PARKED_SERVER] = s.server;
  s.server = null;
  socket.pause();
  s._read = () => undefined;
  if (s._handle) {
    s._handle.readStop();
    s._handle.reading = false;
  }
}

function unpark(socket: net.Socket): void {
  const s = socket as unknown as Partial<HandleSocket> & ServerSocket;
  if (!Object.prototype.hasOwnProperty.call(s, "_read")) return; // not parked
  delete s._read;
  s.server = s[PARKED_SERVER];
  delete s[PARKED_SERVER];
  if (s._handle && !socket.destroyed) {
    s._handle.reading = true;
    s._handle.readStart();
  }
  socket.resume();
}

/** CLOCK_MONOTONIC in milliseconds: the clock of Python's time.monotonic(). */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
