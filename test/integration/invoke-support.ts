// Shared set-up of the invoke-* integration tests: a local Ignite on port 0 over a temp data
// dir, a gRPC client with the dev token, and `deploy()` = CreateApp → SaveDraft → PublishDraft.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { tarGz } from "../support/archive";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index";
import { ComputeService, CreateAppRequestSchema, type AppMeta } from "../../src/gen/dodil/ignite/v1/compute_pb";
import type { RuntimeOptions } from "../../src/emulator/runtime/options";

export interface Local {
  emu: Emulator;
  client: Client<typeof ComputeService>;
  clientFor(token: string): Client<typeof ComputeService>;
  deploy(name: string, files: Record<string, string>, init?: Partial<MessageInitShape<typeof CreateAppRequestSchema>>, token?: string): Promise<AppMeta>;
  /** The app's log file (pod stdout/stderr). */
  logFile(appId: string): string;
  stop(): Promise<void>;
}

export async function startLocal(runtime: RuntimeOptions = {}, options: Partial<EmulatorOptions> = {}): Promise<Local> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-invoke-"));
  const emu = await startEmulator({ port: 0, dataDir, ...options, runtime });
  const clientFor = (token: string) => {
    const bearer: Interceptor = (next) => (req) => {
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    };
    return createClient(ComputeService, createGrpcTransport({ baseUrl: emu.grpcEndpoint, httpVersion: "2", interceptors: [bearer] }));
  };
  const client = clientFor(emu.token);
  return {
    emu,
    client,
    clientFor,
    async deploy(name, files, init = {}, token = emu.token) {
      const c = clientFor(token);
      const org = init.organizationName ?? emu.org;
      await c.createApp(create(CreateAppRequestSchema, { runtime: 1, ...init, organizationName: org, name }));
      const single = Object.keys(files).length === 1 && files["handler.py"] !== undefined;
      const input = single
        ? ({ case: "sourceCode", value: Buffer.from(files["handler.py"]!) } as const)
        : ({ case: "archive", value: await tarGz(files) } as const);
      await c.saveDraft({
        organizationName: org,
        appName: name,
        code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input } } },
      });
      const published = await c.publishDraft({ organizationName: org, appName: name });
      return published.app!;
    },
    logFile: (appId) => path.join(emu.dataDir, "data-plane", "logs", ...appId.split("/")) + ".log",
    async stop() {
      await emu.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

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

