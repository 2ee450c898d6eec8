/**
 * The public-URL fast path: a per-connection HTTP/1.1 byte relay between a client and pods.
 *
 * Why not the http server + http.request path (data-plane.ts `servePublic`)? A warm request
 * through it pays a second full HTTP parse and serialize in JS (IncomingMessage,
 * ServerResponse, ClientRequest, IncomingMessage) plus several event-loop hops, which costs
 * about twice the pod's own latency. Here each request head is parsed once (http1-head.ts),
 * authenticated and routed exactly like `servePublic`, rewritten (hop-by-hop headers out,
 * X-Ignite-Execution-Id in), and the body and the pod's response are forwarded as raw bytes
 * over a pooled keep-alive socket (pod-sockets.ts); the relay only tracks where each
 * message ends.
 *
 * Per-request semantics are kept: every request on a keep-alive connection is authorized and
 * leases a pod through the pool (in-flight and request-rate accounting, cold-start wake), the
 * app timeout kills a hung pod (504), a crash is a 502 (the pool restarts on the next
 * request), responses above the size cap are a 502, pipelined requests are answered in
 * order, and a client that goes away releases its pod. A request for another host on the
 * same connection hands the connection back to the Node http server at that boundary.
 *
 * Once a request on a keep-alive connection has been answered by a pod and nothing else is
 * buffered, the connection itself is handed to that pod (handoff.ts), which then serves the
 * requests the relay would have authorized the same way; everything else comes back here.
 */
import { STATUS_CODES } from "node:http";
import type * as net from "node:net";
import { HeadTooLargeError, MalformedInputError } from "../errors.js";
import { appTimeoutError, PodFailedError, requestTooLarge } from "./errors.js";
import type { HandoffGuard } from "./handoff.js";
import { BodyEnd, headerValue, parseHead, requestFraming, responseFraming, type Framing, type Head } from "./http1-head.js";
import { newExecutionId } from "./ids.js";
import type { PodProcess } from "./pod-process.js";
import type { AppPool, Lease } from "./pool.js";
import { DROPPED_REQUEST_HEADERS, tooLarge } from "./proxy.js";

export interface RelayRoute {
  pool: AppPool;
  org: string;
  /** allow_unauthenticated: no token needed, CORS-open. */
  open: boolean;
}

export interface RelayDeps {
  /** The public-URL label of a Host value (port stripped, lowercased), if it is one. */
  labelOf(host: string): string | undefined;
  /** The app behind a label (cached lookups; throws NotFound / NotRunnable). */
  route(label: string, host: string): Promise<RelayRoute>;
  /** Throws Unauthenticated / PermissionDenied; says whose token it is and when it expires (epoch ms). */
  authorize(authorization: string | undefined, org: string): { org: string; validUntil?: number };
  /** An error as the data plane answers it over HTTP. */
  errorResponse(err: unknown): { status: number; body: string };
  limits: { timeoutMs: number; maxResponseBytes: number; maxRequestBytes: number };
  /** Hand served keep-alive connections to their pod (handoff.ts). */
  handoff: boolean;
}

/** Gives the connection to the Node http server, with the bytes not consumed yet. */
export type HandBack = (unread: Buffer) => void;

const MAX_HEAD_BYTES = 64 * 1024;
/** Client bytes buffered while a pod is not ready (or pipelined ahead) before reading pauses. */
const HIGH_WATER = 1024 * 1024;
/** Node's http.Server keepAliveTimeout default: idle client connections are closed after it. */
const IDLE_TIMEOUT_MS = 5000;
const EMPTY: Buffer = Buffer.alloc(0);
const RESPONSE_HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade"]);

/** The answer to a CORS preflight for an allow_unauthenticated app (also used by data-plane.ts `servePublic`). */
export function preflightHeaders(requestedHeaders: string | undefined): Array<[string, string]> {
  return [
    ["Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"],
    ["Access-Control-Allow-Headers", requestedHeaders ?? "*"],
    ["Access-Control-Max-Age", "600"],
  ];
}

/**
 * Takes the connection when its first request (complete head in `first`) is HTTP/1.1 to a
 * public-URL host; otherwise returns false and touches nothing.
 */
export function relayIfPublic(socket: net.Socket, first: Buffer, deps: RelayDeps, handBack: HandBack): boolean {
  const parsed = parseHead(first, MAX_HEAD_BYTES, "request");
  if (parsed.kind !== "ok" || !relayable(parsed.head, deps)) return false;
  new ClientConnection(socket, first, deps, handBack);
  return true;
}

/** The label when the relay serves this request; HTTP/1.0 and upgrades stay with the http server. */
function relayable(head: Head, deps: RelayDeps): string | undefined {
  if (head.start[2] !== "HTTP/1.1" || headerValue(head, "upgrade") !== undefined) return undefined;
  return deps.labelOf(hostOf(head));
}

function hostOf(head: Head): string {
  return (headerValue(head, "host") ?? "").replace(/:\d+$/, "").toLowerCase();
}

/** One request on the connection, from its head to the end of its response. */
interface Exchange {
  head: Head;
  method: string;
  body: BodyEnd;
  /** Body bytes that arrived before the pod socket was ready; undefined once sent or discarded. */
  pending: Buffer[] | undefined;
  pendingBytes: number;
  /** Answered locally (error, preflight): remaining body bytes are read and dropped. */
  discard: boolean;
  cors: boolean;
  /** The client asked for Connection: close, or the response cannot be delimited otherwise. */
  closeAfter: boolean;
  /** Response head written to the client: failures after this can only cut the connection. */
  responded: boolean;
  responseDone: boolean;
  aborted: boolean;
  lease?: Lease;
  pod?: net.Socket;
  /** What was authorized, for a handoff after this exchange, and the app's state it was authorized against. */
  guard?: HandoffGuard;
  pool?: AppPool;
  poolGeneration?: number;
  /** The pod answered and the connection is reusable: it may take the connection over. */
  handTo?: PodProcess;
  /** Detaches the pod-side listeners and timer. */
  unhook?: () => void;
}

class ClientConnection {
  private buf: Buffer;
  private exchange: Exchange | undefined;
  private released = false;
  /** A pod holds the connection (handoff.ts); nothing is read here meanwhile. */
  private parked = false;
  /**
   * Once a pod gave the connection back for a request with other credentials (host or
   * token), it stays here: a pod reads a request before it can refuse it, so a client that
   * mixes callers on one connection must not show them to an app more than once.
   */
  private mixedCredentials = false;

  constructor(
    private readonly socket: net.Socket,
    first: Buffer,
    private readonly deps: RelayDeps,
    private readonly handBack: HandBack,
  ) {
    this.buf = first;
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    socket.on("error", this.onError);
    socket.on("timeout", this.onTimeout);
    this.next();
  }

  // ---- client side ------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    const ex = this.exchange;
    if (ex && !ex.body.done) {
      let n: number;
      try {
        n = ex.body.consume(chunk);
      } catch (err) {
        this.badRequestBody(ex, err);
        return;
      }
      if (ex.body.payloadBytes > this.deps.limits.maxRequestBytes) {
        // A chunked body past the cap: what was forwarded is dropped with the pod connection.
        this.release(ex, false);
        this.exchange = undefined;
        if (ex.responded) this.socket.destroy();
        else this.refuseBody();
        return;
      }
      if (n > 0) this.deliverBody(ex, n === chunk.length ? chunk : chunk.subarray(0, n));
      if (ex.body.done) this.requestBodyDone(ex);
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.exchange) this.next();
    else if (this.buf.length > HIGH_WATER) this.socket.pause(); // pipelined far ahead; next() resumes
  };

  private readonly onEnd = (): void => {
    // The client sent everything; a half-read head will never complete.
    if (!this.exchange) this.socket.destroy();
  };

  private readonly onClose = (): void => {
    const ex = this.exchange;
    this.exchange = undefined;
    if (ex) this.abort(ex);
  };

  private readonly onError = (): void => undefined; // "close" follows

  private readonly onTimeout = (): void => {
    if (!this.exchange) this.socket.destroy();
  };

  /** Starts the next request in `buf`, if its head is complete; `after` is the exchange just finished. */
  private next(after?: Exchange): void {
    if (this.exchange || this.socket.destroyed || this.released || this.parked) return;
    if (this.buf.length === 0 && after && this.mayHandOff(after) && this.handOff(after.handTo!, after.guard!)) return;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buf.length === 0) {
      this.socket.setTimeout(IDLE_TIMEOUT_MS);
      return;
    }
    const parsed = parseHead(this.buf, MAX_HEAD_BYTES, "request");
    if (parsed.kind === "incomplete") {
      this.socket.setTimeout(IDLE_TIMEOUT_MS);
      return;
    }
    if (parsed.kind !== "ok") {
      this.socket.end(this.closingAnswer(parsed.kind === "too-large" ? new HeadTooLargeError("request header fields too large") : new MalformedInputError(parsed.reason)));
      return;
    }
    const head = parsed.head;
    const label = relayable(head, this.deps);
    if (label === undefined) {
      this.giveBack();
      return;
    }
    const framing = requestFraming(head);
    if (typeof framing === "string") {
      this.socket.end(this.closingAnswer(new MalformedInputError(framing)));
      return;
    }
    if (framing.type === "length" && framing.length > this.deps.limits.maxRequestBytes) {
      this.refuseBody();
      return;
    }
    this.socket.setTimeout(0);
    const rest = this.buf.subarray(head.size);
    this.buf = EMPTY;
    const ex: Exchange = {
      head,
      method: head.start[0],
      body: new BodyEnd(framing),
      pending: [],
      pendingBytes: 0,
      discard: false,
      cors: false,
      closeAfter: /(^|,)\s*close\s*($|,)/i.test(headerValue(head, "connection") ?? ""),
      responded: false,
      responseDone: false,
      aborted: false,
    };
    this.exchange = ex;
    if (rest.length > 0) this.onData(rest);
    void this.run(ex, label, framing);
  }

  /** Authorize, lease a pod, send. Mirrors data-plane.ts `servePublic`. */
  private async run(ex: Exchange, label: string, framing: Framing): Promise<void> {
    try {
      // As Node's http server does, invite the body before the handler runs.
      if (!ex.body.done && /^100-continue$/i.test(headerValue(ex.head, "expect") ?? "")) {
        this.socket.write("HTTP/1.1 100 Continue\r\n\r\n");
      }
      const route = await this.deps.route(label, headerValue(ex.head, "host") ?? label);
      if (ex.aborted) return;
      let caller: { org: string; validUntil?: number } | undefined;
      if (route.open) {
        ex.cors = true;
        const requested = headerValue(ex.head, "access-control-request-method");
        if (ex.method === "OPTIONS" && requested) {
          this.respondLocal(ex, 204, preflightHeaders(headerValue(ex.head, "access-control-request-headers")));
          return;
        }
      } else {
        caller = this.deps.authorize(headerValue(ex.head, "authorization"), route.org);
      }
      // The pod reads the requests of a handed connection, Authorization included: only a
      // token of the app's own org may reach it (the relay never forwards the header), so a
      // caller's token never reaches another org's code (an app of the public org, say).
      if (route.open ? headerValue(ex.head, "authorization") === undefined : caller?.org === route.org) {
        ex.pool = route.pool;
        ex.poolGeneration = route.pool.generation;
        ex.guard = {
          host: hostOf(ex.head),
          authorization: route.open ? null : (headerValue(ex.head, "authorization") ?? ""),
          authUntil: caller?.validUntil ?? null,
          cors: route.open,
        };
      }
      const lease = await route.pool.acquire();
      ex.lease = lease;
      if (ex.aborted) {
        lease.release();
        return;
      }
      this.sendToPod(ex, lease, framing);
    } catch (err) {
      this.fail(ex, err);
    }
  }

  private deliverBody(ex: Exchange, bytes: Buffer): void {
    if (ex.discard) return;
    if (ex.pending) {
      ex.pending.push(bytes);
      ex.pendingBytes += bytes.length;
      if (ex.pendingBytes > HIGH_WATER) this.socket.pause(); // sendToPod resumes
      return;
    }
    const pod = ex.pod;
    if (pod && !pod.write(bytes)) {
      this.socket.pause();
      pod.once("drain", () => this.socket.resume());
    }
  }

  private requestBodyDone(ex: Exchange): void {
    if (ex.responseDone) this.finish(ex);
  }

  /** A body above the request cap: answered 413 (as the gateway caps it) and the connection closed, unread. */
  private refuseBody(): void {
    this.released = true;
    this.socket.off("data", this.onData);
    this.socket.end(this.closingAnswer(requestTooLarge(this.deps.limits.maxRequestBytes)));
  }

  /** An error the connection cannot go on after (bad framing, a refused body): answered, then closed. */
  private closingAnswer(err: unknown): string {
    const { status, body } = this.deps.errorResponse(err);
    return localResponse(status, JSON_TYPE, body, { close: true });
  }

  /** Malformed chunked framing: the connection cannot be parsed any further. */
  private badRequestBody(ex: Exchange, err: unknown): void {
    this.release(ex, false);
    this.exchange = undefined;
    if (ex.responded) this.socket.destroy();
    else this.socket.end(this.closingAnswer(new MalformedInputError((err as Error).message)));
  }

  // ---- pod side ---------------------------------------------------------------------

  private sendToPod(ex: Exchange, lease: Lease, framing: Framing): void {
    const { socket: pod } = lease.pod.sockets.take();
    ex.pod = pod;
    let head = `${ex.method} ${ex.head.start[1]} HTTP/1.1\r\n`;
    for (const [lower, raw, value] of ex.head.fields) {
      if (!DROPPED_REQUEST_HEADERS.has(lower)) head += `${raw}: ${value}\r\n`;
    }
    // The body goes through unchanged, so its framing header does too.
    if (framing.type === "chunked") head += "Transfer-Encoding: chunked\r\n";
    head += `X-Ignite-Execution-Id: ${newExecutionId()}\r\n\r\n`;
    const pending = ex.pending ?? [];
    ex.pending = undefined;
    // One write per message where possible: each send on loopback costs a syscall and a
    // wake-up of the reader, which is most of what this hop costs.
    const headBytes = Buffer.from(head, "latin1");
    pod.write(pending.length === 0 ? headBytes : Buffer.concat([headBytes, ...pending]));
    if (pending.length > 0 && this.socket.isPaused() && this.buf.length <= HIGH_WATER) this.socket.resume();

    const max = this.deps.limits.maxResponseBytes;
    let rbuf = EMPTY;
    let rbody: BodyEnd | undefined;
    let podWillClose = false;
    let podError: NodeJS.ErrnoException | undefined;
    const timer = setTimeout(() => {
      lease.pod.kill();
      this.fail(
        ex,
        appTimeoutError(this.deps.limits.timeoutMs),
      );
    }, this.deps.limits.timeoutMs);

    const onPodData = (chunk: Buffer): void => {
      /** The rewritten response head, sent together with the first body bytes. */
      let headOut: Buffer | undefined;
      if (!rbody) {
        rbuf = rbuf.length > 0 ? Buffer.concat([rbuf, chunk]) : chunk;
        for (;;) {
          const parsed = parseHead(rbuf, MAX_HEAD_BYTES, "response");
          if (parsed.kind === "incomplete") return;
          if (parsed.kind !== "ok") return this.fail(ex, new PodFailedError("the pod answered with a malformed HTTP response"));
          const rhead = parsed.head;
          rbuf = rbuf.subarray(rhead.size);
          if (rhead.start[1].startsWith("1")) continue; // interim (100 Continue): not forwarded
          const rframing = responseFraming(rhead, ex.method);
          if (typeof rframing === "string") return this.fail(ex, new PodFailedError(`the pod answered with ${rframing}`));
          if (rframing.type === "length" && rframing.length > max) return this.fail(ex, tooLarge(max));
          podWillClose = /(^|,)\s*close\s*($|,)/i.test(headerValue(rhead, "connection") ?? "");
          if (rframing.type === "close") ex.closeAfter = true; // only the end of the connection can delimit it
          headOut = Buffer.from(this.responseHead(ex, rhead), "latin1");
          ex.responded = true;
          rbody = new BodyEnd(rframing);
          chunk = rbuf;
          rbuf = EMPTY;
          break;
        }
      }
      let n = 0;
      try {
        n = rbody.consume(chunk);
      } catch (err) {
        return this.fail(ex, new PodFailedError(`the pod's response is malformed (${(err as Error).message})`));
      }
      if (rbody.payloadBytes > max) return this.fail(ex, tooLarge(max));
      if (n < chunk.length) podWillClose = true; // bytes past the response: never reuse this socket
      const bodyOut = n === chunk.length ? chunk : chunk.subarray(0, n);
      const out = headOut ? (n > 0 ? Buffer.concat([headOut, bodyOut]) : headOut) : bodyOut;
      if (out.length > 0 && !this.socket.write(out)) {
        pod.pause();
        this.socket.once("drain", () => pod.resume());
      }
      if (rbody.done) complete();
    };
    const onPodError = (err: Error): void => {
      podError = err;
    };
    const onPodClose = (): void => {
      if (rbody?.done === false && ex.closeAfter && rframingIsClose(rbody)) return complete();
      ex.unhook?.();
      ex.unhook = undefined;
      void lease.pod.connectionLost(podError).then((err) => this.fail(ex, err));
    };
    const complete = (): void => {
      const reusable = !podWillClose && ex.body.done && rbody?.done === true && !ex.closeAfter;
      if (reusable && this.deps.handoff && !lease.pod.retired) ex.handTo = lease.pod;
      this.release(ex, reusable);
      ex.responseDone = true;
      // The pod answered before the whole request body arrived: read and drop the rest.
      if (!ex.body.done) ex.discard = true;
      else this.finish(ex);
    };
    pod.on("data", onPodData);
    pod.on("error", onPodError);
    pod.on("close", onPodClose);
    ex.unhook = () => {
      clearTimeout(timer);
      pod.off("data", onPodData);
      pod.off("error", onPodError);
      pod.off("close", onPodClose);
      if (pod.isPaused()) pod.resume();
    };
  }

  /** The pod's status line and headers, minus hop-by-hop ones, plus CORS and our connection policy. */
  private responseHead(ex: Exchange, rhead: Head): string {
    let out = `HTTP/1.1 ${rhead.start[1]} ${rhead.start[2]}\r\n`;
    let hasOrigin = false;
    for (const [lower, raw, value] of rhead.fields) {
      if (RESPONSE_HOP_BY_HOP.has(lower)) continue;
      if (lower === "access-control-allow-origin") hasOrigin = true;
      out += `${raw}: ${value}\r\n`;
    }
    if (ex.cors && !hasOrigin) out += "Access-Control-Allow-Origin: *\r\n";
    if (ex.closeAfter) out += "Connection: close\r\n";
    return `${out}\r\n`;
  }

  // ---- endings ----------------------------------------------------------------------

  /** A response the relay writes itself (errors, preflight); the request body is dropped. */
  private respondLocal(ex: Exchange, status: number, headers: Array<[string, string]>, body = ""): void {
    ex.discard = true;
    ex.pending = undefined;
    this.socket.write(localResponse(status, headers, body, { cors: ex.cors, close: ex.closeAfter, head: ex.method === "HEAD" }));
    ex.responded = true;
    ex.responseDone = true;
    if (ex.body.done) this.finish(ex);
  }

  private fail(ex: Exchange, err: unknown): void {
    if (ex.responseDone || ex.aborted) return;
    this.release(ex, false);
    if (ex.responded) {
      // Past the head: the response can only end abruptly, as Node's pipe would.
      this.exchange = undefined;
      this.socket.destroy();
      return;
    }
    const { status, body } = this.deps.errorResponse(err);
    this.respondLocal(ex, status, JSON_TYPE, body);
  }

  /** Lets go of the pod side: timer, listeners, socket, lease. */
  private release(ex: Exchange, reusable: boolean): void {
    ex.unhook?.();
    ex.unhook = undefined;
    if (ex.pod) {
      if (reusable) ex.lease?.pod.sockets.give(ex.pod);
      else ex.pod.destroy();
      ex.pod = undefined;
    }
    ex.lease?.release();
  }

  /** The client went away: the pod connection is dropped and the pod released. */
  private abort(ex: Exchange): void {
    ex.aborted = true;
    this.release(ex, false);
  }

  private finish(ex: Exchange): void {
    if (this.exchange !== ex) return;
    this.exchange = undefined;
    if (ex.closeAfter) {
      this.socket.end();
      return;
    }
    this.next(ex);
  }

  /** A served exchange whose connection may go to its pod: nothing about the app changed since it was authorized. */
  private mayHandOff(ex: Exchange): boolean {
    return (
      ex.handTo !== undefined &&
      ex.guard !== undefined &&
      !this.mixedCredentials &&
      !ex.handTo.retired &&
      ex.pool?.generation === ex.poolGeneration
    );
  }

  /** Gives the idle connection to `pod` (true), which serves it until it gives it back or closes it. */
  private handOff(pod: PodProcess, guard: HandoffGuard): boolean {
    const { timeoutMs, maxResponseBytes, maxRequestBytes } = this.deps.limits;
    const limits = {
      timeoutMs,
      maxResponseBytes,
      tooLarge: this.deps.errorResponse(tooLarge(maxResponseBytes)),
      maxRequestBytes,
      requestTooLarge: this.deps.errorResponse(requestTooLarge(maxRequestBytes)),
    };
    this.socket.setTimeout(0);
    this.parked = pod.handoffs.hand(this.socket, guard, limits, {
      back: (unread, why) => {
        this.parked = false;
        if (why === "credentials") this.mixedCredentials = true;
        this.buf = unread;
        this.next();
      },
      closed: () => {
        this.parked = false;
        this.socket.destroy();
      },
      lost: (err, responding) => {
        this.parked = false;
        this.released = true; // nothing more is read: the answer below ends the connection
        this.socket.off("data", this.onData);
        if (responding) {
          this.socket.destroy();
          return;
        }
        const { status, body } = this.deps.errorResponse(err);
        this.socket.end(localResponse(status, JSON_TYPE, body, { cors: guard.cors, close: true }));
      },
    });
    return this.parked;
  }

  /** A request for a host the relay does not serve: the Node http server takes it from here. */
  private giveBack(): void {
    this.released = true;
    const socket = this.socket;
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("close", this.onClose);
    socket.off("error", this.onError);
    socket.off("timeout", this.onTimeout);
    socket.setTimeout(0);
    const unread = this.buf;
    this.buf = EMPTY;
    this.handBack(unread);
  }
}

function rframingIsClose(body: BodyEnd): boolean {
  return body.framingType === "close";
}

const JSON_TYPE: Array<[string, string]> = [["Content-Type", "application/json"]];

/** A response the relay writes itself: its status line, headers, CORS and connection policy, body. */
function localResponse(
  status: number,
  headers: Array<[string, string]>,
  body: string,
  opts: { cors?: boolean; close?: boolean; head?: boolean } = {},
): string {
  let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
  for (const [name, value] of headers) out += `${name}: ${value}\r\n`;
  if (opts.cors) out += "Access-Control-Allow-Origin: *\r\n";
  if (status !== 204) out += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  if (opts.close) out += "Connection: close\r\n";
  return `${out}\r\n${opts.head ? "" : body}`;
}
