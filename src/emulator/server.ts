/**
 * The listening socket: ONE port for every protocol. Cleartext connections are sniffed: the
 * HTTP/2 connection preface ("PRI * HTTP/2.0") goes to an http2 server (gRPC, Connect,
 * gRPC-web, h2c gateway), anything else to an HTTP/1.1 server (the JSON gateway, Connect unary,
 * admin, OIDC, public-URL hosts). With TLS, ALPN does the same job (h2, or http/1.1 fallback).
 *
 * Cleartext HTTP/1.x connections are first offered to `claim` once their first request head is
 * complete: the data plane relays public-URL connections itself (a byte relay, much cheaper
 * than a second HTTP parse in the http server) and may hand one back at a request boundary.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { HttpRequest, HttpResponse } from "./http-types.js";

export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void;

/** Takes over a connection (true) or leaves it untouched (false); `handBack` returns it to the http server. */
export type SocketClaim = (socket: net.Socket, first: Buffer, handBack: (unread: Buffer) => void) => boolean;

export interface ListeningServer {
  port: number;
  /** Stops accepting, then closes every open connection. */
  close(): Promise<void>;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export async function listen(init: {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
  /**
   * A cleartext connection that has not sent its first head by then is dropped, as the http
   * server's own headersTimeout would: while sniffing, nothing else times the socket out.
   */
  firstHeadTimeoutMs: number;
  handler: RequestHandler;
  claim?: SocketClaim;
}): Promise<ListeningServer> {
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  if (init.tls) {
    server = http2.createSecureServer(
      { cert: fs.readFileSync(init.tls.cert), key: fs.readFileSync(init.tls.key), allowHTTP1: true },
      init.handler,
    );
  } else {
    const h1 = http.createServer(init.handler);
    const h2 = http2.createServer(init.handler);
    server = net.createServer((socket) => sniff(socket, h1, h2, init.firstHeadTimeoutMs, init.claim));
  }
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(init.port, init.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Past this many bytes without a complete head, the http server decides (it answers 431). */
const MAX_CLAIM_HEAD = 64 * 1024;

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** The first byte of a TLS record carrying a handshake (a ClientHello); no HTTP request starts with it. */
const TLS_HANDSHAKE = 0x16;

/**
 * Reads just enough of the first bytes to tell an HTTP/2 preface from HTTP/1.x, then hands
 * off; with a `claim`, HTTP/1.x waits for the complete first head so the claim can see it.
 */
function sniff(socket: net.Socket, h1: http.Server, h2: http2.Http2Server, firstHeadTimeoutMs: number, claim?: SocketClaim): void {
  let buffered: Buffer = Buffer.alloc(0);
  const toH1 = (bytes: Buffer): void => {
    socket.pause();
    socket.unshift(bytes);
    h1.emit("connection", socket);
    socket.resume(); // HTTP/1 needs the stream flowing again
  };
  const timer = setTimeout(() => socket.destroy(), firstHeadTimeoutMs);
  timer.unref();
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length > 0 ? Buffer.concat([buffered, chunk]) : chunk;
    if (buffered[0] === TLS_HANDSHAKE) {
      // A TLS ClientHello on the cleartext port: answer in plaintext, as an HTTP server would,
      // so the client fails at once ("wrong version number") instead of waiting out its deadline.
      clearTimeout(timer);
      socket.off("data", onData);
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const n = Math.min(buffered.length, PREFACE.length);
    const isPrefix = buffered.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPrefix && n < PREFACE.length) return; // need more bytes to decide
    const headDone = isPrefix || !claim || buffered.length > MAX_CLAIM_HEAD || buffered.includes(CRLFCRLF);
    if (!headDone) return;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("error", onError);
    if (isPrefix) {
      socket.pause();
      socket.unshift(buffered);
      h2.emit("connection", socket); // http2 drains the readable buffer itself
      return;
    }
    if (claim?.(socket, buffered, toH1)) return;
    toH1(buffered);
  };
  const onError = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  socket.once("close", () => clearTimeout(timer));
  socket.on("data", onData);
  socket.on("error", onError);
}
