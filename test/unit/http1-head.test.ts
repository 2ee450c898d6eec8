// The relay's HTTP/1.1 framing (src/emulator/runtime/http1-head.ts): head parsing, body
// framing decisions and finding the end of a body split at arbitrary byte boundaries.
import { describe, expect, it } from "vitest";
import { BodyEnd, headerValue, parseHead, requestFraming, responseFraming, type Head } from "../../src/emulator/runtime/http1-head";

const b = (s: string) => Buffer.from(s, "latin1");
const head = (s: string, kind: "request" | "response" = "request"): Head => {
  const r = parseHead(b(s), 65536, kind);
  if (r.kind !== "ok") throw new Error(`not ok: ${JSON.stringify(r)}`);
  return r.head;
};

describe("parseHead", () => {
  it("parses a request line and headers, keeping raw names and reporting the head size", () => {
    const text = "POST /a?b=1 HTTP/1.1\r\nHost: x.localhost\r\nX-A: 1\r\nx-a: 2\r\n\r\nBODY";
    const h = head(text);
    expect(h.start).toEqual(["POST", "/a?b=1", "HTTP/1.1"]);
    expect(h.fields[0]).toEqual(["host", "Host", "x.localhost"]);
    expect(headerValue(h, "x-a")).toBe("1, 2");
    expect(h.size).toBe(text.length - 4);
  });

  it("waits for more bytes, then bounds the head size", () => {
    expect(parseHead(b("GET / HTTP/1.1\r\nHost: a\r\n"), 100, "request").kind).toBe("incomplete");
    expect(parseHead(b("GET / HTTP/1.1\r\nX: " + "a".repeat(200)), 100, "request").kind).toBe("too-large");
    expect(parseHead(b("GET / HTTP/1.1\r\nX: " + "a".repeat(200) + "\r\n\r\n"), 100, "request").kind).toBe("too-large");
  });

  it("skips leading empty lines and rejects ambiguous heads", () => {
    expect(head("\r\nGET / HTTP/1.1\r\n\r\n").start[0]).toBe("GET");
    for (const bad of ["GET /  HTTP/1.1\r\n\r\n", "GET / HTTP/2\r\n\r\n", "GET / HTTP/1.1\r\nX : 1\r\n\r\n", "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"]) {
      expect(parseHead(b(bad), 65536, "request").kind).toBe("malformed");
    }
  });

  it("parses status lines with and without a reason", () => {
    expect(head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "response").start).toEqual(["HTTP/1.1", "200", "OK"]);
    expect(head("HTTP/1.1 204\r\n\r\n", "response").start).toEqual(["HTTP/1.1", "204", ""]);
  });
});

describe("framing", () => {
  it("requests: none, length, chunked; smuggling-prone combinations are refused", () => {
    expect(requestFraming(head("GET / HTTP/1.1\r\n\r\n"))).toEqual({ type: "none" });
    expect(requestFraming(head("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"))).toEqual({ type: "length", length: 5 });
    expect(requestFraming(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))).toEqual({ type: "chunked" });
    expect(requestFraming(head("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"))).toBeTypeOf("string");
    expect(requestFraming(head("POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n"))).toBeTypeOf("string");
    expect(requestFraming(head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"))).toBeTypeOf("string");
  });

  it("responses: HEAD, 204 and 304 have no body; no length means close-delimited", () => {
    const ok = head("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", "response");
    expect(responseFraming(ok, "GET")).toEqual({ type: "length", length: 9 });
    expect(responseFraming(ok, "HEAD")).toEqual({ type: "none" });
    expect(responseFraming(head("HTTP/1.1 204 No Content\r\n\r\n", "response"), "GET")).toEqual({ type: "none" });
    expect(responseFraming(head("HTTP/1.1 200 OK\r\n\r\n", "response"), "GET")).toEqual({ type: "close" });
    expect(responseFraming(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "response"), "GET")).toEqual({ type: "chunked" });
  });
});

describe("BodyEnd", () => {
  /** Feeds `stream` in pieces of `step` bytes and returns where the body ended. */
  const endOf = (framing: ConstructorParameters<typeof BodyEnd>[0], stream: string, step: number) => {
    const body = new BodyEnd(framing);
    const bytes = b(stream);
    let at = 0;
    for (let i = 0; i < bytes.length && !body.done; i += step) {
      at += body.consume(bytes.subarray(i, Math.min(bytes.length, i + step)));
    }
    return { at: body.done ? at : -1, payload: body.payloadBytes };
  };

  it("finds the end of a length-delimited body and leaves the next request's bytes", () => {
    for (const step of [1, 3, 100]) expect(endOf({ type: "length", length: 5 }, "hello" + "GET / HTTP/1.1\r\n\r\n", step)).toEqual({ at: 5, payload: 5 });
  });

  it("finds the end of a chunked body (extensions, trailers) at any split", () => {
    const chunked = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (let step = 1; step <= chunked.length + 5; step++) {
      expect(endOf({ type: "chunked" }, chunked + "NEXT", step)).toEqual({ at: chunked.length, payload: 15 });
    }
    expect(endOf({ type: "chunked" }, "0\r\n\r\nNEXT", 2)).toEqual({ at: 5, payload: 0 });
  });

  it("rejects malformed chunked framing", () => {
    expect(() => new BodyEnd({ type: "chunked" }).consume(b("zz\r\n"))).toThrow();
    expect(() => new BodyEnd({ type: "chunked" }).consume(b("2\r\nabXY"))).toThrow();
  });
});
