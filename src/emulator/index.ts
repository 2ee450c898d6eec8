/**
 * The local Ignite as a library: `startEmulator(options)` starts the ComputeService (gRPC,
 * Connect and the HTTP/JSON gateway on one port) over a data directory and returns its
 * endpoints, a dev token and `stop()`. The CLI (cli.ts) is a thin wrapper around it.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ComputeService } from "../gen/dodil/ignite/v1/compute_pb.js";
import { Authenticator } from "./auth.js";
import { Compiler } from "./compiler.js";
import { createControlPlane } from "./control-plane.js";
import { createDataPlane, type DataPlane } from "./data-plane.js";
import { FileStore } from "./fs-store.js";
import { MemoryStore } from "./memory-store.js";
import { createGateway } from "./gateway.js";
import { UnavailableError } from "./errors.js";
import { sendError, sendJson } from "./http-util.js";
import { CallCounter, instrument } from "./instrument.js";
import { KeyedMutex } from "./mutex.js";
import { TOKEN_PATH } from "./oidc.js";
import { createReflection } from "./reflection.js";
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from "./options.js";
import { createRouter } from "./router.js";
import { resolveRuntimeOptions } from "./runtime/options.js";
import { runtimeNamed } from "./runtimes/index.js";
import { listen, type RequestHandler, type SocketClaim } from "./server.js";
import type { Store } from "./store.js";

export type { EmulatorOptions, ResolvedOptions, ServiceAccount, TokenGrant } from "./options.js";
export type { Store, StoredDraft, TreeFile } from "./store.js";

export interface Emulator {
  /** Base URL for gRPC / Connect clients, e.g. "http://127.0.0.1:7700". */
  grpcEndpoint: string;
  /** Base URL of the HTTP/JSON gateway (same port), e.g. "http://127.0.0.1:7700". */
  httpUrl: string;
  /** The dev token of the default org (persisted: the same after a restart on the same data dir). */
  token: string;
  /** The default organization. */
  org: string;
  /** The OIDC client-credentials token endpoint, `{httpUrl}/oidc/token`. */
  tokenUrl: string;
  /** The default service account of `org`. */
  clientId: string;
  clientSecret: string;
  port: number;
  /** The base domain of public URLs. */
  domain: string;
  dataDir: string;
  /** The resolved options (publicPort filled in). */
  options: ResolvedOptions;
  /** The storage the emulator runs on (read-only use in tests). */
  store: Store;
  /** The persisted dev token of another org, created on first use. */
  tokenFor(org: string): Promise<string>;
  /** Stops accepting calls, closes connections, finishes pending writes. */
  stop(): Promise<void>;
}

export async function startEmulator(input: EmulatorOptions): Promise<Emulator> {
  const options = resolveOptions(input);
  await fs.mkdir(options.dataDir, { recursive: true });
  const store: Store =
    options.store === "memory" ? await memoryStore(path.join(options.dataDir, "data-plane", "memory-store")) : await FileStore.open(options.dataDir);

  // Listen first: the port is part of the issuer and the public URLs. Until the handler is
  // wired (a few ms, before this function returns) requests get 503.
  let handler: RequestHandler = (_req, res) => sendError(res, new UnavailableError("the local Ignite is starting; try again in a moment"));
  // Public-URL connections go to the data plane's byte relay once it exists.
  let claim: SocketClaim = () => false;
  const server = await listen({
    host: options.host,
    port: options.port,
    tls: options.tls,
    firstHeadTimeoutMs: options.firstHeadTimeoutMs,
    handler: (req, res) => handler(req, res),
    claim: (socket, first, handBack) => claim(socket, first, handBack),
  });
  options.port = server.port;
  options.publicPort ??= server.port;
  const scheme = options.tls ? "https" : "http";
  const hostForUrl = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host.includes(":") ? `[${options.host}]` : options.host;
  const baseUrl = `${scheme}://${hostForUrl}:${server.port}`;

  try {
    const auth = await Authenticator.open({
      dataDir: options.dataDir,
      defaultOrg: options.org,
      tokens: options.tokens,
      serviceAccounts: options.serviceAccounts,
      tokenTtlSecs: options.tokenTtlSecs,
      issuer: `${baseUrl}/oidc`,
    });
    const locks = new KeyedMutex();
    const runtimeOptions = resolveRuntimeOptions(options.runtime);
    // The data plane's own directory: app logs, venvs, builds, precompiled components.
    const dataPlaneDir = path.join(options.dataDir, "data-plane");
    const compiler = new Compiler({
      store,
      workRoot: path.join(dataPlaneDir, "compile"),
      locks,
      log: options.log,
      plugin: (name) => runtimeNamed(name),
      // The same directory the data plane gives the plug-in (pod-pools.ts), so what a compile
      // leaves for pods (precompiled wasm) is where they look.
      host: (plugin) => ({ options: runtimeOptions, dataDir: path.join(dataPlaneDir, plugin.name), log: options.log }),
      budgetSecs: options.compileBudgetSecs,
      concurrency: options.compileConcurrency,
    });
    await compiler.recover();
    const counter = new CallCounter();
    const dataPlane: DataPlane = createDataPlane({
      store,
      dataPlaneDir,
      options,
      authorize: (token, org) => {
        const caller = auth.authenticate(token);
        auth.authorize(caller, org, "invoke");
        return caller;
      },
      orgId: (org) => auth.orgId(org),
      log: options.log,
    });
    claim = (socket, first, handBack) => dataPlane.claimSocket(socket, first, handBack);
    const controlPlane = createControlPlane({ store, auth, options, locks, compiler, dataPlane: () => dataPlane });
    const impl = instrument({ ...controlPlane, ...dataPlane.service }, counter, options.rpcLatencyMs);
    const connect = connectNodeAdapter({
      routes: (router) => router.service(ComputeService, impl).service(ServerReflection, createReflection()),
      readMaxBytes: options.maxRequestBytes,
    });
    handler = createRouter({
      domain: options.domain,
      connect,
      gateway: createGateway(impl, options.maxRequestBytes),
      dataPlane,
      auth,
      counter,
      log: options.log,
    });
    const token = await auth.tokenFor(options.org);
    const account = auth.defaultServiceAccount();
    let stopped: Promise<void> | undefined;
    return {
      grpcEndpoint: baseUrl,
      httpUrl: baseUrl,
      token,
      org: options.org,
      tokenUrl: `${baseUrl}${TOKEN_PATH}`,
      clientId: account.clientId,
      clientSecret: account.clientSecret,
      port: server.port,
      domain: options.domain,
      dataDir: options.dataDir,
      options,
      store,
      tokenFor: (org) => auth.tokenFor(org),
      stop: () =>
        (stopped ??= (async () => {
          await server.close();
          await dataPlane.stop();
          await compiler.stop();
        })()),
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** A memory store whose scratch directory starts empty (what a previous run wrote out is gone). */
async function memoryStore(scratch: string): Promise<MemoryStore> {
  await fs.rm(scratch, { recursive: true, force: true });
  await fs.mkdir(scratch, { recursive: true });
  return new MemoryStore(scratch);
}
