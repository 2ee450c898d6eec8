// Calls a deployed app the way its clients do, for the health gate (health-check.ts): a plain
// HTTP request to its public URL carrying the provider's own bearer token (public URLs check
// the token and the org, seed 002), or, where that URL cannot be reached from the machine
// running `pulumi` (no DNS for it, nothing listening), the Invoke RPC through the endpoint the
// provider already uses. Credentials are read from the client at call time and scrubbed from
// anything the app sends back before it can reach a message.
import * as dns from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import type { IgniteClient } from "../client/index.js";
import { redact } from "../client/errors.js";
import { HttpMethod } from "../gen/dodil/ignite/v1/compute_pb.js";
import * as messages from "../messages.js";
import { NoAnswerError, type AppAnswer, type AppCall } from "./health-check.js";

/** Bytes of a response body kept for the verdict and the message (its tail). */
const KEEP_BYTES = 64 * 1024;

/** Connection failures that mean "this URL cannot be reached from here" (not "the app is broken"). */
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

export async function callApp(client: IgniteClient, req: AppCall): Promise<AppAnswer> {
  if (req.via !== "invoke" && req.url) {
    try {
      return await callUrl(client, req, req.url);
    } catch (err) {
      if (!(err instanceof Unreachable) || req.via === "publicUrl") throw err instanceof Unreachable ? new NoAnswerError(err.target, err.reason) : err;
      // auto: the URL is not reachable from here; the API endpoint is.
    }
  } else if (req.via === "publicUrl") {
    throw new NoAnswerError(`${req.org}/${req.name}`, messages.health.noPublicUrl());
  }
  return callInvoke(client, req);
}

class Unreachable extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** `*.localhost` is loopback (RFC 6761), as curl resolves it; Node's resolver does not. */
function lookup(host: string, opts: unknown, cb: (...args: unknown[]) => void): void {
  if (host === "localhost" || host.endsWith(".localhost")) {
    const all = typeof opts === "object" && opts !== null && (opts as { all?: boolean }).all;
    if (all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
    else cb(null, "127.0.0.1", 4);
    return;
  }
  dns.lookup(host, opts as never, cb as never);
}

async function callUrl(client: IgniteClient, req: AppCall, base: string): Promise<AppAnswer> {
  const url = new URL(req.path, base.endsWith("/") ? base : `${base}/`);
  const target = `${req.method} ${url.href}`;
  const authorization = await client.authorization();
  const body = req.body === undefined ? undefined : Buffer.from(req.body, "utf8");
  const mod = url.protocol === "https:" ? https : http;
  return new Promise<AppAnswer>((resolve, reject) => {
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      f();
    };
    const request = mod.request(
      url,
      {
        method: req.method,
        headers: {
          ...req.headers,
          "user-agent": "pulumi-ignite (health check)",
          ...(authorization ? { authorization } : {}),
          ...(body ? { "content-length": String(body.length) } : {}),
        },
        lookup: lookup as never,
        agent: false,
      },
      (res) => {
        let kept = Buffer.alloc(0);
        res.on("data", (chunk: Buffer) => {
          kept = Buffer.concat([kept, chunk]);
          if (kept.length > KEEP_BYTES) kept = kept.subarray(kept.length - KEEP_BYTES);
        });
        res.on("end", () => done(() => resolve({ via: "publicUrl", target, status: res.statusCode ?? 0, body: redact(kept.toString("utf8"), client.secrets) })));
        res.on("error", (err) => done(() => reject(new NoAnswerError(target, messages.health.broken(err.message)))));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      done(() => reject(new NoAnswerError(target, messages.health.noAnswerWithin(req.timeoutMs))));
    }, req.timeoutMs);
    const onAbort = () => {
      request.destroy();
      done(() => reject(new NoAnswerError(target, messages.health.noAnswerWithin(req.timeoutMs))));
    };
    req.signal?.addEventListener("abort", onAbort, { once: true });
    request.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "";
      done(() => reject(UNREACHABLE.has(code) ? new Unreachable(target, messages.health.unreachable(code, err.message)) : new NoAnswerError(target, messages.health.broken(redact(err.message, client.secrets)))));
    });
    request.end(body);
  });
}

async function callInvoke(client: IgniteClient, req: AppCall): Promise<AppAnswer> {
  const [pathOnly, query = ""] = req.path.split(/\?(.*)/s, 2) as [string, string?];
  const target = `Invoke ${req.org}/${req.name} ${req.method} ${req.path}`;
  let status = 0;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const frames = client.invoke(
      {
        organizationName: req.org,
        appName: req.name,
        http: { method: HttpMethod[req.method], path: pathOnly, query, headers: req.headers },
        body: req.body === undefined ? new Uint8Array() : Buffer.from(req.body, "utf8"),
      },
      { timeoutMs: req.timeoutMs, signal: req.signal, attempts: 1 },
    );
    for await (const frame of frames) {
      if (frame.frame.case === "head") status = frame.frame.value.statusCode;
      else if (frame.frame.case === "chunk") {
        chunks.push(Buffer.from(frame.frame.value.data));
        size += frame.frame.value.data.length;
        while (size > KEEP_BYTES && chunks.length > 1) size -= chunks.shift()!.length;
      }
    }
  } catch (err) {
    // The platform answered for the app (no pod became ready, the app has no version…), or
    // the call failed: either way the app did not answer. IgniteError messages are scrubbed.
    throw new NoAnswerError(target, (err as Error).message);
  }
  return { via: "invoke", target, status, body: redact(Buffer.concat(chunks).toString("utf8"), client.secrets) };
}
