// The public-URL byte relay (src/emulator/runtime/relay.ts) at the wire level: raw sockets
// send exactly the bytes a client may send (pipelining, chunked bodies, Expect, HEAD,
// Connection: close, a control-plane request on the same connection), which an http client
// would normalise away.
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostOf, rawExchange, startLocal, type Local } from "../support/local-ignite";

let local: Local;
let host: string;

beforeAll(async () => {
  local = await startLocal();
  const app = await local.deploy("echo", {
    "handler.py": "import time\ndef handler(payload, ctx):\n    if payload == b'slow':\n        time.sleep(0.3)\n    return payload\n",
  });
  host = hostOf(app.publicUrls[0]!);
});
afterAll(async () => local?.stop());

/** The kit's raw exchange on the local Ignite's port. */
const raw = (parts: string[], done: (text: string) => boolean) => rawExchange(local.emu.port, parts, done);

const post = (body: string, extra = "") =>
  `POST / HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${local.emu.token}\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
const count = (text: string, what: string) => text.split(what).length - 1;

describe("public-URL relay", () => {
  it("answers pipelined requests in order on one connection", async () => {
    const { text } = await raw([post("one") + post("slow") + post("three")], (t) => t.endsWith("three"));
    expect(count(text, "HTTP/1.1 200 OK")).toBe(3);
    expect(text.indexOf("one")).toBeLessThan(text.indexOf("slow"));
    expect(text.indexOf("slow")).toBeLessThan(text.lastIndexOf("three"));
  });

  it("forwards a chunked request body split across writes, and answers Expect: 100-continue", async () => {
    const head = `POST / HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${local.emu.token}\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n`;
    const { text } = await raw([head, "5\r\nhel", "lo\r\n6\r\n world\r\n0\r\n\r\n"], (t) => t.endsWith("hello world"));
    expect(text.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true);
    expect(text).toMatch(/content-length: 11\r\n/i);
  });

  it("answers HEAD without a body and keeps the connection usable", async () => {
    const headReq = `HEAD / HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${local.emu.token}\r\n\r\n`;
    const { text } = await raw([headReq + post("after")], (t) => t.endsWith("after"));
    expect(count(text, "HTTP/1.1 200 OK")).toBe(2);
    expect(text.split("\r\n\r\n")[1]!.startsWith("HTTP/1.1 200 OK")).toBe(true); // no body after the HEAD answer
  });

  it("honours Connection: close", async () => {
    const { text, closed } = await raw([post("bye", "Connection: close\r\n") + post("ignored")], () => false);
    expect(closed).toBe(true);
    expect(count(text, "HTTP/1.1 200 OK")).toBe(1);
    expect(text).toMatch(/connection: close\r\n/i);
  });

  it("answers 401 on a keep-alive connection, drops that body, then serves the next request", async () => {
    const unauth = `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\n\r\nnope`;
    const { text } = await raw([unauth + post("yes")], (t) => t.endsWith("yes"));
    expect(text.startsWith("HTTP/1.1 401 ")).toBe(true);
    expect(text).toContain("HTTP/1.1 200 OK");
    expect(text).not.toContain("nope");
  });

  it("hands the connection to the http server for a non-public host on the same connection", async () => {
    const admin = `GET /_ignite/calls HTTP/1.1\r\nHost: 127.0.0.1:${local.emu.port}\r\n\r\n`;
    const { text } = await raw([post("first") + admin], (t) => t.includes('"calls"') && t.trimEnd().endsWith("}"));
    expect(text).toContain("first");
    expect(text).toContain('"calls"');
  });

  it("leaves HTTP/1.0 to the http server path, which authorizes and proxies the same way", async () => {
    const v10 = (auth: string, body: string) =>
      `POST / HTTP/1.0\r\nHost: ${host}\r\n${auth}Content-Length: ${body.length}\r\n\r\n${body}`;
    const ok = await raw([v10(`Authorization: Bearer ${local.emu.token}\r\n`, "via-server")], () => false);
    expect(ok.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
    expect(ok.text.endsWith("via-server")).toBe(true);
    const denied = await raw([v10("", "nope")], () => false);
    expect(denied.text.startsWith("HTTP/1.1 401 ")).toBe(true);
    expect(denied.text).not.toContain("nope");
  });

  it("rejects a head above 64 KiB with 431", async () => {
    const big = `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`;
    const { text } = await raw([big], (t) => t.includes("\r\n\r\n"));
    expect(text.startsWith("HTTP/1.1 431 ")).toBe(true);
  });

  it("rejects a head above 64 KiB later on a served connection with 431 too (the relay's own limit, not the http server's)", async () => {
    const big = `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`;
    const { text } = await raw([post("first"), big], (t) => / 431 /.test(t) && t.endsWith("}"));
    expect(text.startsWith("HTTP/1.1 200 OK")).toBe(true);
    expect(text).toMatch(/\r\n\r\nfirstHTTP\/1\.1 431 /);
  });

  it("a client that goes away mid-request leaves the app serving", async () => {
    const socket = net.connect(local.emu.port, "127.0.0.1", () => socket.write(post("slow")));
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    const { text } = await raw([post("again")], (t) => t.endsWith("again"));
    expect(text.startsWith("HTTP/1.1 200 OK")).toBe(true);
  });
});
