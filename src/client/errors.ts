// IgniteError and the one place where a failed call becomes a message a user can act on:
// which call failed, for which app, the server's own words (or, when the call never reached an
// Ignite server, what happened on the way), and what to do next. The words are in
// src/messages.ts; this file decides which apply.
import { Code, ConnectError } from "@connectrpc/connect";
import * as messages from "../messages.js";
import { MAX_REQUEST_BYTES } from "../platform-limits.js";
import type { IgniteMethod } from "./retry.js";
import type { SettingSources } from "./settings.js";

/** What a failing call was doing, for the message. */
export interface ErrorContext {
  method: IgniteMethod | string;
  /** "<org>/<name>", or "execution <id>" for execution calls. */
  appId?: string;
  /** The endpoint as configured, named on UNAVAILABLE. */
  endpoint?: string;
  /** The per-call deadline, named on DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  /** Values that must never appear in a message (tokens, client secrets). */
  secrets?: readonly string[];
  /** True when the caller cancelled the call itself (its signal fired). */
  aborted?: boolean;
  /** Where the settings came from, so hints name the one in use. */
  sources?: SettingSources;
}

/** A failed Ignite call. `message` is complete; the parts are kept for programs. */
export class IgniteError extends Error {
  override readonly name = "IgniteError";
  /** The gRPC/Connect code. */
  readonly code: Code;
  readonly method: string;
  readonly appId?: string;
  /** What went wrong: the server's message (or a description of the code when it sent none). */
  readonly reason: string;
  /** What to do about it. */
  readonly hint: string;
  /** Set when the call failed below the RPC layer (no Ignite server answered it). */
  readonly transport?: messages.TransportFailure;

  constructor(init: {
    code: Code;
    method: string;
    appId?: string;
    reason: string;
    hint: string;
    cause?: unknown;
    transport?: messages.TransportFailure;
  }) {
    super(messages.call.failed(init.method, init.appId, init.reason, codeName(init.code), init.hint), { cause: init.cause });
    this.code = init.code;
    this.method = init.method;
    this.appId = init.appId;
    this.reason = init.reason;
    this.hint = init.hint;
    this.transport = init.transport;
  }
}

/** "FailedPrecondition" → "FAILED_PRECONDITION": the spelling gRPC users know. */
export function codeName(code: Code): string {
  const name = Code[code] as string | undefined;
  return name ? name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() : `CODE_${code}`;
}

/**
 * Replaces every secret (and any bearer credential) in `text` with "***". After "Bearer ", a
 * run that is a plain lowercase word ("invalid bearer token") is left alone: credentials have
 * digits, capitals, dots or length.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    // Very short values would blank out ordinary words; real secrets are long.
    if (s && s.length >= 4) out = out.split(s).join("***");
  }
  return out.replace(/(bearer\s+)([A-Za-z0-9._~+/=-]+)/gi, (whole, prefix: string, value: string) =>
    /^[a-z]+$/.test(value) && value.length < 16 ? whole : `${prefix}***`,
  );
}

/** Node's codes for a TLS certificate the client does not accept. */
const TLS_TRUST_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const CLOSED_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_INVALID_SESSION",
]);

interface Link {
  code?: string;
  syscall?: string;
  message: string;
}

/** `err` and its causes, outermost first. */
function causeChain(err: unknown): Link[] {
  const out: Link[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    out.push({ code: typeof code === "string" ? code : undefined, syscall: typeof syscall === "string" ? syscall : undefined, message: e.message });
  }
  return out;
}

/** How the call failed below the RPC layer, if it did: the transport's words, read once here. */
export function transportFailure(err: unknown, ce: ConnectError, aborted = false): { kind: messages.TransportFailure; code: Code; tlsCode?: string } | undefined {
  const chain = causeChain(err);
  const text = chain.map((l) => l.message).join(" | ");
  const has = (codes: Set<string> | string[]) => chain.find((l) => l.code !== undefined && (Array.isArray(codes) ? codes.includes(l.code) : codes.has(l.code)));
  const tls = has(TLS_TRUST_CODES);
  if (tls) return { kind: "tls-untrusted", code: ce.code, tlsCode: tls.code };
  if (/ENHANCE_YOUR_CALM/.test(text) && !/too_many_pings/.test(text)) return { kind: "too-large", code: Code.ResourceExhausted };
  if (ce.code === Code.ResourceExhausted && /larger than configured (read|write)MaxBytes/.test(text)) return { kind: "too-large", code: Code.ResourceExhausted };
  // EPROTO alone is any TLS protocol failure; these words are the peer answering without TLS.
  if (has(["ERR_SSL_WRONG_VERSION_NUMBER"]) || /wrong version number|packet length too long/i.test(text)) {
    return { kind: "tls-to-plaintext", code: ce.code };
  }
  if (has(["ECONNREFUSED"])) return { kind: "refused", code: Code.Unavailable };
  if (has(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"])) return { kind: "dns", code: Code.Unavailable };
  if (has(["ERR_HTTP2_ERROR", "ERR_HTTP2_SESSION_ERROR"]) && /protocol error/i.test(text)) return { kind: "not-http2", code: ce.code };
  if (chain.some((l) => l.code?.startsWith("HPE_"))) return { kind: "not-http1", code: ce.code };
  if (
    /unsupported content type|is not a [\w.]+ in JSON|sent a line that is not JSON|not an Ignite gateway/.test(text) ||
    (ce.code === Code.Unimplemented && /^HTTP \d{3}/.test(ce.rawMessage))
  ) {
    return { kind: "not-ignite", code: ce.code };
  }
  if (aborted) return undefined;
  const transportCode = [Code.Aborted, Code.Canceled, Code.Unavailable, Code.Internal, Code.Unknown].includes(ce.code);
  if (
    transportCode &&
    (has(CLOSED_CODES) ||
      chain.some((l) => l.syscall === "read" || l.syscall === "write") ||
      /socket hang up|stream closed with error code (CANCEL|NO_ERROR|INTERNAL_ERROR|REFUSED_STREAM)|socket disconnected before secure TLS|^aborted$/i.test(text))
  ) {
    return { kind: "closed", code: Code.Unavailable };
  }
  return undefined;
}

function transportReason(kind: messages.TransportFailure, ctx: ErrorContext, detail: string, tlsCode?: string): string {
  const r = messages.call.reason;
  switch (kind) {
    case "refused":
      return r.refused(ctx, detail);
    case "dns":
      return r.dns(ctx, detail);
    case "closed":
      return r.closed(ctx, detail);
    case "tls-untrusted":
      return r.tlsUntrusted(ctx, tlsCode ?? "", detail);
    case "tls-to-plaintext":
      // OpenSSL's text carries its source file and line; the last words are what matters.
      return r.tlsToPlaintext(ctx, /wrong version number|packet length too long/i.exec(detail)?.[0] ?? detail);
    case "not-http2":
      return r.notHttp2(ctx, detail);
    case "not-http1":
      return r.notHttp1(ctx, detail);
    case "not-ignite":
      return r.notIgnite(ctx, detail);
    case "too-large": {
      const size = /message size (\d+)/.exec(detail)?.[1];
      const limit = /(?:read|write)MaxBytes (\d+)/.exec(detail)?.[1];
      return r.tooLarge(size ? Number(size) : undefined, limit ? Number(limit) : MAX_REQUEST_BYTES, detail);
    }
  }
}

/**
 * Turns anything a call threw into an IgniteError. An IgniteError (e.g. a failed token
 * exchange raised inside the auth interceptor, which Connect wraps) passes through.
 */
export function toIgniteError(err: unknown, ctx: ErrorContext): IgniteError {
  if (err instanceof IgniteError) return err;
  if (err instanceof ConnectError && err.cause instanceof IgniteError) return err.cause;
  const ce = ConnectError.from(err);
  const secrets = ctx.secrets ?? [];
  const transport = transportFailure(err, ce, ctx.aborted);
  const tlsDetail = transport?.tlsCode ? causeChain(err).find((l) => l.code === transport.tlsCode)?.message : undefined;
  const raw = redact(tlsDetail ?? (ce.rawMessage || messages.call.defaultReason[codeName(ce.code)] || "unknown error"), secrets);
  const code = transport?.code ?? ce.code;
  const reason = transport ? transportReason(transport.kind, ctx, raw, transport.tlsCode) : raw;
  const hint = redact(messages.call.hint(codeName(code), reason, ctx, transport?.kind), secrets);
  return new IgniteError({
    code,
    method: ctx.method,
    appId: ctx.appId,
    reason,
    hint,
    transport: transport?.kind,
    // The original stays reachable for debugging, but only if it cannot leak a secret.
    cause: secrets.some((s) => s.length >= 4 && String(ce.message).includes(s)) ? undefined : ce,
  });
}
