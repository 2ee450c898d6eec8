/**
 * Authentication and authorization of the local Ignite.
 *
 * Bearer tokens are bound to organizations. Two kinds are accepted:
 * - static tokens: the generated dev token of each org (persisted in auth.json, so a restart
 *   keeps it) and fixed tokens from the options;
 * - access tokens issued by the OIDC client-credentials endpoint (oidc.ts): HS256 JWTs signed
 *   with a persisted secret, carrying `sub` (the client id), `organization` (the org name
 *   mapped to its id, `{"acme-corp": {"id": "…"}}`, as the seed README describes), `iat` and
 *   `exp`.
 *
 * Every organization has an id (a UUID, persisted with the tokens), which pods see as
 * `ctx["organization_id"]`.
 *
 * A caller may act on apps of its own org; apps in the `public` org may also be read and
 * invoked by any authenticated caller (seed 002), but not changed.
 */
import * as path from "node:path";
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Access, Caller } from "./auth-types.js";
import { PermissionDeniedError, UnauthenticatedError } from "./errors.js";
import { readJson, writeJsonAtomic } from "./fs-util.js";
import type { ServiceAccount, TokenGrant } from "./options.js";
import { validateOrgName } from "./validation.js";

export const PUBLIC_ORG = "public";
export const DEFAULT_CLIENT_ID = "ignite-local";

interface AuthFile {
  jwtSecret: string;
  /** Generated dev tokens, one per org. */
  tokens: TokenGrant[];
  /** Generated service accounts (the default one). */
  serviceAccounts: ServiceAccount[];
  /** Organization name → id. */
  orgIds: Record<string, string>;
}

export interface IssuedToken {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export class Authenticator {
  private readonly byToken = new Map<string, TokenGrant>();
  private readonly accounts = new Map<string, ServiceAccount>();

  private constructor(
    private readonly file: string,
    private readonly state: AuthFile,
    private readonly tokenTtlSecs: number,
    private readonly issuer: string,
  ) {
    for (const grant of state.tokens) this.byToken.set(grant.token, grant);
    for (const account of state.serviceAccounts) this.accounts.set(account.clientId, account);
  }

  /**
   * Loads (or creates) auth.json in `dataDir`, makes sure the default org has a dev token and
   * a default service account, and adds the fixed tokens and accounts from the options.
   */
  static async open(init: {
    dataDir: string;
    defaultOrg: string;
    tokens: TokenGrant[];
    serviceAccounts: ServiceAccount[];
    tokenTtlSecs: number;
    issuer: string;
  }): Promise<Authenticator> {
    validateOrgName(init.defaultOrg, "org");
    const file = path.join(init.dataDir, "auth.json");
    const loaded = (await readJson(file)) as Partial<AuthFile> | undefined;
    const state: AuthFile = {
      jwtSecret: loaded?.jwtSecret ?? randomBytes(32).toString("hex"),
      tokens: loaded?.tokens ?? [],
      serviceAccounts: loaded?.serviceAccounts ?? [],
      orgIds: loaded?.orgIds ?? {},
    };
    if (!state.serviceAccounts.some((a) => a.clientId === DEFAULT_CLIENT_ID)) {
      state.serviceAccounts.push({
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: randomBytes(24).toString("base64url"),
        organization: init.defaultOrg,
      });
    }
    const auth = new Authenticator(file, state, init.tokenTtlSecs, init.issuer);
    await auth.tokenFor(init.defaultOrg); // persists auth.json as a side effect
    for (const grant of init.tokens) {
      validateOrgName(grant.org, "token org");
      auth.byToken.set(grant.token, grant);
    }
    for (const account of init.serviceAccounts) {
      validateOrgName(account.organization, "service account org");
      auth.accounts.set(account.clientId, account);
    }
    // Every org a token can name gets its id now, so no request has to write auth.json.
    const orgs = [PUBLIC_ORG, ...[...auth.byToken.values()].map((g) => g.org), ...[...auth.accounts.values()].map((a) => a.organization)];
    if (orgs.some((org) => !auth.state.orgIds[org])) {
      for (const org of orgs) auth.state.orgIds[org] ??= randomUUID();
      await auth.persist();
    }
    return auth;
  }

  /** The id of an organization (seed README: the token's `organization` claim maps the name to it). */
  orgId(org: string): string {
    let id = this.state.orgIds[org];
    if (!id) {
      id = this.state.orgIds[org] = randomUUID();
      this.persist().catch(() => undefined); // kept in memory either way; written with the next change
    }
    return id;
  }

  /** The persisted dev token of `org`, generated on first use. */
  async tokenFor(org: string): Promise<string> {
    validateOrgName(org, "org");
    const existing = this.state.tokens.find((t) => t.org === org);
    if (existing) {
      await this.persist();
      return existing.token;
    }
    const grant = { org, token: `ign_${org}_${randomBytes(18).toString("base64url")}` };
    this.state.orgIds[org] ??= randomUUID();
    this.state.tokens.push(grant);
    this.byToken.set(grant.token, grant);
    await this.persist();
    return grant.token;
  }

  /** The default service account (client id and secret), for tests and the CLI banner. */
  defaultServiceAccount(): ServiceAccount {
    const account = this.accounts.get(DEFAULT_CLIENT_ID);
    if (!account) throw new Error("default service account missing");
    return account;
  }

  /** Resolves a bearer token (without the "Bearer " prefix) to its caller. */
  authenticate(token: string | undefined): Caller {
    if (!token) throw new UnauthenticatedError("missing bearer token: send Authorization: Bearer <token>");
    const grant = this.byToken.get(token);
    if (grant) return { org: grant.org, subject: `token:${token.slice(0, 12)}` };
    if (token.split(".").length === 3) return this.verifyJwt(token);
    throw new UnauthenticatedError("invalid bearer token");
  }

  /** Throws PermissionDenied unless `caller` may perform `access` on apps of `org`. */
  authorize(caller: Caller, org: string, access: Access): void {
    if (caller.org === org) return;
    if (org === PUBLIC_ORG && access !== "write") return;
    throw new PermissionDeniedError(`organization ${caller.org} may not access apps of organization ${org}`);
  }

  /** OAuth 2.0 client credentials: a signed access token for a known client, else Unauthenticated. */
  issueToken(clientId: string, clientSecret: string): IssuedToken {
    const account = this.accounts.get(clientId);
    if (!account || !safeEqual(account.clientSecret, clientSecret)) {
      throw new UnauthenticatedError("invalid client credentials");
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.issuer,
      sub: account.clientId,
      azp: account.clientId,
      organization: { [account.organization]: { id: this.orgId(account.organization) } },
      iat: now,
      exp: now + this.tokenTtlSecs,
    };
    return { access_token: this.sign(claims), token_type: "Bearer", expires_in: this.tokenTtlSecs };
  }

  private sign(claims: object): string {
    const head = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const body = base64url(JSON.stringify(claims));
    return `${head}.${body}.${this.mac(`${head}.${body}`)}`;
  }

  private mac(input: string): string {
    return createHmac("sha256", Buffer.from(this.state.jwtSecret, "hex")).update(input).digest("base64url");
  }

  private verifyJwt(token: string): Caller {
    const [head, body, signature] = token.split(".") as [string, string, string];
    if (!safeEqual(this.mac(`${head}.${body}`), signature)) throw new UnauthenticatedError("invalid bearer token");
    let header: { alg?: unknown };
    let claims: { exp?: unknown; sub?: unknown; organization?: unknown };
    try {
      header = JSON.parse(Buffer.from(head, "base64url").toString("utf8")) as typeof header;
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as typeof claims;
    } catch {
      throw new UnauthenticatedError("invalid bearer token");
    }
    // {"<name>": {"id": ...}} (what this endpoint issues), or a bare name.
    const org =
      typeof claims.organization === "string"
        ? claims.organization
        : typeof claims.organization === "object" && claims.organization !== null && Object.keys(claims.organization).length === 1
          ? Object.keys(claims.organization)[0]
          : undefined;
    if (header.alg !== "HS256" || org === undefined || typeof claims.exp !== "number") {
      throw new UnauthenticatedError("invalid bearer token");
    }
    if (claims.exp <= Date.now() / 1000) throw new UnauthenticatedError("access token expired: fetch a new one from the token endpoint");
    return { org, subject: typeof claims.sub === "string" ? claims.sub : "jwt", validUntil: claims.exp * 1000 };
  }

  private async persist(): Promise<void> {
    await writeJsonAtomic(this.file, this.state);
  }
}

/** The token from an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function base64url(s: string): string {
  return Buffer.from(s, "utf8").toString("base64url");
}
