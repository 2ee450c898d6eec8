/** Small HTTP helpers shared by the gateway, the OIDC endpoint and the admin endpoints. */
import { httpErrorOf, ResourceExhaustedError } from "./errors.js";
import { formatExactBytes } from "./archive.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";

export function sendJson(res: HttpResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  (res as import("node:http").ServerResponse).writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Answers `err` as an HTTP error (httpErrorOf: status, JSON body, implied headers). */
export function sendError(res: HttpResponse, err: unknown, headers: Record<string, string> = {}): void {
  const { status, body, headers: implied } = httpErrorOf(err);
  (res as import("node:http").ServerResponse).writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    ...implied,
    ...headers,
  });
  res.end(body);
}

/** Reads the whole body, failing with RESOURCE_EXHAUSTED past `limit` bytes (`limitText` says what the limit is, when it is not just bytes). */
export async function readBody(req: HttpRequest, limit: number, limitText = formatExactBytes(limit)): Promise<Buffer> {

  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw new ResourceExhaustedError(`request body of ${declared} bytes exceeds the limit of ${limitText}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ResourceExhaustedError(`request body exceeds the limit of ${limitText}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The Host (HTTP/1.1) or :authority (HTTP/2) without the port, lowercased. */
export function requestHost(req: HttpRequest): string {
  const raw = (req.headers[":authority"] as string | undefined) ?? req.headers.host ?? "";
  return raw.replace(/:\d+$/, "").toLowerCase();
}
