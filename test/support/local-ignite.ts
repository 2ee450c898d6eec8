// The one test kit for the local Ignite: start it (on port 0, over a temp data dir), call it
// (a gRPC client, the HTTP gateway as JSON, raw HTTP/1.1 on a socket), build SaveDraft code,
// deploy an app, and wait for a state. Every integration test starts the local Ignite here.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index";
import { ComputeService, CreateAppRequestSchema, RustTarget, type AppMeta } from "../../src/gen/dodil/ignite/v1/compute_pb";
import type { RuntimeOptions } from "../../src/emulator/runtime/options";
import { tarGz } from "./archive";

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  json: unknown;
  text: string;
}

export interface Local {
  emu: Emulator;
  dataDir: string;
  /** gRPC (HTTP/2) client with the dev token. */
  client: Client<typeof ComputeService>;
  clientFor(token: string): Client<typeof ComputeService>;
  /** gRPC transport sending `Authorization: Bearer <token>` (default: the dev token). */
  transport: Transport;
  transportFor(token: string | undefined): Transport;
  /** A JSON call to the gateway; `token` null sends no Authorization header. */
  fetchJson(method: string, urlPath: string, body?: unknown, token?: string | null): Promise<JsonResponse>;
  /** CreateApp → SaveDraft (a Python handler.py alone, or an archive of `files`) → PublishDraft. */
  deploy(name: string, files: Record<string, string>, init?: Partial<MessageInitShape<typeof CreateAppRequestSchema>>, token?: string): Promise<AppMeta>;
  /** The app's log file (pod stdout/stderr). */
  logFile(appId: string): string;
  /** Stops the local Ignite and starts a new one on the same data dir (and port when free). */
  restart(): Promise<void>;
  /** Stops the local Ignite and removes its data dir (unless the caller gave it). */
  stop(): Promise<void>;
}

export function bearer(token: string | undefined): Interceptor {
  return (next) => (req) => {
    if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/**
 * A local Ignite on port 0 (unless `options.port`) over a temp data dir (unless
 * `options.dataDir`); `runtime` knobs are merged over `options.runtime`.
 */
export async function startLocal(runtime: RuntimeOptions = {}, options: Partial<EmulatorOptions> = {}): Promise<Local> {
  // A data dir given by the caller is theirs to remove (a restart test reuses it).
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "ignite-test-"));
  const emulatorOptions: EmulatorOptions = { port: 0, ...options, dataDir, runtime: { ...options.runtime, ...runtime } };
  const transportFor = (token: string | undefined) =>
    createGrpcTransport({ baseUrl: local.emu.grpcEndpoint, interceptors: [bearer(token)] });
  const clientFor = (token: string) => createClient(ComputeService, transportFor(token));
  const local: Local = {
    emu: await startEmulator(emulatorOptions),
    dataDir,
    client: undefined as unknown as Client<typeof ComputeService>,
    transport: undefined as unknown as Transport,
    clientFor,
    transportFor,
    async fetchJson(method, urlPath, body, token) {
      const headers: Record<string, string> = {};
      const tok = token === undefined ? local.emu.token : token;
      if (tok !== null) headers.authorization = `Bearer ${tok}`;
      let payload: string | undefined;
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        payload = typeof body === "string" ? body : JSON.stringify(body);
      }
      const res = await fetch(`${local.emu.httpUrl}${urlPath}`, { method, headers, body: payload });
      const text = await res.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, json, text };
    },
    async deploy(name, files, init = {}, token = local.emu.token) {
      const c = clientFor(token);
      const org = init.organizationName ?? local.emu.org;
      await c.createApp(create(CreateAppRequestSchema, { runtime: 1, ...init, organizationName: org, name } as MessageInitShape<typeof CreateAppRequestSchema>));
      const single = Object.keys(files).length === 1 && files["handler.py"] !== undefined;
      await c.saveDraft({ organizationName: org, appName: name, code: single ? pythonSource(files["handler.py"]!) : await pythonArchive(files) });
      return (await c.publishDraft({ organizationName: org, appName: name })).app!;
    },
    logFile: (appId) => path.join(dataDir, "data-plane", "logs", ...appId.split("/")) + ".log",
    async restart() {
      const port = local.emu.port;
      await local.emu.stop();
      local.emu = await startEmulator({ ...emulatorOptions, port }).catch(() => startEmulator({ ...emulatorOptions, port: 0 }));
      refreshClients();
    },
    async stop() {
      await local.emu.stop();
      if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const refreshClients = () => {
    local.transport = transportFor(local.emu.token);
    local.client = createClient(ComputeService, local.transport);
  };
  refreshClients();
  return local;
}

// ---- SaveDraft code ------------------------------------------------------------------------

/** A single Python file (saved as handler.py). */
export function pythonSource(text: string | Uint8Array) {
  const value = typeof text === "string" ? Buffer.from(text) : text;
  return { source: { case: "compile" as const, value: { runtime: { runtime: { case: "python" as const, value: {} } }, input: { case: "sourceCode" as const, value } } } };
}

/** A directory of Python files as a tar.gz archive. */
export async function pythonArchive(files: Record<string, string | Uint8Array> | Uint8Array) {
  const value = files instanceof Uint8Array ? files : await tarGz(files);
  return { source: { case: "compile" as const, value: { runtime: { runtime: { case: "python" as const, value: {} } }, input: { case: "archive" as const, value } } } };
}

/** A Rust crate as a tar.gz archive, for a target (and toolchain). */
export async function rustArchive(files: Record<string, string | Uint8Array> | Uint8Array, target: RustTarget = RustTarget.NATIVE, toolchain = "") {
  const value = files instanceof Uint8Array ? files : await tarGz(files);
  return { source: { case: "compile" as const, value: { runtime: { runtime: { case: "rust" as const, value: { target, toolchain } } }, input: { case: "archive" as const, value } } } };
}

// ---- waiting, processes, HTTP -----------------------------------------------------------

/** The files of an example app (examples/<name>/app), as the tests deploy them. */
export function exampleFiles(name: string, ...files: string[]): Record<string, string> {
  const dir = path.join(__dirname, "..", "..", "examples", name, "app");
  return Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/** Polls until `check` returns a value (not a timed assertion: it only waits for a state). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface HttpAnswer {
  status: number;
  headers: import("node:http").IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
}

/** One HTTP/1.1 request to the local Ignite's port with an explicit Host header. */
export function httpCall(
  port: number,
  opts: { host?: string; method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<HttpAnswer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require("node:http") as typeof import("node:http");
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "POST",
        path: opts.path ?? "/",
        headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** The Host of an app's public URL (with the port, as curl would send it). */
export function hostOf(url: string): string {
  return new URL(url).host;
}

// ---- raw HTTP/1.1 on one socket (connection handoff, pipelining) -----------------------

export interface Answer {
  status: number;
  head: string;
  body: string;
}

/** Every Conn opened, so a test's afterEach can close what it left. */
export const openConns: Conn[] = [];

/** One client connection, reading one response at a time (Content-Length framed, as pods answer). */
export class Conn {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly socket: net.Socket;

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    openConns.push(this);
    this.socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on("error", () => undefined);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next response, or undefined when the connection closes first. */
  async read(): Promise<Answer | undefined> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString("latin1");
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.buf.length >= end + 4 + length) {
          const body = this.buf.subarray(end + 4, end + 4 + length).toString("utf8");
          this.buf = this.buf.subarray(end + 4 + length);
          return { status: Number(head.split(" ")[1]), head, body };
        }
      }
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error(`no response; have ${JSON.stringify(this.buf.toString("latin1"))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  close(): void {
    this.socket.end();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export function request(host: string, body: string, opts: { auth?: string | null; method?: string; extra?: string } = {}): string {
  const auth = opts.auth === null ? "" : `Authorization: Bearer ${opts.auth}\r\n`;
  return `${opts.method ?? "POST"} / HTTP/1.1\r\nHost: ${host}\r\n${auth}${opts.extra ?? ""}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}


/**
 * Writes `parts` on a fresh connection (each after the previous one was written, 20 ms apart)
 * and collects what comes back until `done(text)` or the server closes.
 */
export function rawExchange(port: number, parts: string[], done: (text: string) => boolean = () => false): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer; got: ${JSON.stringify(text)}`));
    }, 10_000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    socket.on("data", (d) => {
      text += d.toString("latin1");
      if (done(text)) finish(false);
    });
    socket.on("close", () => finish(true));
    socket.on("error", (e) => (text ? finish(true) : reject(e)));
    socket.on("connect", async () => {
      for (const part of parts) {
        await new Promise((r) => socket.write(part, r));
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}
