/**
 * The data plane of the local Ignite: invocation (Invoke, InvokeAsync, GetExecution,
 * WatchExecution, GetExecutionStats), the public-URL HTTP proxy and the gateway's
 * `POST /v1/ignite/app/{org}/{app}/invoke`. Owned by the data-plane engineer; this file is the
 * boundary the control plane routes to.
 *
 * What the control plane hands over (`DataPlaneDeps`):
 * - `store` — the storage interface (store.ts). For invocation:
 *     `store.getApp("<org>/<name>")` → AppMeta (active_version, env, ports, scaling, tier...),
 *     `store.getVersion(appId, n)` → Version (code_hash, runtime, files),
 *     `store.versionTreeDir(appId, n)` → absolute path of the version's unpacked tree
 *       (handler.py + requirements.txt for Python; Cargo.toml + src/lib.rs for Rust),
 *     `store.putExecution / getExecution / listExecutions(appId)` → Execution records (pbjson files),
 *     `store.dataPlaneDir` → a directory of your own (virtualenvs, caches).
 * - `options` — resolved emulator options (domain, publicScheme, publicPort, limits, log...).
 * - `authorize(token, org)` — checks a bearer token (without "Bearer ") may read/invoke apps of
 *   `org` (apps in the `public` org: any authenticated caller). Returns the Caller or throws
 *   UnauthenticatedError / PermissionDeniedError (errors.ts; `toConnectError` and
 *   `httpStatusForCode` map them for HTTP answers).
 * - `log(line)` — the emulator's log.
 *
 * The control plane counts every RPC (including these) for `/_ignite/calls`, wraps `service`
 * so thrown domain errors become ConnectErrors, calls `handleHttp` first for any request whose
 * Host is under `options.domain` and for the gateway's POST .../invoke, and calls
 * `appChanged` / `appDeleted` after config/active-version changes and deletes.
 */
import type * as http from "node:http";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ComputeService } from "../gen/dodil/ignite/v1/compute_pb.js";
import type { Caller } from "./auth-types.js";
import { UnimplementedError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { Store } from "./store.js";

export interface DataPlaneDeps {
  store: Store;
  options: ResolvedOptions;
  /** Throws UnauthenticatedError / PermissionDeniedError. */
  authorize(token: string | undefined, org: string): Caller;
  log(line: string): void;
}

export type DataPlaneMethods = "invoke" | "invokeAsync" | "getExecution" | "watchExecution" | "getExecutionStats";

export interface DataPlane {
  service: Pick<ServiceImpl<typeof ComputeService>, DataPlaneMethods>;
  /**
   * Plain HTTP/1.1 requests the control plane does not own: public-URL hosts
   * (Host: <label>.<domain>) and the gateway's POST .../invoke (chunked, with trailers).
   * Return false to let the control plane answer 404.
   */
  handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>;
  /** Called after any change to an app's config or active version. */
  appChanged(appId: string): void;
  /** Called after an app is deleted. */
  appDeleted(appId: string): void;
  stop(): Promise<void>;
}

/** Stub until the data plane lands: every RPC answers UNIMPLEMENTED, no HTTP is handled. */
export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  void deps;
  const unimplemented = (method: string): never => {
    throw new UnimplementedError(`${method} is not implemented by the local Ignite yet`);
  };
  return {
    service: {
      invoke: async function* () {
        unimplemented("Invoke");
      },
      invokeAsync: async () => unimplemented("InvokeAsync"),
      getExecution: async () => unimplemented("GetExecution"),
      watchExecution: async function* () {
        unimplemented("WatchExecution");
      },
      getExecutionStats: async () => unimplemented("GetExecutionStats"),
    },
    handleHttp: async () => false,
    appChanged: () => {},
    appDeleted: () => {},
    stop: async () => {},
  };
}
