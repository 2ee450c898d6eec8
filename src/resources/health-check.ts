// The health gate of a PublishedVersion: after PublishDraft or RollbackVersion the provider
// calls the app the way a client would — its public URL with the provider's credentials, or
// the Invoke RPC where no URL can be reached — through the cold start, until it answers as
// expected or the attempts or the time run out. This file holds the check's inputs (checked
// and defaulted), the attempt loop and the verdict; the calls themselves are the Platform's.
import type * as pulumi from "@pulumi/pulumi";
import * as messages from "../messages.js";
import { isUnknown, type Failures } from "./common.js";
import type { Deadline } from "./resource-options.js";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
export type HttpMethodName = (typeof HTTP_METHODS)[number];
export const VIA = ["auto", "publicUrl", "invoke"] as const;
export type Via = (typeof VIA)[number];

/** The defaults, in one place (the docs and the TSDoc name the same numbers). */
export const HEALTH_DEFAULTS = { method: "GET" as HttpMethodName, timeoutSecs: 120, attempts: 3, intervalMs: 2000 };

export interface HealthCheckArgs {
  /**
   * The path (and query) to call, starting with "/".
   * @default the App's `healthPath`, else "/"
   * @example "/healthz"
   */
  path?: pulumi.Input<string>;
  /**
   * The HTTP method.
   * @default "GET"
   * @example "POST"
   */
  method?: pulumi.Input<HttpMethodName>;
  /**
   * The request body, sent as is (UTF-8).
   * @default none
   * @example '{"name": "health"}'
   */
  body?: pulumi.Input<string>;
  /**
   * Request headers. `authorization` is the provider's own credential and cannot be set.
   * @default {}
   * @example { "content-type": "application/json" }
   */
  headers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * The status (or statuses) that mean healthy.
   * @default any 2xx status
   * @example [200, 204]
   */
  expectStatus?: pulumi.Input<number | number[]>;
  /**
   * Text the response body must contain.
   * @default none (the body is not checked)
   * @example "\"ok\": true"
   */
  expectBodyContains?: pulumi.Input<string>;
  /**
   * How long the whole check may take, cold start and every attempt included, in seconds; a
   * resource's `customTimeouts` can only shorten it.
   * @default 120
   * @example 300
   */
  timeoutSecs?: pulumi.Input<number>;
  /**
   * How many calls to make before the release counts as unhealthy (2 s apart).
   * @default 3
   * @example 5
   */
  attempts?: pulumi.Input<number>;
  /**
   * How to reach the app: `publicUrl` (its first public URL, the way browsers and webhooks
   * do), `invoke` (the Invoke RPC through the API endpoint), or `auto`: the public URL, and
   * Invoke when the URL cannot be reached from where `pulumi` runs (no DNS, refused).
   * @default "auto"
   * @example "invoke"
   */
  via?: pulumi.Input<Via>;
}

/** The checked health check the provider receives (defaults applied, except `path`, which needs the live app). */
export interface HealthCheck {
  path?: string;
  method: HttpMethodName;
  body?: string;
  headers: Record<string, string>;
  expectStatus?: number[];
  expectBodyContains?: string;
  timeoutSecs: number;
  attempts: number;
  via: Via;
}

const HEALTH_FIELDS = ["path", "method", "body", "headers", "expectStatus", "expectBodyContains", "timeoutSecs", "attempts", "via"];

/** Validates and defaults `healthCheck`; failures are named `healthCheck.<field>`. */
export function checkHealthCheck(v: unknown, f: Failures): HealthCheck | undefined {
  if (v === undefined || v === null) return undefined;
  if (isUnknown(v)) return v as HealthCheck;
  if (typeof v !== "object" || Array.isArray(v)) {
    f.add("healthCheck", messages.health.notObject());
    return undefined;
  }
  const a = v as Record<string, unknown>;
  const known = (x: unknown) => x !== undefined && x !== null && !isUnknown(x);
  for (const key of Object.keys(a)) if (!HEALTH_FIELDS.includes(key)) f.add(`healthCheck.${key}`, messages.health.unknownField(key, HEALTH_FIELDS));
  if (known(a.path) && (typeof a.path !== "string" || !a.path.startsWith("/"))) f.add("healthCheck.path", messages.health.badPath(a.path));
  const method = known(a.method) ? a.method : HEALTH_DEFAULTS.method;
  if (!isUnknown(method) && !HTTP_METHODS.includes(method as HttpMethodName)) f.add("healthCheck.method", messages.checks.oneOf("healthCheck.method", HTTP_METHODS, method));
  if (known(a.body) && typeof a.body !== "string") f.add("healthCheck.body", messages.health.notString("body"));
  const headers = (known(a.headers) ? a.headers : {}) as Record<string, unknown>;
  if (!isUnknown(headers)) {
    if (typeof headers !== "object" || Array.isArray(headers)) f.add("healthCheck.headers", messages.health.headersNotMap());
    else
      for (const [k, hv] of Object.entries(headers)) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) f.add(`healthCheck.headers.${k}`, messages.health.badHeaderName(k));
        else if (k.toLowerCase() === "authorization") f.add(`healthCheck.headers.${k}`, messages.health.authorizationHeader());
        if (!isUnknown(hv) && typeof hv !== "string") f.add(`healthCheck.headers.${k}`, messages.health.notString(`headers.${k}`));
      }
  }
  let expectStatus: number[] | undefined;
  if (known(a.expectStatus)) {
    const list = Array.isArray(a.expectStatus) ? a.expectStatus : [a.expectStatus];
    if (list.length === 0 || list.some((s) => !isUnknown(s) && !(Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599))) {
      f.add("healthCheck.expectStatus", messages.health.badStatus(a.expectStatus));
    }
    expectStatus = list as number[];
  }
  if (known(a.expectBodyContains) && typeof a.expectBodyContains !== "string") f.add("healthCheck.expectBodyContains", messages.health.notString("expectBodyContains"));
  const timeoutSecs = known(a.timeoutSecs) ? a.timeoutSecs : HEALTH_DEFAULTS.timeoutSecs;
  if (!isUnknown(timeoutSecs) && !(typeof timeoutSecs === "number" && timeoutSecs > 0 && timeoutSecs <= 3600)) f.add("healthCheck.timeoutSecs", messages.health.badTimeout(timeoutSecs));
  const attempts = known(a.attempts) ? a.attempts : HEALTH_DEFAULTS.attempts;
  if (!isUnknown(attempts) && !(Number.isInteger(attempts) && (attempts as number) >= 1 && (attempts as number) <= 100)) f.add("healthCheck.attempts", messages.health.badAttempts(attempts));
  const via = known(a.via) ? a.via : "auto";
  if (!isUnknown(via) && !VIA.includes(via as Via)) f.add("healthCheck.via", messages.checks.oneOf("healthCheck.via", VIA, via));
  return {
    ...(known(a.path) ? { path: a.path as string } : {}),
    method: method as HttpMethodName,
    ...(known(a.body) ? { body: a.body as string } : {}),
    headers: headers as Record<string, string>,
    ...(expectStatus ? { expectStatus } : {}),
    ...(known(a.expectBodyContains) ? { expectBodyContains: a.expectBodyContains as string } : {}),
    timeoutSecs: timeoutSecs as number,
    attempts: attempts as number,
    via: via as Via,
  };
}

// ---- calling the app -------------------------------------------------------------------------

/** One call of the app, as the Platform makes it. */
export interface AppCall {
  org: string;
  name: string;
  /** The public URL to call (publicUrls[0]); absent when the app has none. */
  url?: string;
  via: Via;
  method: HttpMethodName;
  /** Path and query, starting with "/". */
  path: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What one call got back. `via` says which surface answered; `target` names it for messages. */
export interface AppAnswer {
  via: "publicUrl" | "invoke";
  target: string;
  status: number;
  body: string;
}

/** A call that got no HTTP answer (timeout, refused, reset…): `reason` says what happened. */
export class NoAnswerError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`${target}: ${reason}`);
  }
}

/** Whether an answer is healthy; undefined when it is, else why not. */
export function judge(check: Pick<HealthCheck, "expectStatus" | "expectBodyContains">, answer: Pick<AppAnswer, "status" | "body">): string | undefined {
  const statusOk = check.expectStatus ? check.expectStatus.includes(answer.status) : answer.status >= 200 && answer.status < 300;
  if (!statusOk) return messages.health.wrongStatus(answer.status, check.expectStatus);
  if (check.expectBodyContains !== undefined && !answer.body.includes(check.expectBodyContains)) return messages.health.bodyMissing(check.expectBodyContains);
  return undefined;
}

/** The last `max` characters of a body, on one line, for a message. */
export function bodyTail(body: string, max = 400): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > max ? `…${flat.slice(flat.length - max)}` : flat;
}

/** The verdict of a whole check. */
export type HealthResult =
  | { healthy: true; attempts: number; target: string }
  | { healthy: false; attempts: number; target: string; problem: string; status?: number; body?: string; timedOut: boolean };

/**
 * Calls the app until it answers as `check` expects, at most `check.attempts` times
 * (HEALTH_DEFAULTS.intervalMs apart, doubling), within `check.timeoutSecs` and whatever the
 * operation's custom timeout leaves. The first call pays the cold start.
 */
export async function runHealthCheck(
  call: (req: AppCall) => Promise<AppAnswer>,
  target: { org: string; name: string; url?: string; path: string },
  check: HealthCheck,
  deadline: Deadline,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<HealthResult> {
  const until = Date.now() + deadline.cap(check.timeoutSecs * 1000);
  let last: HealthResult | undefined;
  for (let attempt = 1; attempt <= check.attempts; attempt++) {
    const left = until - Date.now();
    if (left <= 0) break;
    try {
      const answer = await call({
        org: target.org,
        name: target.name,
        url: target.url,
        via: check.via,
        method: check.method,
        path: target.path,
        headers: check.headers,
        body: check.body,
        timeoutMs: left,
      });
      const problem = judge(check, answer);
      if (problem === undefined) return { healthy: true, attempts: attempt, target: answer.target };
      last = { healthy: false, attempts: attempt, target: answer.target, problem, status: answer.status, body: answer.body, timedOut: false };
    } catch (err) {
      if (!(err instanceof NoAnswerError)) throw err;
      last = { healthy: false, attempts: attempt, target: err.target, problem: err.reason, timedOut: until - Date.now() <= 0 };
    }
    if (attempt < check.attempts) {
      const wait = HEALTH_DEFAULTS.intervalMs * 2 ** (attempt - 1);
      if (until - Date.now() <= wait) break;
      await sleep(wait);
    }
  }
  if (last && !last.healthy) return { ...last, timedOut: last.timedOut || until - Date.now() <= 0 };
  return { healthy: false, attempts: 0, target: target.url ?? `${target.org}/${target.name}`, problem: messages.health.noTimeLeft(), timedOut: true };
}
