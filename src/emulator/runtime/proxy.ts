/**
 * The hop from the local Ignite to a pod: one HTTP/1.1 request over the pod's keep-alive
 * agent. This is the hot path of every surface, so it does no disk I/O and never parses a
 * body; it enforces the app timeout (killing a hung pod) and the response size cap.
 */
import * as http from "node:http";
import type { Readable } from "node:stream";
import { appTimeoutError, PodFailedError, ResponseTooLargeError } from "./errors.js";
import type { Lease } from "./pool.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus those the local Ignite owns. */
export const DROPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  // The caller's Ignite token is for the platform, not for user code.
  "authorization",
  "x-ignite-execution-id",
]);
const DROPPED_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade"]);

export interface PodCall {
  method: string;
  /** Path plus "?query". */
  path: string;
  headers: http.IncomingHttpHeaders | Record<string, string>;
  /** A whole body, or a stream piped through (public URL). */
  body: Uint8Array | Readable;
  executionId: string;
}

export interface PodCallLimits {
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}

/** Forwardable request headers. */
export function requestHeadersForPod(headers: PodCall["headers"], executionId: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(lower)) out[lower] = value;
  }
  out["x-ignite-execution-id"] = executionId;
  return out;
}

/** The pod's response headers minus hop-by-hop ones (optionally minus content-length, for re-framing). */
export function responseHeadersFromPod(res: http.IncomingMessage, keepLength: boolean): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    if (!keepLength && name === "content-length") continue;
    out[name] = value;
  }
  return out;
}

/**
 * Sends the call and resolves with the pod's response (paused: the caller consumes it).
 * The timeout keeps running until the body has been read; on expiry the pod is killed,
 * since a thread stuck in a handler cannot be stopped any other way.
 */
export function callPod(lease: Lease, call: PodCall, limits: PodCallLimits): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let response: http.IncomingMessage | undefined;
    let timedOut = false;
    const done = () => {
      clearTimeout(timer);
      limits.signal?.removeEventListener("abort", onAbort);
    };
    const fail = (err: Error) => {
      done();
      if (response) response.destroy(err);
      else reject(err);
      request.destroy();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      lease.pod.kill();
      fail(appTimeoutError(limits.timeoutMs));
    }, limits.timeoutMs);
    const onAbort = () => fail(new PodFailedError("the caller went away; the request to the pod was dropped"));
    limits.signal?.addEventListener("abort", onAbort, { once: true });

    const request = http.request(
      {
        host: "127.0.0.1",
        port: lease.pod.port,
        agent: lease.pod.agent,
        method: call.method,
        path: call.path,
        headers: requestHeadersForPod(call.headers, call.executionId),
      },
      (res) => {
        const length = Number(res.headers["content-length"] ?? "0");
        if (length > limits.maxResponseBytes) {
          done();
          res.destroy();
          reject(tooLarge(limits.maxResponseBytes));
          return;
        }
        response = res;
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
        resolve(res);
      },
    );
    request.on("error", (err) => {
      if (timedOut) return;
      done();
      void lease.pod.connectionLost(err).then((wrapped) => {
        if (response) response.destroy(wrapped);
        else reject(wrapped);
      });
    });
    if (call.body instanceof Uint8Array) {
      request.end(call.body);
    } else {
      // A body that fails (the request cap, a client gone) ends the call with its error.
      call.body.once("error", (err: Error) => fail(err));
      call.body.pipe(request);
    }
  });
}

export function tooLarge(max: number): ResponseTooLargeError {
  return new ResponseTooLargeError(`the app's response exceeds the local Ignite's ${max}-byte limit`);
}
