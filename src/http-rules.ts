/**
 * The google.api.http rules of a service, read from its generated descriptor (the proto is the
 * one source of truth for the HTTP/JSON mapping). One parser for both ends of the gateway: the
 * local Ignite's router/gateway (src/emulator/gateway.ts) and the client's gateway transport.
 */
import { getOption, type DescMethod } from "@bufbuild/protobuf";
import { http as httpRule } from "./gen/google/api/annotations_pb.js";
import type { HttpRule } from "./gen/google/api/http_pb.js";

/** The HTTP form of one method. */
export interface HttpRoute {
  verb: "GET" | "PUT" | "POST" | "DELETE" | "PATCH";
  /** The path template, e.g. "/v1/ignite/app/{organization_name}/{app_name}". */
  template: string;
  /** Proto names of the `{field}` path params, in order. */
  pathFields: string[];
  /** "*" (the whole request minus path fields), "" (no body) or one field's name. */
  body: string;
}

/** The `{field}` / `{field=pattern}` placeholders of a path template. */
const PATH_PARAM = /\{([^}=]+)(=[^}]*)?\}/g;

/** The route of a google.api.http rule; undefined for no rule or a custom verb. */
export function routeFromRule(rule: Pick<HttpRule, "pattern" | "body">): HttpRoute | undefined {
  const { pattern } = rule;
  if (pattern.case === undefined || pattern.case === "custom") return undefined;
  const pathFields = [...pattern.value.matchAll(PATH_PARAM)].map((m) => m[1]!);
  return { verb: pattern.case.toUpperCase() as HttpRoute["verb"], template: pattern.value, pathFields, body: rule.body };
}

/** The route of a method, from its google.api.http option; undefined when it has none. */
export function httpRouteOf(method: DescMethod): HttpRoute | undefined {
  return routeFromRule(getOption(method, httpRule));
}
