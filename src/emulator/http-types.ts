/** The request/response types the HTTP handlers accept: HTTP/1.1 and the HTTP/2 compat API alike. */
import type * as http from "node:http";
import type * as http2 from "node:http2";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;
