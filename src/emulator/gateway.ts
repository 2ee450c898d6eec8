/**
 * The HTTP/JSON gateway: the google.api.http mappings of ComputeService, read from the
 * generated descriptor's method options (src/http-rules.ts, the proto is the one source of
 * truth), serving pbjson.
 *
 * - Path params (`{organization_name}`) fill request fields; body "*" is the JSON body; other
 *   query params fill fields by proto or JSON name (`?bucketSecs=86400`, `?bucket_secs=...`).
 * - Responses are pbjson with implicit fields emitted (`"activeVersion": 0`), int64 as strings.
 * - Errors: the HTTP status of the gRPC code and a google.rpc.Status-style body
 *   `{code, message, details: []}`; malformed JSON is INVALID_ARGUMENT (400).
 * - Server-streaming RPCs answer a chunked `application/x-ndjson` body, one message per line;
 *   an error after the first message ends the stream with a line `{"error": {...}}`.
 * Invoke's HTTP form belongs to the data plane and is routed there before the gateway.
 */
import * as http from "node:http";
import { ScalarType, create, fromJson, toBinary, toJson, type DescField, type DescMessage, type DescMethod, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { createHandlerContext } from "@connectrpc/connect";
import { ComputeService } from "../gen/dodil/ignite/v1/compute_pb.js";
import { httpRouteOf } from "../http-rules.js";
import { MalformedInputError, ResourceExhaustedError, errorBody, toConnectError } from "./errors.js";
import { formatExactBytes } from "./archive.js";
import type { ComputeServiceImpl } from "./instrument.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";
import { readBody, sendError, sendJson } from "./http-util.js";

interface Route {
  verb: string;
  pattern: RegExp;
  /** Proto field names of the path params, in order. */
  params: string[];
  method: DescMethod;
  body: string;
}

export interface Gateway {
  /** The route for `verb path`, if any (used to send POST .../invoke to the data plane). */
  match(verb: string, pathname: string): { route: Route; values: string[] } | undefined;
  /** The verbs some route takes for `pathname` (a known path asked with another verb is a 405). */
  verbsFor(pathname: string): string[];
  /** Serves a matched route. */
  serve(req: HttpRequest, res: HttpResponse, url: URL, matched: { route: Route; values: string[] }): Promise<void>;
}

/** The longest JSON body a request message of `maxRequestBytes` can take: base64 of all of it, plus room for the rest. */
function jsonBodyLimit(maxRequestBytes: number): number {
  return Math.ceil(maxRequestBytes / 3) * 4 + 64 * 1024;
}

export function createGateway(impl: ComputeServiceImpl, maxRequestBytes: number): Gateway {
  const routes = buildRoutes();
  return {
    match(verb, pathname) {
      for (const route of routes) {
        if (route.verb !== verb) continue;
        const m = route.pattern.exec(pathname);
        if (m) return { route, values: m.slice(1).map((v) => decodeURIComponent(v)) };
      }
      return undefined;
    },
    verbsFor(pathname) {
      return [...new Set(routes.filter((r) => r.pattern.test(pathname)).map((r) => r.verb))];
    },
    async serve(req, anyRes, url, { route, values }) {
      // The HTTP/2 compat response has the same surface for what we use.
      const res = anyRes as http.ServerResponse;
      const controller = new AbortController();
      res.on("close", () => controller.abort());
      let started = false;
      try {
        // The limit is on the request message, as over gRPC; its JSON is longer (bytes fields are
        // base64, a third more), so the body may be too, and the message is measured after parsing.
        const input = await requestJson(req, url, route, values, maxRequestBytes);
        let message;
        try {
          message = fromJson(route.method.input, fieldMasksInCamelCase(route.method.input, input));
        } catch (err) {
          throw new MalformedInputError(`invalid request body: ${(err as Error).message}`, { cause: err });
        }
        if (route.body === "*") {
          const size = toBinary(route.method.input, message).length;
          if (size > maxRequestBytes) {
            throw new ResourceExhaustedError(`request message of ${size} bytes exceeds the limit of ${formatExactBytes(maxRequestBytes)}`);
          }
        }
        const ctx = createHandlerContext({
          service: ComputeService,
          method: route.method,
          protocolName: "http-json",
          requestMethod: req.method ?? "GET",
          url: url.toString(),
          requestHeader: headersOf(req),
          requestSignal: controller.signal,
        });
        const fn = (impl as unknown as Record<string, (r: unknown, c: unknown) => unknown>)[route.method.localName]!;
        if (route.method.methodKind === "server_streaming") {
          const iterator = (fn(message, ctx) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
          // Pull the first message before committing to 200, so early errors get a real status.
          let next = await iterator.next();
          res.writeHead(200, { "content-type": "application/x-ndjson" });
          started = true;
          while (!next.done) {
            res.write(JSON.stringify(toJson(route.method.output, create(route.method.output, next.value as never), { alwaysEmitImplicit: true })) + "\n");
            next = await iterator.next();
          }
          res.end();
        } else {
          const out = await (fn(message, ctx) as Promise<unknown>);
          sendJson(res, 200, toJson(route.method.output, create(route.method.output, out as never), { alwaysEmitImplicit: true }));
        }
      } catch (err) {
        const ce = toConnectError(err);
        if (started) {
          res.end(JSON.stringify({ error: errorBody(ce) }) + "\n");
        } else if (!res.headersSent) {
          sendError(res, err);
        } else {
          res.end();
        }
      }
    },
  };
}

function buildRoutes(): Route[] {
  const routes: Route[] = [];
  for (const method of ComputeService.methods) {
    const rule = httpRouteOf(method);
    if (!rule) continue;
    // Each `{field}` matches one path segment; the rest of the template is literal.
    const source = rule.template
      .split(/\{[^}]*\}/)
      .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("([^/]+)");
    routes.push({ verb: rule.verb, pattern: new RegExp(`^${source}/?$`), params: rule.pathFields, method, body: rule.body });
  }
  return routes;
}

/** The request as one pbjson object: body (if the rule has one), then query, then path params. */
async function requestJson(req: HttpRequest, url: URL, route: Route, values: string[], limit: number): Promise<JsonObject> {
  let obj: JsonObject = {};
  if (route.body === "*") {
    const text = (await readBody(req, jsonBodyLimit(limit), `${formatExactBytes(limit)} per request message (as JSON, ${formatExactBytes(jsonBodyLimit(limit))})`)).toString("utf8");
    if (text.trim() !== "") {
      let parsed: JsonValue;
      try {
        parsed = JSON.parse(text) as JsonValue;
      } catch (err) {
        throw new MalformedInputError(`malformed JSON body: ${(err as Error).message}`, { cause: err });
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new MalformedInputError("the JSON body must be an object");
      }
      obj = parsed;
    }
  } else {
    for (const key of new Set(url.searchParams.keys())) {
      const field = fieldByName(route.method, key);
      if (!field) throw new MalformedInputError(`unknown query parameter ${JSON.stringify(key)}`);
      const all = url.searchParams.getAll(key);
      obj[field.jsonName] = field.fieldKind === "list" ? all.map((v) => scalarJson(field, v)) : scalarJson(field, all[all.length - 1]!);
    }
  }
  route.params.forEach((name, i) => {
    const field = fieldByName(route.method, name)!;
    obj[field.jsonName] = scalarJson(field, values[i]!);
  });
  return obj;
}

/**
 * contract.md: `update_mask` names fields by proto name or in camelCase. pbjson's FieldMask is
 * a comma-separated string of lowerCamelCase paths, so proto names (`scaling.scaledown_period_secs`,
 * `resource_tier`) are turned into that first, as is the `{"paths": [...]}` object form.
 */
function fieldMasksInCamelCase(desc: DescMessage, json: JsonObject): JsonObject {
  const camel = (path: string): string => path.trim().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  for (const field of desc.fields) {
    if (field.fieldKind !== "message" || field.message.typeName !== "google.protobuf.FieldMask") continue;
    for (const key of new Set([field.jsonName, field.name])) {
      const value = json[key];
      if (typeof value === "string") json[key] = value.split(",").map(camel).join(",");
      else if (value && typeof value === "object" && !Array.isArray(value) && Array.isArray(value.paths)) {
        json[key] = value.paths.map((p) => camel(String(p))).join(",");
      }
    }
  }
  return json;
}

function fieldByName(method: DescMethod, key: string): DescField | undefined {
  return method.input.fields.find((f) => f.name === key || f.jsonName === key);
}

/** Query/path strings as the JSON value fromJson expects for the field's type. */
function scalarJson(field: DescField, value: string): JsonValue {
  const scalar = field.fieldKind === "scalar" || field.fieldKind === "list" ? field.scalar : undefined;
  if (scalar === undefined) return value; // enums take their wire name as a string
  if (scalar === ScalarType.BOOL) return value === "true" ? true : value === "false" ? false : value;
  const numeric = [ScalarType.DOUBLE, ScalarType.FLOAT, ScalarType.INT32, ScalarType.UINT32, ScalarType.SINT32, ScalarType.FIXED32, ScalarType.SFIXED32];
  // 64-bit integers stay strings, as pbjson writes them.
  if (numeric.includes(scalar)) return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return value;
}

function headersOf(req: HttpRequest): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith(":") || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) headers.append(k, item);
  }
  return headers;
}
