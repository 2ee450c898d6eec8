/**
 * Admin endpoints for tests and the main job, on plain HTTP and deliberately unauthenticated
 * (they expose counters, not state): GET /_ignite/calls, POST /_ignite/calls/reset,
 * GET /_ignite/pods, GET /_ignite/healthz.
 */
import type { CallCounter } from "./instrument.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";
import { NotFoundError } from "./errors.js";
import { sendError, sendJson } from "./http-util.js";
import type { PodsView } from "./runtime/pod-pools.js";

export const ADMIN_PREFIX = "/_ignite/";

export interface AdminSources {
  counter: CallCounter;
  /** Every running pod, for debugging scaling and connection handoff. */
  pods(): Promise<PodsView>;
}

export function handleAdmin(req: HttpRequest, res: HttpResponse, pathname: string, sources: AdminSources): void {
  const { counter } = sources;
  if (pathname === "/_ignite/pods" && req.method === "GET") {
    sources.pods().then(
      (view) => sendJson(res, 200, view),
      (err: unknown) => sendError(res, err),
    );
  } else if (pathname === "/_ignite/calls" && req.method === "GET") {
    sendJson(res, 200, { calls: counter.snapshot() });
  } else if (pathname === "/_ignite/calls/reset" && req.method === "POST") {
    counter.reset();
    sendJson(res, 200, { calls: {} });
  } else if (pathname === "/_ignite/healthz" && (req.method === "GET" || req.method === "HEAD")) {
    sendJson(res, 200, { status: "ok" });
  } else {
    sendError(res, new NotFoundError(`no admin endpoint ${req.method} ${pathname}`));
  }
}
