// The HTTP gateway transport's request building, read from the descriptor's google.api.http
// rules: path params (URL-encoded), query params for GET/DELETE, the JSON body for body "*",
// and the mapping of gateway error answers onto Connect codes.
import { create, getOption, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { buildGatewayRequest, errorFromGateway, parseRpcCode, requireRoute, routeOf, type GatewayRequest } from "../../src/client/gateway-transport.js";
import { createGateway } from "../../src/emulator/gateway.js";
import type { ComputeServiceImpl } from "../../src/emulator/instrument.js";
import { AppMetaSchema, ComputeService, HttpMethod, Runtime, ScaleMetric } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { http as httpRule } from "../../src/gen/google/api/annotations_pb.js";
import { HttpRuleSchema } from "../../src/gen/google/api/http_pb.js";

const m = ComputeService.method;
const build = <I extends DescMessage>(method: { input: I } & Parameters<typeof routeOf>[0], init: MessageInitShape<I>): GatewayRequest =>
  buildGatewayRequest(method.input, routeOf(method), init);
const org = "acme-corp";

describe("routes from the descriptor", () => {
  it("every ComputeService method has a rule whose path params are request fields", () => {
    for (const method of ComputeService.methods) {
      const route = routeOf(method);
      const rule = getOption(method, httpRule);
      expect(route.template).toBe(rule.pattern.value);
      expect(route.verb).toBe(String(rule.pattern.case).toUpperCase());
      expect(route.pathFields.length).toBeGreaterThan(0);
      for (const f of route.pathFields) expect(method.input.fields.map((x) => x.name)).toContain(f);
    }
  });

  it("reads path params, verb and body of a rule", () => {
    expect(routeOf(m.rollbackVersion)).toEqual({
      verb: "POST",
      template: "/v1/ignite/app/{organization_name}/{app_name}/versions/{version}/rollback",
      pathFields: ["organization_name", "app_name", "version"],
      body: "*",
    });
    expect(routeOf(m.getExecution)).toMatchObject({ verb: "GET", pathFields: ["execution_id"], body: "" });
  });

  it("refuses a method without a standard rule", () => {
    expect(() => requireRoute(create(HttpRuleSchema, {}), "x.Y")).toThrow(/x\.Y has no google\.api\.http rule/);
  });
});

describe("request building", () => {
  const table: Array<[string, () => GatewayRequest, GatewayRequest]> = [
    ["GET with path params", () => build(m.getApp, { organizationName: org, appName: "greet" }), { verb: "GET", path: "/v1/ignite/app/acme-corp/greet", body: undefined }],
    [
      "path params are URL-encoded",
      () => build(m.getApp, { organizationName: "a b/c?", appName: "x#y%" }),
      { verb: "GET", path: "/v1/ignite/app/a%20b%2Fc%3F/x%23y%25", body: undefined },
    ],
    ["GET without set fields has no query", () => build(m.listApps, { organizationName: org }), { verb: "GET", path: "/v1/ignite/app/acme-corp", body: undefined }],
    [
      "GET query params by JSON name",
      () => build(m.listApps, { organizationName: org, pageSize: 2, pageToken: "b c&d" }),
      { verb: "GET", path: "/v1/ignite/app/acme-corp?pageSize=2&pageToken=b+c%26d", body: undefined },
    ],
    [
      "int64 and bool query params",
      () => build(m.getExecutionStats, { organizationName: org, appName: "greet", bucketSecs: 86_400, startTimeMs: 1_700_000_000_000n }),
      { verb: "GET", path: "/v1/ignite/app/acme-corp/greet/stats/executions?bucketSecs=86400&startTimeMs=1700000000000", body: undefined },
    ],
    [
      "server stream with a flag",
      () => build(m.streamCompileLogs, { organizationName: org, appName: "tiny", follow: true }),
      { verb: "GET", path: "/v1/ignite/app/acme-corp/tiny/draft/compile-logs?follow=true", body: undefined },
    ],
    ["DELETE", () => build(m.deleteApp, { organizationName: org, appName: "greet" }), { verb: "DELETE", path: "/v1/ignite/app/acme-corp/greet", body: undefined }],
    [
      "POST body is the request minus path fields, enums by name",
      () => build(m.createApp, { organizationName: org, name: "greet", runtime: Runtime.PYTHON, ports: [80, 8080] }),
      { verb: "POST", path: "/v1/ignite/app/acme-corp", body: '{"name":"greet","runtime":"RUNTIME_PYTHON","ports":[80,8080]}' },
    ],
    [
      "a path-only POST sends {}",
      () => build(m.rollbackVersion, { organizationName: org, appName: "greet", version: 3 }),
      { verb: "POST", path: "/v1/ignite/app/acme-corp/greet/versions/3/rollback", body: "{}" },
    ],
    [
      "PATCH with a field mask",
      () =>
        build(m.updateAppConfig, {
          organizationName: org,
          appName: "greet",
          scaling: { maxReplicas: 3, scaleMetric: ScaleMetric.CONCURRENCY },
          updateMask: { paths: ["scaling", "resource_tier"] },
        }),
      {
        verb: "PATCH",
        path: "/v1/ignite/app/acme-corp/greet/config",
        body: '{"scaling":{"maxReplicas":3,"scaleMetric":"SCALE_METRIC_CONCURRENCY"},"updateMask":"scaling,resourceTier"}',
      },
    ],
    [
      "bytes as base64",
      () => build(m.invoke, { organizationName: org, appName: "greet", http: { method: HttpMethod.POST }, body: Buffer.from("{}") }),
      { verb: "POST", path: "/v1/ignite/app/acme-corp/greet/invoke", body: '{"http":{"method":"HTTP_METHOD_POST"},"body":"e30="}' },
    ],
    ["execution paths", () => build(m.watchExecution, { executionId: "exec_1" }), { verb: "GET", path: "/v1/ignite/executions/exec_1/watch", body: undefined }],
  ];
  it.each(table)("%s", (_name, make, expected) => {
    expect(make()).toEqual(expected);
  });

  it("repeated fields become repeated query params", () => {
    const route = requireRoute(create(HttpRuleSchema, { pattern: { case: "get", value: "/x/{organization_name}" } }), "test");
    expect(buildGatewayRequest(AppMetaSchema, route, { organizationName: org, ports: [80, 8080], publicUrls: ["a", "b"] })).toEqual({
      verb: "GET",
      path: "/x/acme-corp?ports=80&ports=8080&publicUrls=a&publicUrls=b",
      body: undefined,
    });
  });

  it("refuses a message field in the query instead of dropping it", () => {
    const route = requireRoute(create(HttpRuleSchema, { pattern: { case: "get", value: "/x/{organization_name}" } }), "test");
    expect(() => buildGatewayRequest(AppMetaSchema, route, { organizationName: org, scaling: { maxReplicas: 2 } })).toThrow(/scaling: a message or map field/);
  });

  it("refuses an empty path param (INVALID_ARGUMENT naming the field)", () => {
    let err: unknown;
    try {
      build(m.getApp, { organizationName: org, appName: "" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toMatch(/^app_name: must not be empty/);
  });

  it("every built request matches the local Ignite's route for the same method", () => {
    const gateway = createGateway({} as ComputeServiceImpl, 1024);
    const samples: Record<string, Record<string, unknown>> = {
      GetExecution: { executionId: "exec_1" },
      WatchExecution: { executionId: "exec_1" },
      RollbackVersion: { organizationName: org, appName: "greet", version: 2 },
    };
    for (const method of ComputeService.methods) {
      const init = samples[method.name] ?? { organizationName: org, appName: "greet" };
      const req = buildGatewayRequest(method.input, routeOf(method), init as never);
      const matched = gateway.match(req.verb, req.path.split("?")[0]!);
      expect(matched?.route.method.name, `${req.verb} ${req.path}`).toBe(method.name);
    }
  });
});

describe("gateway errors", () => {
  const table: Array<[string, number, string, Code, string]> = [
    ["numeric code", 404, '{"code":5,"message":"app acme-corp/x not found","details":[]}', Code.NotFound, "app acme-corp/x not found"],
    ["the body's code wins over the status", 400, '{"code":9,"message":"not compiled"}', Code.FailedPrecondition, "not compiled"],
    ["code by name", 400, '{"code":"FAILED_PRECONDITION","message":"m"}', Code.FailedPrecondition, "m"],
    ["code by Connect name", 409, '{"code":"AlreadyExists","message":"m"}', Code.AlreadyExists, "m"],
    ["no body: the status", 503, "", Code.Unavailable, "HTTP 503 Service Unavailable"],
    ["a proxy's HTML page", 502, "<html>bad gateway</html>", Code.Unavailable, "HTTP 502 Bad Gateway: <html>bad gateway</html>"],
    ["401 without a code", 401, '{"message":"no token"}', Code.Unauthenticated, "no token"],
    ["504", 504, "", Code.DeadlineExceeded, "HTTP 504 Gateway Timeout"],
    ["429", 429, "{}", Code.ResourceExhausted, "HTTP 429 Too Many Requests"],
  ];
  it.each(table)("%s", (_name, status, body, code, message) => {
    const err = errorFromGateway(status, body);
    expect(err.code).toBe(code);
    expect(err.rawMessage).toBe(message);
  });

  it.each([
    [400, Code.InvalidArgument],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    // Issue 9: a 404 without the gateway's error body is no Ignite route, not a missing app.
    [404, Code.Unimplemented],
    [409, Code.AlreadyExists],
    [418, Code.Unknown],
    [429, Code.ResourceExhausted],
    [500, Code.Internal],
    [501, Code.Unimplemented],
    [502, Code.Unavailable],
    [503, Code.Unavailable],
    [504, Code.DeadlineExceeded],
    [507, Code.Internal],
  ])("HTTP %s without a code in the body is %s", (status, code) => {
    expect(errorFromGateway(status, "").code).toBe(code);
  });

  it("a 404 with the gateway's error body stays NOT_FOUND; one without it says it is not an Ignite gateway", () => {
    expect(errorFromGateway(404, '{"code":5,"message":"app acme-corp/x not found"}').code).toBe(Code.NotFound);
    const html = errorFromGateway(404, "<html>nope</html>", new Headers({ "content-type": "text/html" }));
    expect(html.code).toBe(Code.Unimplemented);
    expect(html.rawMessage).toBe("HTTP 404 (text/html) without an Ignite error body: not an Ignite gateway: <html>nope</html>");
  });

  it("parses google.rpc codes", () => {
    expect(parseRpcCode(16)).toBe(Code.Unauthenticated);
    expect(parseRpcCode("7")).toBe(Code.PermissionDenied);
    expect(parseRpcCode("DEADLINE_EXCEEDED")).toBe(Code.DeadlineExceeded);
    expect(parseRpcCode(0)).toBeUndefined();
    expect(parseRpcCode("BOGUS")).toBeUndefined();
  });
});
