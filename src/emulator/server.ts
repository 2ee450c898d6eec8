/**
 * The listening socket: ONE port for every protocol. Cleartext connections are sniffed: the
 * HTTP/2 connection preface ("PRI * HTTP/2.0") goes to an http2 server (gRPC, Connect,
 * gRPC-web, h2c gateway), anything else to an HTTP/1.1 server (the JSON gateway, Connect unary,
 * admin, OIDC, public-URL hosts). With TLS, ALPN does the same job (h2, or http/1.1 fallback).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { HttpRequest, HttpResponse } from "./http-types.js";

export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void;

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
  handler: RequestHandler;
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
    server = net.createServer((socket) => sniff(socket, h1, h2));
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

/** Reads just enough of the first bytes to tell an HTTP/2 preface from HTTP/1.x, then hands off. */
function sniff(socket: net.Socket, h1: http.Server, h2: http2.Http2Server): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, PREFACE.length);
    const isPrefix = buffered.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPrefix && n < PREFACE.length) return; // need more bytes to decide
    socket.off("data", onData);
    socket.off("error", onError);
    socket.pause();
    socket.unshift(buffered);
    (isPrefix ? h2 : h1).emit("connection", socket);
    // http2 drains the readable buffer itself; HTTP/1 needs the stream flowing again.
    if (!isPrefix) socket.resume();
  };
  const onError = (): void => {
    socket.destroy();
  };
  socket.on("data", onData);
  socket.on("error", onError);
}
