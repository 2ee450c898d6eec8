// A connect `Transport` that speaks the platform's HTTP/JSON gateway (HTTP/1.1) instead of
// gRPC, for networks that only let HTTPS/1.1 out. Each method's path and verb come from its
// google.api.http rule in the generated descriptor (the proto is the one source of truth):
//
// - `{field}` path params are filled from the request (URL-encoded);
// - body "*": the request as pbjson minus the path fields; GET/DELETE: the other set fields
//   as query params by JSON name (repeated fields as repeated params);
// - responses: pbjson (unknown fields ignored); errors: the HTTP status and the
//   `{code, message, details}` body become a ConnectError with the gRPC code;
// - server streams: newline-delimited JSON, one message per line, `{"error": {...}}` ends
//   a stream that fails after its first message;
// - Invoke: one chunked response — the pod's status and headers (plus
//   X-Ignite-Execution-Id) become the head frame, body chunks the chunk frames, and the
//   `total_body_bytes` / `duration_ms` HTTP trailers the trailer frame.
//
// Interceptors, deadlines and cancellation go through connect's own runUnaryCall /
// runStreamingCall, so auth headers and retries above the transport work as for gRPC.
// node:http is used rather than fetch because only it exposes response trailers.
import * as http from "node:http";
import * as https from "node:https";
import {
  create,
  fromJson,
  toBinary,
  getOption,
  toJson,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescMethodStreaming,
  type DescMethodUnary,
  type JsonObject,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type ContextValues, type Interceptor, type StreamResponse, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { runStreamingCall, runUnaryCall } from "@connectrpc/connect/protocol";
import { http as httpRule } from "../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../gen/google/api/http_pb.js";
import { routeFromRule, type HttpRoute } from "../http-rules.js";

/** The HTTP form of one method (the shared parser of the google.api.http rules). */
export type GatewayRoute = HttpRoute;

/** One HTTP request, ready to send (path relative to the base URL, query included). */
export interface GatewayRequest {
  verb: GatewayRoute["verb"];
  path: string;
  /** The JSON body, or undefined for none. */
  body?: string;
}

/**
 * The route of a google.api.http rule the gateway can call: routeFromRule's answer, or an
 * Unimplemented error naming `what` for a rule without a standard verb.
 */
export function requireRoute(rule: Pick<HttpRule, "pattern" | "body">, what: string): GatewayRoute {
  const route = routeFromRule(rule);
  if (!route) throw new ConnectError(`${what} has no google.api.http rule the HTTP gateway can call`, Code.Unimplemented);
  return route;
}

const routeCache = new WeakMap<DescMethod, GatewayRoute>();

/** The route of a method, from its google.api.http option in the descriptor. */
export function routeOf(method: DescMethod): GatewayRoute {
  let route = routeCache.get(method);
  if (!route) {
    route = requireRoute(getOption(method, httpRule), `${method.parent.typeName}.${method.name}`);
    routeCache.set(method, route);
  }
  return route;
}

function fieldByProtoName(schema: DescMessage, name: string): DescField {
  const field = schema.fields.find((f) => f.name === name);
  if (!field) throw new ConnectError(`${schema.typeName} has no field "${name}" named in its HTTP rule`, Code.Internal);
  return field;
}

/** A JSON value as a path segment or query value. */
function scalarText(value: JsonValue, field: DescField): string {
  if (value === null || typeof value === "object") {
    throw new ConnectError(
      `${field.name}: a message or map field cannot be sent as an HTTP path or query parameter; use protocol "grpc" for this call`,
      Code.InvalidArgument,
    );
  }
  return String(value);
}

/**
 * Builds the HTTP request for `message` by `route`: path params filled and URL-encoded, the
 * body ("*" or one field) as pbjson, every other set field as query params by JSON name.
 */
export function buildGatewayRequest<I extends DescMessage>(schema: I, route: GatewayRoute, message: MessageShape<I> | MessageInitShape<I>): GatewayRequest {
  const msg = create(schema, message as MessageInitShape<I>);
  let json: JsonObject;
  try {
    json = toJson(schema, msg) as JsonObject;
  } catch (err) {
    throw new ConnectError(`the request cannot be written as JSON: ${(err as Error).message}`, Code.InvalidArgument, undefined, undefined, err);
  }
  // Path params: always present (an unset field is its default value), never in body/query.
  const full = toJson(schema, msg, { alwaysEmitImplicit: true }) as JsonObject;
  let path = route.template;
  for (const name of route.pathFields) {
    const field = fieldByProtoName(schema, name);
    const text = scalarText(full[field.jsonName] ?? "", field);
    if (text === "") {
      throw new ConnectError(`${field.name}: must not be empty (it is part of the HTTP path ${route.template})`, Code.InvalidArgument);
    }
    path = path.replace(new RegExp(`\\{${name}(=[^}]*)?\\}`), encodeURIComponent(text));
    delete json[field.jsonName];
  }
  let body: string | undefined;
  if (route.body === "*") {
    body = JSON.stringify(json);
    json = {};
  } else if (route.body !== "") {
    const field = fieldByProtoName(schema, route.body);
    body = JSON.stringify(json[field.jsonName] ?? {});
    delete json[field.jsonName];
  }
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.jsonName === key);
    if (!field) continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, scalarText(item, field));
  }
  const qs = query.toString();
  return { verb: route.verb, path: qs ? `${path}?${qs}` : path, body };
}

// ---- errors ---------------------------------------------------------------------------

/** HTTP status → gRPC code when the body names none (the inverse of grpc-gateway's table). */
const CODE_OF_STATUS: Readonly<Record<number, Code>> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.AlreadyExists,
  412: Code.FailedPrecondition,
  429: Code.ResourceExhausted,
  499: Code.Canceled,
  501: Code.Unimplemented,
  502: Code.Unavailable,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

/** gRPC code for an HTTP status when the body names none; other 5xx are INTERNAL. */
export function codeFromHttpStatus(status: number): Code {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? Code.Internal : Code.Unknown);
}

/** A google.rpc code as a number (5), a numeric string ("5") or a name ("NOT_FOUND", "NotFound"). */
export function parseRpcCode(value: unknown): Code | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 1 && value <= 16 ? (value as Code) : undefined;
  if (typeof value !== "string" || value === "") return undefined;
  if (/^\d+$/.test(value)) return parseRpcCode(Number(value));
  const pascal = value.includes("_") || value === value.toUpperCase()
    ? value.toLowerCase().split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")
    : value;
  const code = (Code as unknown as Record<string, unknown>)[pascal];
  return typeof code === "number" && code >= 1 && code <= 16 ? (code as Code) : undefined;
}

/** The ConnectError for a gateway error: the body's code and message, else the HTTP status. */
export function errorFromGateway(status: number, text: string, header?: Headers): ConnectError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const obj = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  // A 404 without the gateway's error body means no such route: whatever answered is not an
  // Ignite gateway (NOT_FOUND would send the user looking for a missing app).
  if (status === 404 && parseRpcCode(obj?.code) === undefined && typeof obj?.message !== "string") {
    const type = header?.get("content-type");
    return new ConnectError(
      `HTTP 404 ${type ? `(${type}) ` : ""}without an Ignite error body: not an Ignite gateway${text.trim() ? `: ${text.trim().slice(0, 120)}` : ""}`,
      Code.Unimplemented,
      header,
    );
  }
  const code = parseRpcCode(obj?.code) ?? codeFromHttpStatus(status);
  const message =
    typeof obj?.message === "string" && obj.message !== ""
      ? obj.message
      : `HTTP ${status}${http.STATUS_CODES[status] ? ` ${http.STATUS_CODES[status]}` : ""}${!obj && text.trim() ? `: ${text.trim().slice(0, 200)}` : ""}`;
  return new ConnectError(message, code, header);
}

const UNAVAILABLE_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * A socket-level failure as a ConnectError: connection problems are UNAVAILABLE (retried);
 * anything else, a certificate the client does not trust for one, is INTERNAL, as
 * connect-node classifies the gRPC transport's failures.
 */
function networkError(err: unknown, signal: AbortSignal): ConnectError {
  if (signal.aborted) return ConnectError.from(signal.reason);
  if (err instanceof ConnectError) return err;
  const e = err as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : String(err);
  if ((e?.code && UNAVAILABLE_ERRNO.has(e.code)) || message === "aborted" || /socket hang up/.test(message)) {
    return new ConnectError(message, Code.Unavailable, undefined, undefined, err);
  }
  return ConnectError.from(err, Code.Internal);
}

// ---- the wire -------------------------------------------------------------------------

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade", "proxy-connection"]);

function toHeaders(raw: http.IncomingHttpHeaders | NodeJS.Dict<string>): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) h.append(k, item);
  }
  return h;
}

interface Sent {
  res: http.IncomingMessage;
  header: Headers;
}

/** Reads a whole response body, mapping socket failures. */
async function readAll(res: http.IncomingMessage, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (err) {
    throw networkError(err, signal);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The output type of Invoke: answered by the gateway as the pod's own chunked response. */
const INVOKE_RESPONSE = "dodil.ignite.v1.InvokeResponse";

export interface GatewayTransportOptions {
  /** Base URL, e.g. "https://api.dev.dodil.io:443" (from resolveEndpoint). */
  baseUrl: string;
  interceptors?: Interceptor[];
  /**
   * Connections per host. Each open server stream (a compile log follow, an Invoke) holds one
   * HTTP/1.1 connection, so the default has no cap: a cap would queue unary calls behind
   * long streams until their deadlines pass. @default Infinity
   */
  maxSockets?: number;
  /** Largest request message sent, bytes (as protobuf, whatever its JSON length); larger ones fail with RESOURCE_EXHAUSTED before sending. @default no limit */
  writeMaxBytes?: number;
}

export interface GatewayTransport extends Transport {
  /** Closes pooled connections; in-flight calls fail. */
  close(): void;
}

export function createGatewayTransport(options: GatewayTransportOptions): GatewayTransport {
  const base = new URL(options.baseUrl);
  const tls = base.protocol === "https:";
  const basePath = base.pathname.replace(/\/$/, "");
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? Infinity };
  const agent = tls ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const urlOf = (path: string) => `${base.protocol}//${base.host}${basePath}${path}`;

  /** Sends one request and resolves with the response head. */
  function send(req: GatewayRequest, header: Headers, signal: AbortSignal): Promise<Sent> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(ConnectError.from(signal.reason));
      const headers: http.OutgoingHttpHeaders = {};
      header.forEach((value, key) => {
        headers[key] = value;
      });
      headers.accept ??= "application/json";
      if (req.body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(req.body));
      }
      const request = (tls ? https : http).request(
        urlOf(req.path),
        { method: req.verb, headers, agent, signal },
        (res) => resolve({ res, header: toHeaders(res.headers) }),
      );
      request.on("error", (err) => reject(networkError(err, signal)));
      request.end(req.body);
    });
  }

  const requestOf = (method: DescMethod, message: MessageShape<DescMessage>) => {
    // The limit is on the message, as over gRPC, not on its JSON (base64 makes bytes a third
    // longer); measured before the (slower) JSON is written.
    const max = options.writeMaxBytes;
    if (max !== undefined) {
      const size = toBinary(method.input, message).length;
      if (size > max) throw new ConnectError(`message size ${size} is larger than configured writeMaxBytes ${max}`, Code.ResourceExhausted);
    }
    return buildGatewayRequest(method.input, routeOf(method), message);
  };

  async function unaryNext<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    message: MessageShape<I>,
    header: Headers,
    signal: AbortSignal,
  ): Promise<UnaryResponse<I, O>> {
    const { res, header: resHeader } = await send(requestOf(method, message), header, signal);
    const text = await readAll(res, signal);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw errorFromGateway(status, text, resHeader);
    return {
      stream: false,
      service: method.parent,
      method,
      header: resHeader,
      trailer: toHeaders(res.trailers),
      message: parseMessage(method.output, text),
    };
  }

  async function streamNext<I extends DescMessage, O extends DescMessage>(
    method: DescMethodStreaming<I, O>,
    input: AsyncIterable<MessageShape<I>>,
    header: Headers,
    signal: AbortSignal,
  ): Promise<StreamResponse<I, O>> {
    if (method.methodKind !== "server_streaming") {
      throw new ConnectError(`${method.name}: only unary and server-streaming methods have an HTTP form`, Code.Unimplemented);
    }
    let message: MessageShape<I> | undefined;
    for await (const m of input) {
      message = m;
      break;
    }
    if (!message) throw new ConnectError(`${method.name}: missing request message`, Code.Internal);
    const startedAt = Date.now();
    const { res, header: resHeader } = await send(requestOf(method, message), header, signal);
    const status = res.statusCode ?? 0;
    const trailer = new Headers();
    const invoke = method.output.typeName === INVOKE_RESPONSE;
    // Invoke answers with the pod's status; the gateway's own errors carry no execution id.
    const executionId = res.headers["x-ignite-execution-id"];
    const failed = invoke ? typeof executionId !== "string" : status < 200 || status >= 300;
    if (failed) throw errorFromGateway(status, await readAll(res, signal), resHeader);
    const frames = invoke
      ? invokeFrames(method.output, res, executionId as string, startedAt, signal, trailer)
      : ndjsonMessages(method.output, res, signal, trailer);
    return { stream: true, service: method.parent, method, header: resHeader, trailer, message: frames };
  }

  /**
   * The request the interceptors see, the same for unary and streaming calls: its URL is the
   * route's template (the request itself is built once, from the message, in unaryNext/streamNext).
   */
  const interceptedRequest = <M extends DescMethod, T>(
    method: M,
    header: ConstructorParameters<typeof Headers>[0],
    contextValues: ContextValues | undefined,
    message: T,
  ) => ({
    service: method.parent,
    method,
    requestMethod: routeOf(method).verb,
    url: urlOf(routeOf(method).template),
    header: new Headers(header),
    contextValues: contextValues ?? createContextValues(),
    message,
  });

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues?: ContextValues) {
      return runUnaryCall({
        interceptors: options.interceptors,
        signal,
        timeoutMs,
        req: { stream: false, ...interceptedRequest(method, header, contextValues, input) },
        next: (req) => unaryNext(req.method, req.message, req.header, req.signal),
      });
    },
    async stream(method, signal, timeoutMs, header, input, contextValues?: ContextValues) {
      return runStreamingCall({
        interceptors: options.interceptors,
        signal,
        timeoutMs,
        req: { stream: true, ...interceptedRequest(method, header, contextValues, input) },
        next: (req) => streamNext(req.method, req.message, req.header, req.signal),
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function parseMessage<O extends DescMessage>(schema: O, text: string): MessageShape<O> {
  try {
    return fromJson(schema, (text.trim() === "" ? {} : JSON.parse(text)) as JsonValue, { ignoreUnknownFields: true });
  } catch (err) {
    throw new ConnectError(`the gateway's response is not a ${schema.typeName} in JSON: ${(err as Error).message}`, Code.Internal, undefined, undefined, err);
  }
}

/** Newline-delimited JSON messages; an `{"error": ...}` line ends the stream with that error. */
async function* ndjsonMessages<O extends DescMessage>(
  schema: O,
  res: http.IncomingMessage,
  signal: AbortSignal,
  trailer: Headers,
): AsyncGenerator<MessageShape<O>> {
  const hasErrorField = schema.fields.some((f) => f.jsonName === "error" || f.name === "error");
  const parseLine = (line: string): MessageShape<O> => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ConnectError(`the gateway sent a line that is not JSON: ${(err as Error).message}`, Code.Internal, undefined, undefined, err);
    }
    if (!hasErrorField && typeof value === "object" && value !== null && "error" in value) {
      throw errorFromGateway(500, JSON.stringify((value as { error: unknown }).error));
    }
    return parseMessage(schema, line);
  };
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0) {
        const line = pending.subarray(0, nl).toString("utf8").trim();
        pending = pending.subarray(nl + 1);
        if (line !== "") yield parseLine(line);
      }
    }
  } catch (err) {
    throw err instanceof ConnectError ? err : networkError(err, signal);
  }
  const rest = pending.toString("utf8").trim();
  if (rest !== "") yield parseLine(rest);
  toHeaders(res.trailers).forEach((v, k) => trailer.set(k, v));
}

/** Invoke's chunked response as head → chunk* → trailer frames. */
async function* invokeFrames<O extends DescMessage>(
  schema: O,
  res: http.IncomingMessage,
  executionId: string,
  startedAt: number,
  signal: AbortSignal,
  trailer: Headers,
): AsyncGenerator<MessageShape<O>> {
  const frame = (init: unknown) => create(schema, init as MessageInitShape<O>);
  const responseHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k === "x-ignite-execution-id") continue;
    responseHeaders[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  yield frame({ frame: { case: "head", value: { statusCode: res.statusCode ?? 0, responseHeaders, executionId } } });
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      yield frame({ frame: { case: "chunk", value: { data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length) } } });
    }
  } catch (err) {
    // The gateway drops the connection when the pod fails mid-flight.
    throw networkError(err, signal);
  }
  const trailers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.trailers)) if (v !== undefined) trailers[k] = v;
  toHeaders(res.trailers).forEach((v, k) => trailer.set(k, v));
  const { total_body_bytes: totalText, duration_ms: durationText, ...rest } = trailers;
  if (totalText !== undefined && /^\d+$/.test(totalText) && Number(totalText) !== total) {
    throw new ConnectError(`the invoke response carried ${total} body bytes but its trailer says ${totalText}`, Code.DataLoss);
  }
  // Trailers stripped by a proxy: count the bytes and time the call here instead.
  const durationMs = durationText !== undefined && /^\d+$/.test(durationText) ? BigInt(durationText) : BigInt(Date.now() - startedAt);
  yield frame({ frame: { case: "trailer", value: { totalBodyBytes: BigInt(total), durationMs, trailers: rest } } });
}
