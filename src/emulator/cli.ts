/**
 * `ignite-local`: parses options, starts the emulator, prints its endpoints (one per line, so
 * scripts can grep them) and runs until SIGINT/SIGTERM, then shuts down cleanly.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "./index.js";
import { MiB } from "../platform-limits.js";
import type { ServiceAccount, TokenGrant } from "./options.js";
import { MAX_DRAFT_FILES, MAX_REQUEST_BYTES } from "../platform-limits.js";

const HELP = `Usage: ignite-local [options]

Runs a local Ignite: the ComputeService over gRPC (HTTP/2), Connect and the HTTP/JSON
gateway, all on one port, with state in a data directory.

Options:
  --port <n>                   port for every protocol (default 7700; 0 = any free port)
  --host <addr>                interface to listen on (default 127.0.0.1)
  --data-dir <dir>             state directory (default .ignite-local)
  --org <name>                 default organization; its dev token is printed (default acme-corp)
  --token <org>=<token>        accept a fixed bearer token for an org (repeatable)
  --service-account <id>:<secret>:<org>
                               accept an OIDC client at /oidc/token (repeatable)
  --token-ttl <secs>           lifetime of OIDC access tokens (default 3600)
  --domain <domain>            base domain of public URLs (default ignite.localhost)
  --public-scheme <http|https> scheme of public URLs (default http, https with TLS)
  --public-port <n>            port written into public URLs (default: the listening port)
  --max-replicas-cap <n>       platform cap on max_replicas (default 5)
  --max-request-bytes <n>      largest request message (default ${MAX_REQUEST_BYTES}, the platform's)
  --max-unpacked-bytes <n>     largest unpacked archive (default ${256 * MiB})
  --max-files <n>              most entries in an archive (default ${MAX_DRAFT_FILES}, the platform's)
  --compile-budget-secs <n>    a compile still running after n s fails as timed out
                               (default $IGNITE_COMPILE_BUDGET_SECS, else 2400)
  --compile-concurrency <n>    compiles that run at once; others queue (default 1)
  --cold-start-budget-secs <n> how long a request waits for a pod to become ready
                               (default 600, or IGNITE_COLD_START_BUDGET_SECS)
  --tls-cert <file>            PEM certificate: serve TLS (needs --tls-key)
  --tls-key <file>             PEM private key
  --quiet                      no log lines on stderr
  -h, --help                   show this help
`;

/** Every option the CLI accepts; HELP lists each (a test checks it). */
export const CLI_OPTIONS = {
  port: { type: "string", default: "7700" },
  host: { type: "string" },
  "data-dir": { type: "string", default: ".ignite-local" },
  org: { type: "string" },
  token: { type: "string", multiple: true },
  "service-account": { type: "string", multiple: true },
  "token-ttl": { type: "string" },
  domain: { type: "string" },
  "public-scheme": { type: "string" },
  "public-port": { type: "string" },
  "max-replicas-cap": { type: "string" },
  "max-request-bytes": { type: "string" },
  "max-unpacked-bytes": { type: "string" },
  "max-files": { type: "string" },
  "compile-budget-secs": { type: "string" },
  "compile-concurrency": { type: "string" },
  "cold-start-budget-secs": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: CLI_OPTIONS,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const int = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const tokens: TokenGrant[] = (values.token ?? []).map((spec) => {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) throw new Error(`--token must be <org>=<token>, got ${JSON.stringify(spec)}`);
    return { org: spec.slice(0, eq), token: spec.slice(eq + 1) };
  });
  const serviceAccounts: ServiceAccount[] = (values["service-account"] ?? []).map((spec) => {
    const [clientId, clientSecret, organization, ...rest] = spec.split(":");
    if (!clientId || !clientSecret || !organization || rest.length > 0) {
      throw new Error(`--service-account must be <id>:<secret>:<org>, got ${JSON.stringify(spec.split(":")[0])}:...`);
    }
    return { clientId, clientSecret, organization };
  });
  const secondsToMs = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0) throw new Error(`--${name} must be a positive number of seconds, got ${JSON.stringify(raw)}`);
    return Math.round(Number(raw) * 1000);
  };
  const scheme = values["public-scheme"];
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") throw new Error("--public-scheme must be http or https");

  const log = values.quiet ? undefined : (line: string) => process.stderr.write(`ignite-local: ${line}\n`);
  const dataDir = path.resolve(values["data-dir"]);
  const emulator = await startEmulator({
    dataDir,
    port: int("port", values.port),
    host: values.host,
    org: values.org,
    tokens,
    serviceAccounts,
    tokenTtlSecs: int("token-ttl", values["token-ttl"]),
    domain: values.domain,
    publicScheme: scheme,
    publicPort: int("public-port", values["public-port"]),
    maxReplicasCap: int("max-replicas-cap", values["max-replicas-cap"]),
    maxRequestBytes: int("max-request-bytes", values["max-request-bytes"]),
    maxUnpackedBytes: int("max-unpacked-bytes", values["max-unpacked-bytes"]),
    maxFiles: int("max-files", values["max-files"]),
    compileBudgetSecs: int("compile-budget-secs", values["compile-budget-secs"]),
    compileConcurrency: int("compile-concurrency", values["compile-concurrency"]),
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    runtime: { coldStartBudgetMs: secondsToMs("cold-start-budget-secs", values["cold-start-budget-secs"]) },
    log,
  });
  const out = [
    `grpc: ${emulator.grpcEndpoint}`,
    `http: ${emulator.httpUrl}`,
    `token: ${emulator.token}`,
    `org: ${emulator.org}`,
    `token_url: ${emulator.tokenUrl}`,
    `client_id: ${emulator.clientId} (secret in ${path.join(dataDir, "auth.json")})`,
    `public_urls: ${emulator.options.publicScheme}://<app>-<org>.${emulator.domain}:${emulator.options.publicPort}`,
    `data_dir: ${dataDir}`,
  ];
  process.stdout.write(out.join("\n") + "\n");

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log?.(`${signal}: shutting down`);
    emulator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`ignite-local: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}
