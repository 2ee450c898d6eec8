/**
 * Options of the local Ignite: what `startEmulator` accepts, and the fully resolved form the
 * rest of the emulator reads (every default applied in this one place).
 */
import * as path from "node:path";
import type { RuntimeOptions } from "./runtime/options.js";
import { PLATFORM_MAX_REPLICAS_CAP } from "../scaling-defaults.js";
import { MAX_DRAFT_FILES, MAX_REQUEST_BYTES, MiB } from "../platform-limits.js";

export interface TokenGrant {
  /** The organization the token is bound to. */
  org: string;
  /** The bearer token, sent as `Authorization: Bearer <token>`. */
  token: string;
}

export interface ServiceAccount {
  /** OIDC `client_id`. */
  clientId: string;
  /** OIDC `client_secret`. Never printed. */
  clientSecret: string;
  /** The organization whose tokens this account receives. */
  organization: string;
}

export interface EmulatorOptions {
  /** Directory that holds all state; created if missing. Required. */
  dataDir: string;
  /** Milliseconds every unary ComputeService call waits before it is served: a platform that far away. @default 0 */
  rpcLatencyMs?: number;
  /** TCP port for every protocol (gRPC, Connect, HTTP gateway, admin, public URLs). @default 0 (any free port) */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** The default organization; a dev token for it is created (and persisted) at first start. @default "acme-corp" */
  org?: string;
  /** Fixed extra tokens, each bound to an organization. @default [] */
  tokens?: TokenGrant[];
  /** Service accounts accepted by `{httpUrl}/oidc/token`. A default one for `org` is always created. @default [] */
  serviceAccounts?: ServiceAccount[];
  /** Lifetime of access tokens issued by the OIDC endpoint, seconds. @default 3600 */
  tokenTtlSecs?: number;
  /** Base domain of public URLs: `<app>-<org>.<domain>`. @default "ignite.localhost" */
  domain?: string;
  /** Scheme written into public URLs. @default "http" (or "https" when TLS is on) */
  publicScheme?: "http" | "https";
  /** Port written into public URLs; omitted from the URL when it is the scheme's default. @default the listening port */
  publicPort?: number;
  /** Platform cap on ScalingConfig.max_replicas. @default 5 */
  maxReplicasCap?: number;
  /** Largest accepted request message, bytes. @default 32 MiB (MAX_REQUEST_BYTES, the platform's limit) */
  maxRequestBytes?: number;
  /** Largest total size of an unpacked archive, bytes. @default 256 MiB */
  maxUnpackedBytes?: number;
  /** Most entries in an archive. @default 10000 (MAX_DRAFT_FILES, the platform's limit) */
  maxFiles?: number;
  /**
   * The compile budget: a CompileDraft still building after this many seconds is killed and
   * FAILED "timed out after N s". @default `$IGNITE_COMPILE_BUDGET_SECS`, else 2400 (the platform's)
   */
  compileBudgetSecs?: number;
  /** How many compiles run at once; the others wait in order. @default 1 (cargo already uses every core) */
  compileConcurrency?: number;
  /** A cleartext connection that has not sent its first request head by then is dropped, ms. @default 60000 */
  firstHeadTimeoutMs?: number;
  /** PEM certificate and key paths; when both are set the port speaks TLS (h2 + HTTP/1.1 via ALPN). */
  tlsCert?: string;
  tlsKey?: string;
  /** Where log lines go. @default no logging */
  log?: (line: string) => void;
  /** Knobs of the data plane's runtime (pods, timeouts, time scale), passed through to it untouched. */
  runtime?: RuntimeOptions;
  /**
   * Where state lives: "file" keeps it in the data dir across restarts; "memory" keeps it for
   * this run only (the trees programs read are still written under the data dir).
   * @default "file"
   */
  store?: "file" | "memory";
}

export interface ResolvedOptions {
  rpcLatencyMs: number;
  dataDir: string;
  port: number;
  host: string;
  org: string;
  tokens: TokenGrant[];
  serviceAccounts: ServiceAccount[];
  tokenTtlSecs: number;
  domain: string;
  publicScheme: "http" | "https";
  /** Undefined until the server listens, then the resolved public port. */
  publicPort: number | undefined;
  maxReplicasCap: number;
  maxRequestBytes: number;
  maxUnpackedBytes: number;
  maxFiles: number;
  compileBudgetSecs: number;
  compileConcurrency: number;
  firstHeadTimeoutMs: number;
  tls: { cert: string; key: string } | undefined;
  log: (line: string) => void;
  runtime: RuntimeOptions | undefined;
  store: "file" | "memory";
}


export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  if (!options.dataDir) throw new Error("startEmulator: dataDir is required");
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new Error("startEmulator: set both tlsCert and tlsKey, or neither");
  }
  const tls = options.tlsCert && options.tlsKey ? { cert: options.tlsCert, key: options.tlsKey } : undefined;
  return {
    dataDir: path.resolve(options.dataDir),
    rpcLatencyMs: options.rpcLatencyMs ?? 0,
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    org: options.org ?? "acme-corp",
    tokens: options.tokens ?? [],
    serviceAccounts: options.serviceAccounts ?? [],
    tokenTtlSecs: options.tokenTtlSecs ?? 3600,
    domain: (options.domain ?? "ignite.localhost").toLowerCase(),
    publicScheme: options.publicScheme ?? (tls ? "https" : "http"),
    publicPort: options.publicPort,
    maxReplicasCap: options.maxReplicasCap ?? PLATFORM_MAX_REPLICAS_CAP,
    maxRequestBytes: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
    maxUnpackedBytes: options.maxUnpackedBytes ?? 256 * MiB,
    maxFiles: options.maxFiles ?? MAX_DRAFT_FILES,
    compileBudgetSecs: positive("compileBudgetSecs", options.compileBudgetSecs ?? envNumber("IGNITE_COMPILE_BUDGET_SECS") ?? 2400),
    compileConcurrency: positive("compileConcurrency", options.compileConcurrency ?? 1),
    firstHeadTimeoutMs: options.firstHeadTimeoutMs ?? 60_000,
    tls,
    log: options.log ?? (() => {}),
    runtime: options.runtime,
    store: options.store ?? "file",
  };
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

function positive(name: string, n: number): number {
  if (!(n > 0)) throw new Error(`startEmulator: ${name} must be > 0, got ${n}`);
  return n;
}
