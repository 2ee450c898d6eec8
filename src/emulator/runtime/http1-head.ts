/**
 * Just enough HTTP/1.1 for the public-URL relay (relay.ts): parse a message head (start line
 * and headers up to CRLFCRLF, bounded), decide how its body is framed, and find where a body
 * ends without copying it. Bodies are never parsed or buffered here: the relay forwards the
 * bytes as they are and only needs to know where one message stops and the next begins.
 *
 * Strict on purpose (CRLF line ends, no obs-fold, no Content-Length next to
 * Transfer-Encoding): anything ambiguous is a 400, as llhttp answers it, so the relay and the
 * pod can never disagree about message boundaries (request smuggling).
 */

const CRLFCRLF = Buffer.from("\r\n\r\n");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface Head {
  /** The three parts of the start line: [method, target, version] or [version, status, reason]. */
  start: [string, string, string];
  /** Header fields in order: [lowercased name, raw name, value]. */
  fields: Array<[string, string, string]>;
  /** Bytes of the head, CRLFCRLF included (plus any leading empty lines skipped). */
  size: number;
}

export type HeadResult =
  | { kind: "ok"; head: Head }
  | { kind: "incomplete" }
  | { kind: "too-large" }
  | { kind: "malformed"; reason: string };

/**
 * Parses the head at the start of `buf`. "incomplete" means wait for more bytes; "too-large"
 * means no CRLFCRLF within `maxBytes` (the caller answers 431).
 */
export function parseHead(buf: Buffer, maxBytes: number, kind: "request" | "response"): HeadResult {
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request line.
  let skip = 0;
  while (buf.length >= skip + 2 && buf[skip] === 0x0d && buf[skip + 1] === 0x0a) skip += 2;
  const end = buf.indexOf(CRLFCRLF, skip);
  if (end < 0) return buf.length - skip > maxBytes ? { kind: "too-large" } : { kind: "incomplete" };
  if (end + 4 - skip > maxBytes) return { kind: "too-large" };
  const lines = buf.toString("latin1", skip, end).split("\r\n");
  const first = lines[0] ?? "";
  let start: [string, string, string];
  if (kind === "request") {
    const parts = first.split(" ");
    if (parts.length !== 3 || !TOKEN.test(parts[0]!) || !parts[1] || !/^HTTP\/1\.[01]$/.test(parts[2]!)) {
      return { kind: "malformed", reason: "malformed request line" };
    }
    start = parts as [string, string, string];
  } else {
    const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(first);
    if (!m) return { kind: "malformed", reason: "malformed status line" };
    start = [m[1]!, m[2]!, m[3] ?? ""];
  }
  const fields: Head["fields"] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // No obs-fold, no whitespace before the colon, no bare CR/LF inside a field.
    if (!TOKEN.test(name) || /[\r\n]/.test(line)) return { kind: "malformed", reason: "malformed header field" };
    fields.push([name.toLowerCase(), name, line.slice(colon + 1).trim()]);
  }
  return { kind: "ok", head: { start, fields, size: end + 4 } };
}

/** The value of a header (repeated fields joined with ", "), or undefined. */
export function headerValue(head: Head, name: string): string | undefined {
  let out: string | undefined;
  for (const [lower, , value] of head.fields) {
    if (lower === name) out = out === undefined ? value : `${out}, ${value}`;
  }
  return out;
}

export type Framing =
  | { type: "none" }
  | { type: "length"; length: number }
  | { type: "chunked" }
  /** Response only: the body runs until the sender closes the connection. */
  | { type: "close" };

/** How a request body is framed (RFC 9112 §6.3); a string is the reason for a 400. */
export function requestFraming(head: Head): Framing | string {
  const te = headerValue(head, "transfer-encoding");
  const cl = headerValue(head, "content-length");
  if (te !== undefined) {
    if (cl !== undefined) return "both Content-Length and Transfer-Encoding";
    const codings = te.toLowerCase().split(",").map((s) => s.trim());
    return codings.at(-1) === "chunked" && codings.filter((c) => c === "chunked").length === 1
      ? { type: "chunked" }
      : "unsupported Transfer-Encoding";
  }
  if (cl === undefined) return { type: "none" };
  const length = parseLength(cl);
  if (length === undefined) return "invalid Content-Length";
  return length === 0 ? { type: "none" } : { type: "length", length };
}

/** How a response body is framed, given the request method and the status. */
export function responseFraming(head: Head, method: string): Framing | string {
  const status = Number(head.start[1]);
  if (method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200)) return { type: "none" };
  const te = headerValue(head, "transfer-encoding");
  if (te !== undefined) return te.toLowerCase().split(",").at(-1)?.trim() === "chunked" ? { type: "chunked" } : { type: "close" };
  const cl = headerValue(head, "content-length");
  if (cl === undefined) return { type: "close" };
  const length = parseLength(cl);
  if (length === undefined) return "invalid Content-Length";
  return length === 0 ? { type: "none" } : { type: "length", length };
}

/** Content-Length, allowing a repeated identical value ("5, 5") as RFC 9110 §8.6 does. */
function parseLength(value: string): number | undefined {
  const values = new Set(value.split(",").map((s) => s.trim()));
  if (values.size !== 1) return undefined;
  const [only] = values;
  if (!only || !/^\d{1,15}$/.test(only)) return undefined;
  return Number(only);
}

/**
 * Finds the end of one message body in a byte stream, chunk by chunk, without copying.
 * `consume` returns how many bytes of `data` belong to the body; `done` turns true at its end.
 * Throws on malformed chunked framing.
 */
export class BodyEnd {
  done: boolean;
  /** Payload bytes seen so far (chunk data only for chunked framing), for size caps. */
  payloadBytes = 0;
  private remaining: number;
  // Chunked decoding state.
  private state: "size" | "ext" | "size-lf" | "data" | "data-cr" | "data-lf" | "trailer" | "trailer-lf" | "trailer-line" = "size";
  private sizeDigits = 0;
  private chunkSize = 0;
  private lineBytes = 0;

  constructor(private readonly framing: Framing) {
    this.done = framing.type === "none";
    this.remaining = framing.type === "length" ? framing.length : 0;
  }

  get framingType(): Framing["type"] {
    return this.framing.type;
  }

  consume(data: Buffer): number {
    if (this.done) return 0;
    switch (this.framing.type) {
      case "none":
        return 0;
      case "close":
        this.payloadBytes += data.length;
        return data.length;
      case "length": {
        const n = Math.min(this.remaining, data.length);
        this.remaining -= n;
        this.payloadBytes += n;
        if (this.remaining === 0) this.done = true;
        return n;
      }
      case "chunked":
        return this.consumeChunked(data);
    }
  }

  private consumeChunked(data: Buffer): number {
    let i = 0;
    while (i < data.length && !this.done) {
      if (this.state === "data") {
        const n = Math.min(this.chunkSize, data.length - i);
        this.chunkSize -= n;
        this.payloadBytes += n;
        i += n;
        if (this.chunkSize === 0) this.state = "data-cr";
        continue;
      }
      const c = data[i++]!;
      switch (this.state) {
        case "size": {
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.sizeDigits > 12) throw new Error("chunk size too large");
            this.chunkSize = this.chunkSize * 16 + digit;
          } else if (this.sizeDigits > 0 && (c === 0x3b || c === 0x20 || c === 0x09)) {
            this.state = "ext";
          } else if (this.sizeDigits > 0 && c === 0x0d) {
            this.state = "size-lf";
          } else {
            throw new Error("malformed chunk size");
          }
          break;
        }
        case "ext":
          if (c === 0x0d) this.state = "size-lf";
          else if (c === 0x0a || ++this.lineBytes > 4096) throw new Error("malformed chunk extension");
          break;
        case "size-lf":
          if (c !== 0x0a) throw new Error("malformed chunk size line");
          this.lineBytes = 0;
          this.sizeDigits = 0;
          this.state = this.chunkSize === 0 ? "trailer" : "data";
          break;
        case "data-cr":
          if (c !== 0x0d) throw new Error("missing CRLF after chunk data");
          this.state = "data-lf";
          break;
        case "data-lf":
          if (c !== 0x0a) throw new Error("missing CRLF after chunk data");
          this.state = "size";
          break;
        case "trailer": // at the start of a trailer line: CRLF here ends the body
          if (c === 0x0d) this.state = "trailer-lf";
          else this.state = "trailer-line";
          break;
        case "trailer-lf":
          if (c !== 0x0a) throw new Error("malformed chunked trailer");
          this.done = true;
          break;
        case "trailer-line":
          if (++this.lineBytes > 65536) throw new Error("chunked trailer too large");
          if (c === 0x0a) {
            this.lineBytes = 0;
            this.state = "trailer";
          }
          break;
      }
    }
    return i;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
