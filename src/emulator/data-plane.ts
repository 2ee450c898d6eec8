/**
 * The data plane of the local Ignite: the three invocation surfaces of the API reference
 * (direct public URL, Invoke, InvokeAsync) and the execution queries (GetExecution,
 * WatchExecution, GetExecutionStats), on top of the runtime in ./runtime/ (pods, pools,
 * scaling emulation).
 *
 * What the control plane hands over (`DataPlaneDeps`): the store (AppMeta, version trees,
 * execution records, the trees pods run in), `dataPlaneDir` for venvs and logs, the resolved options (public
 * domain, replica cap; runtime knobs under `runtime`), `authorize(token, org)` and `log`.
 * The control plane wraps `service` so thrown domain errors become ConnectErrors, routes
 * public-URL hosts to `handlePublic` and the gateway's `POST .../invoke` (matched from the
 * descriptor's google.api.http rule) to `handleInvoke`, and reports app changes and deletes.
 */
import type * as http from "node:http";
import { validateHeaderName, validateHeaderValue } from "node:http";
import type * as net from "node:net";
import { Transform, type Readable } from "node:stream";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type ComputeService,
  type Execution,
  ExecutionMetricsSchema,
  ExecutionSchema,
  ExecutionStatus,
  GetExecutionStatsResponseSchema,
  HttpMethod,
  type InvokeRequest,
  InvokeRequestSchema,
  type InvokeResponse,
  InvokeResponseSchema,
  ResourceTier,
} from "../gen/dodil/ignite/v1/compute_pb.js";
import { bearerToken, PUBLIC_ORG } from "./auth.js";
import type { Caller } from "./auth-types.js";
import {
  AppNotFoundError,
  httpErrorOf,
  InvalidArgumentError,
  MalformedInputError,
  PermissionDeniedError,
  NotFoundError,
} from "./errors.js";
import { readBody, sendError } from "./http-util.js";
import type { ResolvedOptions } from "./options.js";
import { InvocationTimeoutError, requestTooLarge } from "./runtime/errors.js";
import { bucketExecutions, Executions, isTerminal } from "./runtime/executions.js";
import { newExecutionId } from "./runtime/ids.js";
import { resolveRuntimeOptions } from "./runtime/options.js";
import type { AppPool, Lease } from "./runtime/pool.js";
import { callPod, responseHeadersFromPod, tooLarge, type PodCall } from "./runtime/proxy.js";
import { PublicHosts } from "./runtime/public-hosts.js";
import { preflightHeaders, relayIfPublic, type HandBack, type RelayDeps } from "./runtime/relay.js";
import { PodPools, type PodsView } from "./runtime/pod-pools.js";
import type { Store } from "./store.js";

export interface DataPlaneDeps {
  store: Store;
  /** A directory the data plane may use freely (app logs, runtimes' venvs and caches). */
  dataPlaneDir: string;
  /** Resolved emulator options; the runtime knobs are `options.runtime`. */
  options: ResolvedOptions;
  /** Throws UnauthenticatedError / PermissionDeniedError. */
  authorize(token: string | undefined, org: string): Caller;
  /** The id of an organization (pods see it as ctx["organization_id"]). */
  orgId(org: string): string;
  log(line: string): void;
}

export type DataPlaneMethods = "invoke" | "invokeAsync" | "getExecution" | "watchExecution" | "getExecutionStats";

export interface DataPlane {
  service: Pick<ServiceImpl<typeof ComputeService>, DataPlaneMethods>;
  /**
   * A plain HTTP/1.1 request whose Host is under the public-URL domain (Host: <label>.<domain>).
   * Returns false when the host is not a public-URL label, to let the control plane answer 404.
   */
  handlePublic(req: http.IncomingMessage, res: http.ServerResponse): Promise<void | false>;
  /** The gateway's POST /v1/ignite/app/{org}/{app}/invoke (chunked, with trailers); the router matched the route. */
  handleInvoke(org: string, name: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  /**
   * A new cleartext HTTP/1.x connection whose first request head is complete in `first`:
   * returns true and relays it (runtime/relay.ts) when that request is HTTP/1.1 to a
   * public-URL host; may later give it back to the http server with `handBack` at a request
   * boundary. Returns false (and touches nothing) otherwise.
   */
  claimSocket(socket: net.Socket, first: Buffer, handBack: HandBack): boolean;
  /** Every running pod (GET /_ignite/pods). */
  pods(): Promise<PodsView>;
  /** Called after any change to an app's config or active version. */
  /** Resolves once the runtime applied the change (pods retired, handed connections recalled). */
  appChanged(appId: string): Promise<void>;
  /** Called after an app is deleted. */
  /** Resolves once the app's pods are stopped. */
  appDeleted(appId: string): Promise<void>;
  stop(): Promise<void>;
  /** The app's log file (pod stdout/stderr, tracebacks, pip output). */
  appLogFile(appId: string): string;
}

const TIER_NAMES: Record<ResourceTier, string> = {
  [ResourceTier.UNSPECIFIED]: "Small",
  [ResourceTier.SMALL]: "Small",
  [ResourceTier.MEDIUM]: "Medium",
  [ResourceTier.LARGE]: "Large",
};

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const { store, options } = deps;
  const runtime = new PodPools(store, deps.dataPlaneDir, resolveRuntimeOptions(options.runtime ?? {}), options.maxReplicasCap, deps.orgId, deps.log);
  const limits = {
    timeoutMs: runtime.options.appTimeoutMs,
    maxResponseBytes: runtime.options.maxResponseBytes,
    // The public URL takes bodies as large as the gateway does, no larger.
    maxRequestBytes: options.maxRequestBytes,
  };
  const executions = new Executions(store);
  const hosts = new PublicHosts(store, options.domain);
  const background = new Set<Promise<void>>();

  /** Authorize then find the app, so a foreign org learns nothing about which apps exist. */
  async function poolFor(token: string | undefined, org: string, name: string): Promise<AppPool> {
    deps.authorize(token, org);
    return runtime.pool(`${org}/${name}`);
  }

  /** Leases a pod (waiting through a cold start) and sends the call; the lease is released on failure. */
  async function open(pool: AppPool, call: PodCall, signal?: AbortSignal) {
    const lease = await pool.acquire();
    const sentAt = Date.now();
    try {
      const res = await callPod(lease, call, { ...limits, signal });
      return { lease, res, sentAt };
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  // ---- Invoke (gRPC / Connect) ------------------------------------------------------

  async function* invoke(req: InvokeRequest, ctx: HandlerContext): AsyncGenerator<InvokeResponse> {
    const startedAt = Date.now();
    const pool = await poolFor(tokenOf(ctx), req.organizationName, req.appName);
    const executionId = newExecutionId();
    const { lease, res } = await open(pool, podCallFrom(req, executionId), ctx.signal);
    try {
      yield create(InvokeResponseSchema, {
        frame: {
          case: "head",
          value: { statusCode: res.statusCode ?? 0, responseHeaders: flatHeaders(responseHeadersFromPod(res, true)), executionId },
        },
      });
      let total = 0;
      for await (const chunk of cappedBody(res, limits.maxResponseBytes)) {
        total += chunk.length;
        yield create(InvokeResponseSchema, { frame: { case: "chunk", value: { data: chunk } } });
      }
      yield create(InvokeResponseSchema, {
        frame: {
          case: "trailer",
          value: {
            totalBodyBytes: BigInt(total),
            durationMs: BigInt(Date.now() - startedAt),
            trailers: flatHeaders(res.trailers),
          },
        },
      });
    } finally {
      // Dropping the stream disconnects the pod.
      if (!res.complete) res.destroy();
      lease.release();
    }
  }

  // ---- InvokeAsync and executions ---------------------------------------------------

  async function invokeAsync(req: InvokeRequest, ctx: HandlerContext) {
    const caller = deps.authorize(tokenOf(ctx), req.organizationName);
    const pool = await runtime.pool(`${req.organizationName}/${req.appName}`);
    const meta = pool.meta;
    const execution = create(ExecutionSchema, {
      id: newExecutionId(),
      appId: meta.appId,
      appName: meta.name,
      status: ExecutionStatus.PENDING,
      functionVersion: meta.activeVersion,
      createTimeMs: BigInt(Date.now()),
      metrics: { resourceTier: TIER_NAMES[meta.resourceTier] ?? "Small" },
    });
    await executions.put(execution, caller.org);
    const task = runExecution(pool, execution, req, caller.org).catch((err: unknown) =>
      deps.log(`data-plane: execution ${execution.id} could not be recorded: ${String(err)}`),
    );
    background.add(task);
    void task.finally(() => background.delete(task));
    return { executionId: execution.id };
  }

  async function runExecution(pool: AppPool, execution: Execution, req: InvokeRequest, invokerOrg: string): Promise<void> {
    await executions.put(create(ExecutionSchema, { ...execution, status: ExecutionStatus.RUNNING }), invokerOrg);
    const queuedAt = Date.now();
    let lease: Lease | undefined;
    const done = { ...execution, metrics: create(ExecutionMetricsSchema, execution.metrics) };
    try {
      const opened = await open(pool, podCallFrom(req, execution.id));
      lease = opened.lease;
      const chunks: Buffer[] = [];
      // A streaming app's output reaches watchers as it comes (seed 002: data-only frames).
      const streaming = opened.res.headers["transfer-encoding"] === "chunked";
      for await (const chunk of cappedBody(opened.res, limits.maxResponseBytes)) {
        chunks.push(chunk);
        if (streaming) executions.chunk(execution.id, chunk);
      }
      const result = Buffer.concat(chunks);
      const status = opened.res.statusCode ?? 0;
      const executionMs = Date.now() - opened.sentAt;
      done.functionVersion = lease.version;
      done.result = result;
      done.statusCode = status;
      done.status = status >= 500 ? ExecutionStatus.FAILED : ExecutionStatus.COMPLETED;
      if (status >= 500) done.error = errorMessageOf(result) ?? `the app answered HTTP ${status}`;
      done.metrics.executionMs = BigInt(executionMs);
      done.metrics.resultSizeBytes = BigInt(result.length);
      done.metrics.coldStartMs = BigInt(lease.coldStartMs);
      done.metrics.billedDurationMs = BigInt(executionMs + lease.coldStartMs);
    } catch (err) {
      const elapsed = Date.now() - queuedAt;
      done.status = err instanceof InvocationTimeoutError ? ExecutionStatus.TIMEOUT : ExecutionStatus.FAILED;
      done.error = err instanceof Error ? err.message : String(err);
      done.metrics.executionMs = BigInt(Math.max(0, elapsed - (lease?.coldStartMs ?? 0)));
      done.metrics.coldStartMs = BigInt(lease?.coldStartMs ?? 0);
      done.metrics.billedDurationMs = BigInt(elapsed);
    } finally {
      lease?.release();
    }
    done.completeTimeMs = BigInt(Date.now());
    await executions.put(create(ExecutionSchema, done), invokerOrg);
  }

  /**
   * Loads an execution the caller may see: NOT_FOUND for unknown ids; PERMISSION_DENIED unless
   * the caller's org is the app's or the invoker's (an execution of a `public`-org app is the
   * business of whoever invoked it, not of every org).
   */
  async function visibleExecution(id: string, ctx: HandlerContext): Promise<Execution> {
    // Authenticates first (the public org accepts any valid caller), so NOT_FOUND is only for callers.
    const caller = deps.authorize(tokenOf(ctx), PUBLIC_ORG);
    const stored = await executions.get(id);
    if (!stored) {
      throw new NotFoundError(
        `execution ${id} not found (Invoke creates no execution record; use InvokeAsync for one you can fetch)`,
      );
    }
    const appOrg = stored.execution.appId.split("/")[0] ?? "";
    if (caller.org !== appOrg && caller.org !== stored.invokerOrg) {
      throw new PermissionDeniedError(`organization ${caller.org} may not read executions of ${stored.execution.appId} invoked by another organization`);
    }
    return stored.execution;
  }

  const service: DataPlane["service"] = {
    invoke,
    invokeAsync,
    async getExecution(req, ctx) {
      return { execution: await visibleExecution(req.executionId, ctx) };
    },
    async *watchExecution(req, ctx) {
      // Subscribe before reading, so no update between the read and the subscription is lost.
      const abort = new AbortController();
      const onAbort = () => abort.abort();
      ctx.signal.addEventListener("abort", onAbort);
      const updates = executions.updates(req.executionId, abort.signal);
      const pending = updates.next();
      try {
        const current = await visibleExecution(req.executionId, ctx);
        yield { execution: current };
        if (isTerminal(current.status)) return;
        let latest = current;
        for (let step = await pending; !step.done; step = await updates.next()) {
          const update = step.value;
          if (update.chunk) {
            yield { outputChunk: update.chunk };
            continue;
          }
          // Skip stale updates that raced the initial read.
          if (update.execution.status < latest.status) continue;
          latest = update.execution;
          yield { execution: latest };
        }
      } finally {
        abort.abort();
        ctx.signal.removeEventListener("abort", onAbort);
        await updates.return(undefined);
      }
    },
    async getExecutionStats(req, ctx) {
      deps.authorize(tokenOf(ctx), req.organizationName);
      if (req.startTimeMs > 0n && req.endTimeMs > 0n && req.startTimeMs > req.endTimeMs) {
        throw new InvalidArgumentError("start_time_ms", `must not be after end_time_ms (${req.startTimeMs} > ${req.endTimeMs})`);
      }
      const appId = `${req.organizationName}/${req.appName}`;
      if (!(await store.getApp(appId))) throw new AppNotFoundError(appId);
      const { buckets, bucketSecs } = bucketExecutions(await executions.list(appId), {
        bucketSecs: req.bucketSecs,
        startTimeMs: Number(req.startTimeMs),
        endTimeMs: Number(req.endTimeMs),
        now: Date.now(),
      });
      return create(GetExecutionStatsResponseSchema, { buckets, bucketSecs, partialClusters: [] });
    },
  };

  // ---- HTTP: public URLs and the gateway's chunked Invoke ----------------------------

  /** Runs an HTTP handler, answering what it throws before the response head as the data plane's JSON error. */
  async function answering(res: http.ServerResponse, serve: () => Promise<void>): Promise<void> {
    try {
      await serve();
    } catch (err) {
      answerError(res, err);
    }
  }

  async function handlePublic(req: http.IncomingMessage, res: http.ServerResponse): Promise<void | false> {
    const label = hosts.labelOf((req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase());
    if (label === undefined) return false;
    await answering(res, () => servePublic(label, req, res));
  }

  /** The public-URL fast path (see runtime/relay.ts); servePublic makes the same lookups and checks. */
  const relayDeps: RelayDeps = {
    labelOf: (host) => hosts.labelOf(host),
    /** The app behind a public-URL label (cached: no disk I/O once warm). */
    async route(label, host) {
      const target = await hosts.resolve(label);
      if (!target) throw new NotFoundError(`no published app serves ${host}`);
      const pool = await runtime.pool(target.appId);
      return { org: target.appId.split("/")[0]!, pool, open: pool.meta.allowUnauthenticated };
    },
    authorize: (authorization, org) => deps.authorize(bearerToken(authorization), org),
    errorResponse: (err) => httpErrorOf(err),
    limits,
    handoff: runtime.options.connectionHandoff,
  };

  /** Public-URL requests the relay does not take (TLS, HTTP/1.0, upgrades): through the http server. */
  async function servePublic(label: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { org, pool, open: anonymous } = await relayDeps.route(label, req.headers.host ?? label);
    if (anonymous) {
      res.setHeader("access-control-allow-origin", "*");
      if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
        res.writeHead(204, Object.fromEntries(preflightHeaders(req.headers["access-control-request-headers"])));
        res.end();
        return;
      }
    } else {
      relayDeps.authorize(req.headers.authorization, org);
    }
    const { lease, res: podRes } = await open(pool, {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body: cappedRequest(req, limits.maxRequestBytes),
      executionId: newExecutionId(),
    });
    // The pod's raw response: status, headers (content-length included) and body, piped.
    res.writeHead(podRes.statusCode ?? 502, responseHeadersFromPod(podRes, true));
    podRes.pipe(res);
    await finished(podRes, res);
    lease.release();
  }

  async function serveGatewayInvoke(org: string, name: string, req: http.IncomingMessage, res: http.ServerResponse) {
    const startedAt = Date.now();
    const raw = await readBody(req, options.maxRequestBytes);
    let envelope: InvokeRequest;
    try {
      envelope = fromJson(InvokeRequestSchema, (raw.length ? JSON.parse(raw.toString("utf8")) : {}) as JsonValue);
    } catch (err) {
      throw new MalformedInputError(`the invoke body is not an InvokeRequest in JSON: ${(err as Error).message}`);
    }
    envelope.organizationName = org;
    envelope.appName = name;
    const pool = await poolFor(bearerToken(req.headers.authorization), org, name);
    const executionId = newExecutionId();
    const { lease, res: podRes } = await open(pool, podCallFrom(envelope, executionId));
    try {
      // One chunked response: the pod's status and headers, the id, the body, then trailers.
      res.writeHead(podRes.statusCode ?? 502, {
        ...responseHeadersFromPod(podRes, false),
        "x-ignite-execution-id": executionId,
        trailer: "total_body_bytes, duration_ms",
      });
      let total = 0;
      for await (const chunk of cappedBody(podRes, limits.maxResponseBytes)) {
        total += chunk.length;
        if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
      }
      res.addTrailers({ total_body_bytes: String(total), duration_ms: String(Date.now() - startedAt) });
      res.end();
    } catch (err) {
      // Past the head: the stream ends abruptly, as the reference describes for mid-flight failures.
      deps.log(`data-plane: invoke ${executionId} failed mid-stream: ${String(err)}`);
      res.destroy();
    } finally {
      lease.release();
    }
  }

  function answerError(res: http.ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, err);
  }

  return {
    service,
    handlePublic,
    handleInvoke: (org, name, req, res) => answering(res, () => serveGatewayInvoke(org, name, req, res)),
    claimSocket: (socket, first, handBack) => relayIfPublic(socket, first, relayDeps, handBack),
    pods: () => runtime.pods(),
    async appChanged(appId) {
      hosts.invalidate();
      await runtime.appChanged(appId).catch((err: unknown) => deps.log(`data-plane: ${appId}: ${String(err)}`));
    },
    async appDeleted(appId) {
      hosts.invalidate();
      await runtime.appDeleted(appId).catch((err: unknown) => deps.log(`data-plane: ${appId}: ${String(err)}`));
    },
    async stop() {
      await runtime.stop();
      await Promise.allSettled([...background]);
    },
    appLogFile: (appId) => runtime.logs.fileFor(appId),
  };
}

function tokenOf(ctx: HandlerContext): string | undefined {
  return bearerToken(ctx.requestHeader.get("authorization"));
}

/** The invocation envelope as a request to the pod (defaults: POST, "/"); a header HTTP cannot carry is INVALID_ARGUMENT. */
function podCallFrom(req: InvokeRequest, executionId: string): PodCall {
  const http_ = req.http;
  for (const [name, value] of Object.entries(http_?.headers ?? {})) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (err) {
      throw new InvalidArgumentError(`http.headers`, `header ${JSON.stringify(name)} is not a valid HTTP header (${(err as Error).message})`);
    }
  }
  const path = http_?.path || "/";
  const query = http_?.query ? `?${http_.query}` : "";
  return {
    // The enum's TypeScript names are the verbs ("GET", ...).
    method: (http_?.method && HttpMethod[http_.method]) || "POST",
    path: (path.startsWith("/") ? path : `/${path}`) + query,
    headers: { ...(http_?.headers ?? {}), "content-length": String(req.body.length) },
    body: req.body,
    executionId,
  };
}

function flatHeaders(headers: http.OutgoingHttpHeaders | NodeJS.Dict<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}

/** The runtime's JSON error body ({"error": ...}) when the pod answered one. */
function errorMessageOf(body: Buffer): string | undefined {
  if (body.length > 64 * 1024) return undefined;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { error?: unknown };
    return typeof parsed.error === "string" ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request body, failing past `max` bytes as the relay and the gateway do: a declared
 * length is refused before anything is read, a chunked body once it grows past the cap.
 */
function cappedRequest(req: http.IncomingMessage, max: number): Readable {
  if (Number(req.headers["content-length"] ?? 0) > max) throw requestTooLarge(max);
  let size = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(size > max ? requestTooLarge(max) : null, chunk);
    },
  });
  req.pipe(capped);
  return capped;
}

/** Resolves when the piped response is done (or either side failed/closed). */
function finished(from: http.IncomingMessage, to: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve();
    };
    to.on("finish", done);
    to.on("close", () => {
      if (!from.complete) from.destroy();
      done();
    });
    from.on("error", () => {
      to.destroy();
      done();
    });
  });
}

/** A pod's response body as it streams, ended with ResponseTooLargeError past `max` bytes. */
async function* cappedBody(body: AsyncIterable<Buffer> | NodeJS.ReadableStream, max: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) throw tooLarge(max);
    yield chunk;
  }
}
