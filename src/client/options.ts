// The options of createIgniteClient (./index.ts), in their own file so the connection
// settings (./config.ts), which produce them, need not import the module that consumes them.
import type { ServiceAccount, TokenSource } from "./auth.js";
import type { RetryOptions } from "./retry.js";
import type { SettingSources } from "./settings.js";

/** How the client talks to Ignite: gRPC over HTTP/2, or the HTTP/JSON gateway over HTTP/1.1. */
export type IgniteProtocol = "grpc" | "http";

export interface ClientOptions {
  /**
   * "host:port" (TLS; plaintext for loopback hosts), or a URL "https://…" / "http://…".
   * @example "rpc.dev.dodil.io:443"
   */
  endpoint: string;
  /**
   * "grpc" (HTTP/2, the default) or "http": the platform's HTTP/JSON gateway over HTTP/1.1
   * (e.g. `https://api.dev.dodil.io`), for networks that only allow HTTPS/1.1. Same TLS rule,
   * auth, deadlines and retries. @default "grpc"
   */
  protocol?: IgniteProtocol;
  /** A bearer token. Takes precedence over `serviceAccount`. */
  token?: string;
  /** OIDC client credentials, exchanged for a token that is cached and refreshed. */
  serviceAccount?: ServiceAccount;
  /** Allow plaintext to a non-loopback host. @default false */
  insecure?: boolean;
  /** Deadline of each unary call attempt (and of a service account's token exchange), in ms. @default 30000 (`ignite:timeoutSecs`) */
  timeoutMs?: number;
  /** Deadline of server streams (compile logs, Invoke, WatchExecution), in ms. @default 2700000 (45 min: the 40 min compile budget plus slack) */
  streamTimeoutMs?: number;
  /** Retry policy for calls that are safe to repeat. @default { attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 } */
  retry?: Partial<RetryOptions>;
  /** The User-Agent sent with every call. @default "pulumi-ignite" */
  userAgent?: string;
  /** A token source to use instead of token/serviceAccount (tests, custom identity). */
  tokenSource?: TokenSource;
  /** Where each setting came from (resolveConnection fills it), so error hints name the one in use. */
  sources?: SettingSources;
}
