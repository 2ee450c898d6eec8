// Endpoint parsing and the TLS decision: which base URL the gRPC transport dials, and whether
// it may do so in plaintext.
import * as messages from "../messages.js";

/** Where and how the client connects. */
export interface ResolvedEndpoint {
  /** The base URL handed to the transport, e.g. "https://rpc.dev.dodil.io:443". */
  baseUrl: string;
  /** Host name or address without brackets, e.g. "rpc.dev.dodil.io" or "::1". */
  host: string;
  port: number;
  /** True when the connection is TLS. */
  tls: boolean;
}

/** The staging gRPC endpoint named by the platform docs. */
export const DEFAULT_ENDPOINT = "rpc.dev.dodil.io:443";

/** The staging HTTP/JSON gateway named by the platform docs (the default with protocol "http"). */
export const DEFAULT_HTTP_ENDPOINT = "https://api.dev.dodil.io";

/**
 * True for addresses that never leave the machine: 127.0.0.0/8, ::1 (also IPv4-mapped),
 * "localhost" and any "*.localhost" name (RFC 6761 reserves them for loopback).
 * Plaintext is allowed there because nothing on the wire can be observed by others.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255) && Number(m[1]) === 127;
}

/**
 * Parses an endpoint and decides TLS.
 *
 * - "host:port" (no scheme): TLS, except for loopback hosts or `insecure: true`, which
 *   dial plaintext (the local Ignite listens in plaintext). Port defaults to 443 (TLS) / 80.
 * - "https://…": always TLS.
 * - "http://…": plaintext; refused for a non-loopback host unless `insecure: true`,
 *   because a bearer token would travel in the clear.
 */
export function resolveEndpoint(endpoint: string, insecure = false, origin?: string): ResolvedEndpoint {
  const raw = endpoint.trim();
  if (raw === "") throw new Error(messages.endpoint.empty());
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(raw);
  const scheme = schemeMatch ? schemeMatch[1].toLowerCase() : undefined;
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    throw new Error(messages.endpoint.badScheme(raw, scheme, origin));
  }

  let url: URL;
  try {
    // A bare host:port is parsed as if it were https so URL does the host/IPv6 work.
    url = new URL(scheme ? raw : `https://${raw}`);
  } catch {
    throw new Error(messages.endpoint.invalid(raw, origin));
  }
  if (url.username || url.password) {
    // Credentials in the URL would leak into logs and error messages.
    throw new Error(messages.endpoint.credentialsInUrl(origin));
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "") throw new Error(messages.endpoint.noHost(raw, origin));
  const loopback = isLoopbackHost(host);

  let tls: boolean;
  if (scheme === "https") tls = true;
  else if (scheme === "http") {
    if (!loopback && !insecure) {
      throw new Error(messages.endpoint.plaintextRemote(raw, origin));
    }
    tls = false;
  } else tls = !(loopback || insecure);

  // URL drops a port equal to its scheme's default, so "localhost:443" parsed as https would
  // lose its 443; read an explicit port from the authority instead.
  const authority = (scheme ? raw.slice(raw.indexOf("://") + 3) : raw).split("/")[0];
  const explicitPort = /:(\d+)$/.exec(authority)?.[1];
  const port = explicitPort !== undefined ? Number(explicitPort) : tls ? 443 : 80;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return { baseUrl: `${tls ? "https" : "http"}://${hostPart}:${port}${path}`, host, port, tls };
}
