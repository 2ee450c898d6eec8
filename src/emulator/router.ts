/**
 * Dispatch of every HTTP request on the port, in this order:
 * 1. Host under the public-URL domain → the data plane (public-URL proxy);
 * 2. /_ignite/* → admin; /oidc/token → the OIDC token endpoint;
 * 3. /dodil.ignite.v1.ComputeService/* → connect-node (gRPC, Connect, gRPC-web);
 *    /grpc.reflection.v1.ServerReflection/* → the same, server reflection (reflection.ts);
 * 4. POST /v1/ignite/app/{org}/{app}/invoke → the data plane (counted as Invoke);
 * 5. the other google.api.http routes → the JSON gateway; a known path with another verb is
 *    405 (with Allow), anything else 404.
 */
import * as http from "node:http";
import { ComputeService } from "../gen/dodil/ignite/v1/compute_pb.js";
import { ADMIN_PREFIX, handleAdmin } from "./admin.js";
import type { Authenticator } from "./auth.js";
import type { DataPlane } from "./data-plane.js";
import { MethodNotAllowedError, NotFoundError, toConnectError, UnimplementedError } from "./errors.js";
import type { Gateway } from "./gateway.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";
import { requestHost, sendError } from "./http-util.js";
import type { CallCounter } from "./instrument.js";
import { TOKEN_PATH, handleTokenRequest } from "./oidc.js";
import { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import type { RequestHandler } from "./server.js";

export interface RouterDeps {
  domain: string;
  connect: RequestHandler;
  gateway: Gateway;
  dataPlane: DataPlane;
  auth: Authenticator;
  counter: CallCounter;
  log: (line: string) => void;
}

export function createRouter(deps: RouterDeps): RequestHandler {
  const servicePrefix = `/${ComputeService.typeName}/`;
  const reflectionPrefix = `/${ServerReflection.typeName}/`;
  const notFound = (res: HttpResponse, what: string): void => sendError(res, new NotFoundError(`not found: ${what}`));

  /** The data plane speaks HTTP/1.1 only (chunked bodies with trailers). */
  const isHttp1 = (req: HttpRequest, res: HttpResponse): req is http.IncomingMessage & HttpRequest =>
    req instanceof http.IncomingMessage && res instanceof http.ServerResponse;

  const route = async (req: HttpRequest, res: HttpResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://ignite.local");
    const host = requestHost(req);
    if (host.endsWith(`.${deps.domain}`)) {
      if (!isHttp1(req, res) || (await deps.dataPlane.handlePublic(req, res as http.ServerResponse)) === false) {
        notFound(res, `no app serves ${host}`);
      }
      return;
    }
    const pathname = url.pathname;
    if (pathname.startsWith(ADMIN_PREFIX)) return handleAdmin(req, res, pathname, { counter: deps.counter, pods: () => deps.dataPlane.pods() });
    if (pathname === TOKEN_PATH) return handleTokenRequest(req, res, deps.auth);
    if (pathname.startsWith(servicePrefix) || pathname.startsWith(reflectionPrefix)) return deps.connect(req, res);
    const matched = deps.gateway.match(req.method ?? "GET", pathname);
    if (!matched) {
      const allowed = deps.gateway.verbsFor(pathname);
      if (allowed.length === 0) return notFound(res, `${req.method} ${pathname}`);
      // A known route asked with another verb.
      return sendError(res, new MethodNotAllowedError(`method ${req.method} not allowed on ${pathname}; use ${allowed.join(" or ")}`, allowed));
    }
    if (matched.route.method.name === "Invoke") {
      deps.counter.count("Invoke");
      if (isHttp1(req, res)) {
        const param = (field: string): string => matched.values[matched.route.params.indexOf(field)] ?? "";
        return deps.dataPlane.handleInvoke(param("organization_name"), param("app_name"), req, res as http.ServerResponse);
      }
      // Its chunked body with trailers is an HTTP/1.1 form.
      sendError(res, new UnimplementedError("Invoke over the HTTP gateway needs HTTP/1.1 (a chunked body with trailers)"));
      return;
    }
    return deps.gateway.serve(req, res, url, matched);
  };

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (toConnectError(err).code === 13) deps.log(`error serving ${req.method} ${req.url}: ${String((err as Error)?.stack ?? err)}`);
      if (!res.headersSent) sendError(res, err, { connection: "close" });
      else res.end();
    });
  };
}
