// Credentials for the client: a fixed bearer token, or a service account whose OIDC
// client-credentials token is cached and refreshed before it expires.
import { Code } from "@connectrpc/connect";
import * as messages from "../messages.js";
import { IgniteError, redact } from "./errors.js";
import type { SettingSources } from "./settings.js";

/** An OIDC client-credentials identity. */
export interface ServiceAccount {
  clientId: string;
  clientSecret: string;
  /** The OIDC token endpoint. */
  tokenUrl: string;
}

/** The staging identity provider's token endpoint (platform docs). */
export const DEFAULT_TOKEN_URL = "https://id.dev.dodil.io/realms/dodil/protocol/openid-connect/token";

/** Where the client gets its bearer token from. */
export interface TokenSource {
  token(): Promise<string>;
  /** Forget a cached token (after the server said UNAUTHENTICATED). */
  invalidate(): void;
  /** Values to scrub from every message. */
  readonly secrets: readonly string[];
  /** True when invalidate() can lead to a different token. */
  readonly refreshable: boolean;
}

/** The claims this client reads from an access token. */
export interface JwtClaims {
  /** Expiry, Unix seconds. */
  exp?: number;
  organization?: unknown;
  [claim: string]: unknown;
}

/**
 * Decodes a JWT's payload without verifying it: the server verifies; the client only needs
 * to know when to refresh. Returns undefined for anything that is not a JWT.
 */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Organization names carried by the `organization` claim, which identity providers shape
 * differently: a name, a list of names, or an object keyed by name (name → id).
 */
export function organizationsFromClaims(claims: JwtClaims | undefined): string[] {
  const c = claims?.organization;
  if (typeof c === "string") return [c];
  if (Array.isArray(c)) return c.filter((x): x is string => typeof x === "string");
  if (typeof c === "object" && c !== null) return Object.keys(c);
  return [];
}

/** Used when a token says nothing about its expiry. */
const UNKNOWN_LIFETIME_MS = 5 * 60_000;

/**
 * When to fetch a new token: before expiry by 10% of its lifetime, at most 60 s, so a call
 * never leaves with a token that expires in flight, and short-lived tokens still get used.
 */
export function refreshAtMs(obtainedAtMs: number, expiresAtMs: number): number {
  const lifetime = Math.max(0, expiresAtMs - obtainedAtMs);
  return expiresAtMs - Math.min(60_000, lifetime * 0.1);
}

/** A fixed token (ignite:token / DODIL_TOKEN). */
export function staticTokenSource(token: string): TokenSource {
  return { token: async () => token, invalidate: () => undefined, secrets: [token], refreshable: false };
}

export interface ServiceAccountTokenSourceOptions {
  /** Injected clock (ms), for tests. @default Date.now */
  now?: () => number;
  /** Injected fetch, for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Deadline for one exchange. @default 30000 */
  timeoutMs?: number;
  /** Where the settings came from, for hints. */
  sources?: SettingSources;
}

/** Client-credentials tokens, cached until shortly before `exp`, with single-flight refresh. */
export class ServiceAccountTokenSource implements TokenSource {
  readonly refreshable = true;
  private cached?: { token: string; refreshAt: number };
  private inflight?: Promise<string>;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly sources?: SettingSources;
  /** How many exchanges were made (observable for tests and diagnostics). */
  exchanges = 0;

  constructor(
    private readonly account: ServiceAccount,
    options: ServiceAccountTokenSourceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sources = options.sources;
  }

  get secrets(): readonly string[] {
    return this.cached ? [this.account.clientSecret, this.cached.token] : [this.account.clientSecret];
  }

  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    // Concurrent callers share one exchange instead of each hitting the identity provider.
    this.inflight ??= this.exchange().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private fail(code: Code, reason: string, cause?: unknown): IgniteError {
    const { clientId, tokenUrl } = this.account;
    return new IgniteError({
      code,
      method: "token exchange",
      appId: messages.tokenExchange.subject(clientId, tokenUrl),
      reason: redact(reason, [this.account.clientSecret]),
      hint: code === Code.Unavailable ? messages.tokenExchange.unreachableHint(this.sources) : messages.tokenExchange.refusedHint(this.sources),
      // The fetch error is safe (it carries no request body), but keep only its message.
      cause: cause instanceof Error ? new Error(redact(cause.message, [this.account.clientSecret])) : undefined,
    });
  }

  private async exchange(): Promise<string> {
    const { clientId, clientSecret, tokenUrl } = this.account;
    const obtainedAt = this.now();
    this.exchanges++;
    let res: Response;
    try {
      res = await this.fetchFn(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.fail(Code.Unavailable, messages.tokenExchange.unreachable(err instanceof Error ? causeText(err) : String(err)), err);
    }
    const text = await res.text().catch(() => "");
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: reported below with the status.
    }
    if (!res.ok) {
      const detail = [body.error, body.error_description].filter((x) => typeof x === "string").join(": ");
      throw this.fail(res.status >= 500 ? Code.Unavailable : Code.Unauthenticated, messages.tokenExchange.refused(res.status, detail));
    }
    const token = body.access_token;
    if (typeof token !== "string" || token === "") {
      throw this.fail(Code.Unauthenticated, messages.tokenExchange.noAccessToken());
    }
    const claims = decodeJwtClaims(token);
    const expiresAt =
      typeof claims?.exp === "number"
        ? claims.exp * 1000
        : typeof body.expires_in === "number"
          ? obtainedAt + body.expires_in * 1000
          : obtainedAt + UNKNOWN_LIFETIME_MS;
    this.cached = { token, refreshAt: refreshAtMs(obtainedAt, expiresAt) };
    return token;
  }
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1": fetch hides the socket's reason in its cause. */
function causeText(err: Error): string {
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}
