// The Ignite client: createIgniteClient wires endpoint/TLS, credentials, deadlines and the
// retry policy onto a gRPC (HTTP/2) transport, or the HTTP/JSON gateway (HTTP/1.1) with
// `protocol: "http"`; everything else is re-exported from here.
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ComputeService } from "../gen/dodil/ignite/v1/compute_pb.js";
import { ServiceAccountTokenSource, staticTokenSource, type TokenSource } from "./auth.js";
import { CallRunner } from "./call.js";
import { IgniteClient } from "./client.js";
import { parseProtocol } from "./config.js";
import { resolveEndpoint } from "./endpoint.js";
import { createGatewayTransport } from "./gateway-transport.js";
import type { ClientOptions } from "./options.js";
import { DEFAULT_RETRY } from "./retry.js";
import { DEFAULT_TIMEOUT_SECS } from "./settings.js";
import { MAX_REQUEST_BYTES, MiB } from "../platform-limits.js";

/** Creates a client. Nothing is dialled until the first call. */
export function createIgniteClient(options: ClientOptions): IgniteClient {
  const protocol = parseProtocol("protocol", options.protocol ?? "grpc");
  const endpoint = resolveEndpoint(options.endpoint, options.insecure ?? false);
  const tokens: TokenSource | undefined =
    options.tokenSource ??
    (options.token
      ? staticTokenSource(options.token)
      : options.serviceAccount
        ? new ServiceAccountTokenSource(options.serviceAccount, { timeoutMs: options.timeoutMs, sources: options.sources })
        : undefined);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_SECS * 1000;
  const userAgent = options.userAgent ?? "pulumi-ignite";

  const headers: Interceptor = (next) => async (req) => {
    req.header.set("user-agent", userAgent);
    if (tokens) req.header.set("authorization", `Bearer ${await tokens.token()}`);
    return next(req);
  };

  let transport: Transport;
  let close: () => void;
  if (protocol === "http") {
    const gateway = createGatewayTransport({ baseUrl: endpoint.baseUrl, interceptors: [headers], writeMaxBytes: MAX_REQUEST_BYTES });
    transport = gateway;
    close = () => gateway.close();
  } else {
    // gRPC always runs over HTTP/2 (the grpc transport takes no httpVersion). Our own session
    // manager so close() can end the HTTP/2 connection (otherwise it idles
    // open and keeps the process, or a test's server, alive).
    // A request the server refuses while it is still being sent stays buffered in the session
    // until the refusal arrives; with Node's default 10 MB of session memory, a large refused
    // upload would turn into ENHANCE_YOUR_CALM on this and every later call. Room for two
    // requests of the platform's maximum lets the server's RESOURCE_EXHAUSTED through.
    const sessionManager = new Http2SessionManager(
      endpoint.baseUrl,
      { idleConnectionTimeoutMs: 60_000 },
      { maxSessionMemory: Math.ceil((2 * MAX_REQUEST_BYTES) / MiB) + 16 },
    );
    // writeMaxBytes: a request over the platform's limit is refused here, before it is sent.
    transport = createGrpcTransport({ baseUrl: endpoint.baseUrl, sessionManager, interceptors: [headers], writeMaxBytes: MAX_REQUEST_BYTES });
    close = () => {
      // After a protocol failure the session may emit its error only when it is destroyed,
      // after connect-node has removed its listener: without one, that error would crash
      // the process (a provider host). Listen once, then abort.
      const conn = (sessionManager as unknown as { s?: { conn?: { on?: unknown } } }).s?.conn;
      if (conn && typeof conn.on === "function") (conn as { on(e: string, f: () => void): void }).on("error", () => {});
      sessionManager.abort();
    };
  }

  const runner = new CallRunner({
    endpoint: options.endpoint,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    tokens,
    sources: options.sources,
  });
  return new IgniteClient({
    raw: createClient(ComputeService, transport),
    runner,
    tokens,
    timeoutMs,
    streamTimeoutMs: options.streamTimeoutMs ?? 45 * 60_000,
    close,
  });
}

export type { ClientOptions, IgniteProtocol } from "./options.js";
export { IgniteClient, type WaitForCompileOptions } from "./client.js";
export type { CallOptions } from "./call.js";
export { IgniteError, codeName, redact, toIgniteError, type ErrorContext } from "./errors.js";
export { RETRY_SAFE, TRANSIENT_CODES, DEFAULT_RETRY, shouldRetry, backoffDelayMs, type IgniteMethod, type RetryOptions } from "./retry.js";
export { resolveEndpoint, isLoopbackHost, DEFAULT_ENDPOINT, DEFAULT_HTTP_ENDPOINT, type ResolvedEndpoint } from "./endpoint.js";
export {
  ServiceAccountTokenSource,
  staticTokenSource,
  decodeJwtClaims,
  organizationsFromClaims,
  refreshAtMs,
  DEFAULT_TOKEN_URL,
  type ServiceAccount,
  type TokenSource,
  type JwtClaims,
} from "./auth.js";
export {
  createGatewayTransport,
  buildGatewayRequest,
  routeOf,
  errorFromGateway,
  type GatewayTransport,
  type GatewayTransportOptions,
  type GatewayRoute,
  type GatewayRequest,
} from "./gateway-transport.js";
export { resolveConnection, parseBool, parseProtocol, parseTimeoutSecs, CONFIG_ENV, type ConfigSource, type ResolvedConnection } from "./config.js";
export { SETTINGS, DEFAULT_TIMEOUT_SECS, type SettingKey, type SettingSource, type SettingSources } from "./settings.js";
export { checkConnection, connectionFacts, describeConnectionFailure } from "./connection-check.js";
