/**
 * Starts a local Ignite for a test on port 0 with a temp data dir, and hands out clients:
 * a gRPC transport carrying the bearer token, and `fetchJson` for the HTTP gateway.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  json: unknown;
  text: string;
}

export interface TestEmulator {
  emulator: Emulator;
  dataDir: string;
  /** gRPC (HTTP/2) transport sending `Authorization: Bearer <token>` (default: the dev token). */
  transport: Transport;
  transportFor(token: string | undefined): Transport;
  /** A JSON call to the gateway; `token` null sends no Authorization header. */
  fetchJson(method: string, urlPath: string, body?: unknown, token?: string | null): Promise<JsonResponse>;
  /** Stops the emulator and starts a new one on the same data dir (and port when free). */
  restart(): Promise<void>;
  /** Stops the emulator and removes the data dir. */
  cleanup(): Promise<void>;
}

export function bearer(token: string | undefined): Interceptor {
  return (next) => (req) => {
    if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

export async function startTestEmulator(opts: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "ignite-test-")));
  const options: EmulatorOptions = { port: 0, ...opts, dataDir };
  const t: TestEmulator = {
    emulator: await startEmulator(options),
    dataDir,
    transport: undefined as unknown as Transport,
    transportFor: (token) => createGrpcTransport({ baseUrl: t.emulator.grpcEndpoint, interceptors: [bearer(token)] }),
    async fetchJson(method, urlPath, body, token) {
      const headers: Record<string, string> = {};
      const tok = token === undefined ? t.emulator.token : token;
      if (tok !== null) headers.authorization = `Bearer ${tok}`;
      let payload: string | undefined;
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        payload = typeof body === "string" ? body : JSON.stringify(body);
      }
      const res = await fetch(`${t.emulator.httpUrl}${urlPath}`, { method, headers, body: payload });
      const text = await res.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, json, text };
    },
    async restart() {
      const port = t.emulator.port;
      await t.emulator.stop();
      t.emulator = await startEmulator({ ...options, port }).catch(() => startEmulator({ ...options, port: 0 }));
      t.transport = t.transportFor(t.emulator.token);
    },
    async cleanup() {
      await t.emulator.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  t.transport = t.transportFor(t.emulator.token);
  return t;
}
