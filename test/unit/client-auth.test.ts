// Service-account tokens: JWT exp parsing, refresh timing on an injected clock, single-flight
// exchanges, and errors that name the token URL and client id but never the secret.
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  decodeJwtClaims,
  organizationsFromClaims,
  refreshAtMs,
  ServiceAccountTokenSource,
} from "../../src/client/auth.js";
import { IgniteError } from "../../src/client/errors.js";

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none" })}.${b64(claims)}.sig`;
}

const account = { clientId: "ci-deployer", clientSecret: "very-secret-value", tokenUrl: "https://id.example/token" };

/** A token endpoint on an injected fetch: records requests, hands out tokens expiring in ttl seconds. */
function fakeIdp(clock: { now: number }, ttlSecs: number, extra: Record<string, unknown> = {}) {
  const bodies: string[] = [];
  let n = 0;
  const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
    bodies.push(String(init?.body));
    n++;
    const token = jwt({ exp: Math.floor(clock.now / 1000) + ttlSecs, n, organization: { "acme-corp": { id: "o-1" } }, ...extra });
    await new Promise((r) => setTimeout(r, 5));
    return new Response(JSON.stringify({ access_token: token, token_type: "Bearer" }), { status: 200 });
  }) as typeof fetch;
  return { fetchFn, bodies, count: () => n };
}

describe("JWT claims", () => {
  it("decodes exp and organization without verifying", () => {
    const c = decodeJwtClaims(jwt({ exp: 123, organization: ["acme-corp"] }));
    expect(c?.exp).toBe(123);
    expect(organizationsFromClaims(c)).toEqual(["acme-corp"]);
  });
  it("reads the organization claim in its shapes", () => {
    expect(organizationsFromClaims({ organization: "acme-corp" })).toEqual(["acme-corp"]);
    expect(organizationsFromClaims({ organization: { "acme-corp": { id: "1" } } })).toEqual(["acme-corp"]);
    expect(organizationsFromClaims({})).toEqual([]);
  });
  it("returns undefined for opaque tokens", () => {
    expect(decodeJwtClaims("not-a-jwt")).toBeUndefined();
    expect(decodeJwtClaims("a.b.c")).toBeUndefined();
  });
});

describe("refresh timing", () => {
  it("refreshes 60s early for long-lived tokens and 10% early for short ones", () => {
    expect(refreshAtMs(0, 3_600_000)).toBe(3_540_000);
    expect(refreshAtMs(0, 10_000)).toBe(9_000);
  });
});

describe("ServiceAccountTokenSource", () => {
  it("posts form-encoded client credentials", async () => {
    const clock = { now: 1_000_000 };
    const idp = fakeIdp(clock, 3600);
    const src = new ServiceAccountTokenSource(account, { now: () => clock.now, fetch: idp.fetchFn });
    const token = await src.token();
    const form = new URLSearchParams(idp.bodies[0]);
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("client_id")).toBe("ci-deployer");
    expect(form.get("client_secret")).toBe("very-secret-value");
    expect(organizationsFromClaims(decodeJwtClaims(token))).toEqual(["acme-corp"]);
  });

  it("caches until shortly before exp, then refreshes", async () => {
    const clock = { now: 1_000_000 };
    const idp = fakeIdp(clock, 3600);
    const src = new ServiceAccountTokenSource(account, { now: () => clock.now, fetch: idp.fetchFn });
    const t1 = await src.token();
    clock.now += 3_500_000; // 100 s before expiry: still fresh
    expect(await src.token()).toBe(t1);
    clock.now += 50_000; // 50 s before expiry: inside the 60 s window
    const t2 = await src.token();
    expect(t2).not.toBe(t1);
    expect(idp.count()).toBe(2);
  });

  it("shares one exchange between concurrent callers", async () => {
    const clock = { now: 0 };
    const idp = fakeIdp(clock, 3600);
    const src = new ServiceAccountTokenSource(account, { now: () => clock.now, fetch: idp.fetchFn });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => src.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(idp.count()).toBe(1);
  });

  it("exchanges again after invalidate()", async () => {
    const clock = { now: 0 };
    const idp = fakeIdp(clock, 3600);
    const src = new ServiceAccountTokenSource(account, { now: () => clock.now, fetch: idp.fetchFn });
    await src.token();
    src.invalidate();
    await src.token();
    expect(idp.count()).toBe(2);
  });

  it("names the token URL and client id on a rejected exchange, never the secret", async () => {
    const fetchFn = (async () =>
      new Response(JSON.stringify({ error: "invalid_client", error_description: "bad secret very-secret-value" }), { status: 401 })) as typeof fetch;
    const src = new ServiceAccountTokenSource(account, { fetch: fetchFn });
    const err = await src.token().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(IgniteError);
    const e = err as IgniteError;
    expect(e.code).toBe(Code.Unauthenticated);
    expect(e.message).toContain("https://id.example/token");
    expect(e.message).toContain("ci-deployer");
    expect(e.message).toContain("invalid_client");
    expect(e.message).not.toContain("very-secret-value");
    expect(JSON.stringify(e)).not.toContain("very-secret-value");
    expect(String(e.stack)).not.toContain("very-secret-value");
  });

  it("reports an unreachable token endpoint as UNAVAILABLE", async () => {
    const fetchFn = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const e = (await new ServiceAccountTokenSource(account, { fetch: fetchFn }).token().catch((x: unknown) => x)) as IgniteError;
    expect(e.code).toBe(Code.Unavailable);
    expect(e.message).toMatch(/unreachable.*tokenUrl|ignite:tokenUrl/s);
  });

  it("falls back to expires_in for opaque tokens", async () => {
    const clock = { now: 0 };
    let n = 0;
    const fetchFn = (async () => new Response(JSON.stringify({ access_token: `opaque-${++n}`, expires_in: 100 }))) as typeof fetch;
    const src = new ServiceAccountTokenSource(account, { now: () => clock.now, fetch: fetchFn });
    expect(await src.token()).toBe("opaque-1");
    clock.now = 89_000;
    expect(await src.token()).toBe("opaque-1");
    clock.now = 91_000;
    expect(await src.token()).toBe("opaque-2");
  });
});
