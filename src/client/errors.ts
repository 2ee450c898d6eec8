// IgniteError and the one place where Connect/gRPC codes become messages a user can act on:
// which call failed, for which app, the server's own words, and what to do next.
import { Code, ConnectError } from "@connectrpc/connect";
import type { IgniteMethod } from "./retry.js";

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

  constructor(init: { code: Code; method: string; appId?: string; reason: string; hint: string; cause?: unknown }) {
    const subject = init.appId ? `${init.method} ${init.appId}` : init.method;
    super(`ignite: ${subject} failed: ${init.reason} (${codeName(init.code)}).${init.hint ? ` ${init.hint}` : ""}`, {
      cause: init.cause,
    });
    this.code = init.code;
    this.method = init.method;
    this.appId = init.appId;
    this.reason = init.reason;
    this.hint = init.hint;
  }
}

/** "FailedPrecondition" → "FAILED_PRECONDITION": the spelling gRPC users know. */
export function codeName(code: Code): string {
  const name = Code[code] as string | undefined;
  return name ? name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() : `CODE_${code}`;
}

/** Replaces every secret (and any bearer credential) in `text` with "***". */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    // Very short values would blank out ordinary words; real secrets are long.
    if (s && s.length >= 4) out = out.split(s).join("***");
  }
  return out.replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, "$1***");
}

const DEFAULT_REASONS: Partial<Record<Code, string>> = {
  [Code.Unavailable]: "the endpoint is unavailable",
  [Code.DeadlineExceeded]: "no answer before the deadline",
  [Code.Unauthenticated]: "the request is not authenticated",
  [Code.PermissionDenied]: "permission denied",
  [Code.NotFound]: "not found",
  [Code.AlreadyExists]: "already exists",
  [Code.Canceled]: "the call was canceled",
};

/** What to do, per code; message-specific refinements come first. */
function hintFor(code: Code, reason: string, ctx: ErrorContext): string {
  const app = ctx.appId ?? "the app";
  switch (code) {
    case Code.Unauthenticated:
      return "Check ignite:token / DODIL_TOKEN (it may have expired), or the service account (ignite:clientId / ignite:clientSecret / ignite:tokenUrl).";
    case Code.PermissionDenied:
      return `The token's organization does not own ${app}: check ignite:organization / DODIL_ORG against the organization the token was issued for.`;
    case Code.NotFound:
      return `Check the organization and name; if ${app} was deleted outside Pulumi, run \`pulumi refresh\`.`;
    case Code.AlreadyExists:
      return `${app} already exists in this organization: choose another name, or adopt the existing app.`;
    case Code.FailedPrecondition:
      if (/compil/i.test(reason)) return "Run CompileDraft and wait for it to succeed before publishing.";
      if (/draft|code/i.test(reason)) return "Save code into the draft (SaveDraft) first.";
      return `${app} is not in the state this call needs; see the message.`;
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return "Fix the value named in the message.";
    case Code.Unavailable:
      return `The endpoint ${ctx.endpoint ?? "(unknown)"} is unreachable or overloaded: check ignite:endpoint / DODIL_IGNITE_ENDPOINT and the network.`;
    case Code.DeadlineExceeded:
      return `No answer within ${ctx.timeoutMs ?? "the"}ms deadline from ${ctx.endpoint ?? "the endpoint"}: retry, or raise timeoutMs.`;
    case Code.ResourceExhausted:
      return "A quota or platform limit was hit: wait and run again, or ask for a higher limit.";
    case Code.Aborted:
      return "A concurrent change conflicted with this one: run again.";
    case Code.Unimplemented:
      return "The endpoint does not implement this method: check that ignite:endpoint points at an Ignite ComputeService.";
    case Code.Canceled:
      return "";
    default:
      return "The platform failed: run again, and report it if it persists.";
  }
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

/** The TLS verification error somewhere in `err`'s cause chain, if there is one. */
function tlsTrustError(err: unknown): (Error & { code: string }) | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TLS_TRUST_CODES.has(code)) return e as Error & { code: string };
  }
  return undefined;
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
  const tls = tlsTrustError(err);
  // A certificate the client does not trust: the call never reached the platform, and
  // running again cannot help.
  const reason = tls
    ? `the TLS certificate of ${ctx.endpoint ?? "the endpoint"} is not trusted (${tls.code}: ${tls.message})`
    : redact(ce.rawMessage || DEFAULT_REASONS[ce.code] || "unknown error", secrets);
  const hint = tls
    ? "If the endpoint's certificate comes from a private CA, trust that CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem " +
      "in the environment pulumi runs in; otherwise check that ignite:endpoint names the host the certificate was issued for."
    : redact(hintFor(ce.code, reason, ctx), secrets);
  return new IgniteError({
    code: ce.code,
    method: ctx.method,
    appId: ctx.appId,
    reason,
    hint,
    // The original stays reachable for debugging, but only if it cannot leak a secret.
    cause: secrets.some((s) => s.length >= 4 && String(ce.message).includes(s)) ? undefined : ce,
  });
}
