// Error mapping: each code becomes a message naming the call, the app, the server's words
// and what to do; secrets never survive into a message.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { codeName, IgniteError, redact, toIgniteError } from "../../src/client/errors.js";

const ctx = { method: "SaveDraft", appId: "acme-corp/greet", endpoint: "rpc.dev.dodil.io:443", timeoutMs: 30000 };

describe("toIgniteError", () => {
  it("formats the documented message for an uncompiled publish", () => {
    const e = toIgniteError(new ConnectError("the draft is not compiled", Code.FailedPrecondition), { ...ctx, method: "PublishDraft" });
    expect(e).toBeInstanceOf(IgniteError);
    expect(e.message).toBe(
      "ignite: PublishDraft acme-corp/greet failed: the draft is not compiled (FAILED_PRECONDITION). Run CompileDraft and wait for it to succeed before publishing.",
    );
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.method).toBe("PublishDraft");
    expect(e.appId).toBe("acme-corp/greet");
    expect(e.reason).toBe("the draft is not compiled");
  });

  const table: Array<[Code, string, RegExp]> = [
    [Code.Unauthenticated, "invalid token", /`ignite:token` \/ DODIL_TOKEN.*service account/],
    [Code.PermissionDenied, "org mismatch", /organization does not own acme-corp\/greet/],
    [Code.NotFound, "app not found", /pulumi refresh/],
    [Code.AlreadyExists, "app exists", /already exists/],
    [Code.InvalidArgument, "bad name", /Fix the value/],
    [Code.Unavailable, "connect ECONNREFUSED", /rpc\.dev\.dodil\.io:443 is unreachable/],
    [Code.DeadlineExceeded, "", /within 30 s .*`ignite:timeoutSecs` \/ DODIL_IGNITE_TIMEOUT_SECS/],
    [Code.ResourceExhausted, "quota", /quota/],
    [Code.Unimplemented, "", /ComputeService/],
    [Code.Internal, "boom", /report it/],
  ];
  it.each(table)("code %s keeps the server message and adds a hint", (code, serverMessage, hint) => {
    const e = toIgniteError(new ConnectError(serverMessage, code), ctx);
    expect(e.message).toMatch(/^ignite: SaveDraft acme-corp\/greet failed: /);
    if (serverMessage) expect(e.message).toContain(serverMessage);
    expect(e.message).toContain(`(${codeName(code)})`);
    expect(e.message).toMatch(hint);
  });

  it("passes an IgniteError through, also when Connect wrapped it", () => {
    const inner = new IgniteError({ code: Code.Unauthenticated, method: "token exchange", reason: "x", hint: "" });
    expect(toIgniteError(inner, ctx)).toBe(inner);
    expect(toIgniteError(new ConnectError("wrapped", Code.Unknown, undefined, undefined, inner), ctx)).toBe(inner);
  });

  it("maps non-Connect errors to UNKNOWN", () => {
    expect(toIgniteError(new Error("boom"), ctx).code).toBe(Code.Unknown);
  });

  it("scrubs secrets and bearer credentials from the message and drops a leaking cause", () => {
    const secret = "s3cr3t-value-123";
    const e = toIgniteError(new ConnectError(`bad credentials ${secret}; Authorization: Bearer abc.def.ghi`, Code.Unauthenticated), {
      ...ctx,
      secrets: [secret],
    });
    expect(e.message).not.toContain(secret);
    expect(e.message).not.toContain("abc.def.ghi");
    expect(e.message).toContain("***");
    expect(e.cause).toBeUndefined();
  });
});

describe("toIgniteError on a certificate the client does not trust", () => {
  it("says the certificate is not trusted and how to trust a private CA, instead of blaming the platform", () => {
    const node = Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" });
    const e = toIgniteError(new ConnectError("certificate has expired", Code.Internal, undefined, undefined, node), ctx);
    expect(e.message).toContain("the TLS certificate of rpc.dev.dodil.io:443 is not trusted (CERT_HAS_EXPIRED: certificate has expired)");
    expect(e.hint).toContain("NODE_EXTRA_CA_CERTS");
    expect(e.message).not.toContain("The platform failed");
  });
});

describe("codeName / redact", () => {
  it("spells codes as gRPC does", () => {
    expect(codeName(Code.FailedPrecondition)).toBe("FAILED_PRECONDITION");
    expect(codeName(Code.Unavailable)).toBe("UNAVAILABLE");
    expect(codeName(Code.DeadlineExceeded)).toBe("DEADLINE_EXCEEDED");
  });
  it("leaves very short 'secrets' alone so words survive", () => {
    expect(redact("a b c", ["a"])).toBe("a b c");
  });
});

// Issue 9: the probe's misleading messages. Each failure below the RPC layer says what
// happened on the way and what to change, never "the platform failed" or "run again".
describe("toIgniteError below the RPC layer", () => {
  const node = (message: string, props: Record<string, string>) => Object.assign(new Error(message), props);
  const wrapped = (code: Code, message: string, cause: Error) => new ConnectError(message, code, undefined, undefined, cause);
  const cases: Array<[string, unknown, Code, RegExp, RegExp]> = [
    [
      "a connection reset (connect calls it ABORTED) is a closed connection, not a concurrent change",
      wrapped(Code.Aborted, "read ECONNRESET", node("read ECONNRESET", { code: "ECONNRESET", syscall: "read" })),
      Code.Unavailable,
      /the connection to rpc\.dev\.dodil\.io:443 was closed before it answered \(read ECONNRESET\)/,
      /may or may not have taken effect/,
    ],
    [
      "a stream cancelled by the peer is a closed connection",
      new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled),
      Code.Unavailable,
      /closed before it answered/,
      /require TLS/,
    ],
    [
      "an HTTP/1 server answering gRPC is not HTTP/2",
      wrapped(Code.Internal, "Protocol error", node("Protocol error", { code: "ERR_HTTP2_ERROR" })),
      Code.Internal,
      /does not speak HTTP\/2, which gRPC needs/,
      /`ignite:protocol` to http/,
    ],
    [
      "a web server's HTML is not an Ignite ComputeService",
      new ConnectError("unsupported content type text/html", Code.Unknown),
      Code.Unknown,
      /answered, but not as an Ignite ComputeService \(unsupported content type text\/html\)/,
      /points at Ignite/,
    ],
    [
      "an h2-only server under the HTTP gateway protocol is not HTTP/1.1",
      wrapped(Code.Internal, "Parse Error: Expected HTTP/", node("Parse Error: Expected HTTP/", { code: "HPE_INVALID_CONSTANT" })),
      Code.Internal,
      /did not answer HTTP\/1\.1/,
      /`ignite:protocol` to grpc/,
    ],
    [
      "TLS to a plaintext port",
      wrapped(Code.Unavailable, "wrong version number", node("ssl3_get_record:wrong version number", { code: "EPROTO" })),
      Code.Unavailable,
      /TLS was used, but rpc\.dev\.dodil\.io:443 answered in plaintext/,
      /http:\/\/host:port/,
    ],
    [
      "a refused connection",
      wrapped(Code.Unavailable, "connect ECONNREFUSED 127.0.0.1:1", node("connect ECONNREFUSED 127.0.0.1:1", { code: "ECONNREFUSED", syscall: "connect" })),
      Code.Unavailable,
      /refused the connection/,
      /host and port/,
    ],
    [
      "an unknown host",
      wrapped(Code.Unavailable, "getaddrinfo ENOTFOUND x.invalid", node("getaddrinfo ENOTFOUND x.invalid", { code: "ENOTFOUND" })),
      Code.Unavailable,
      /cannot be resolved/,
      /host name/,
    ],
    [
      "a stream reset with ENHANCE_YOUR_CALM under a large upload is RESOURCE_EXHAUSTED naming the limit",
      new ConnectError("Stream closed with error code NGHTTP2_ENHANCE_YOUR_CALM", Code.Internal),
      Code.ResourceExhausted,
      /over the platform's limit of 32 MiB per request/,
      /refuses the same request every time/,
    ],
    [
      "the server's readMaxBytes refusal names the size and the limit",
      new ConnectError("message size 34603047 is larger than configured readMaxBytes 33554432", Code.ResourceExhausted),
      Code.ResourceExhausted,
      /the request is 33 MiB, over the platform's limit of 32 MiB per request/,
      /make it smaller/,
    ],
  ];
  it.each(cases)("%s", (_name, err, code, reason, hint) => {
    const e = toIgniteError(err, ctx);
    expect(e.code).toBe(code);
    expect(e.reason).toMatch(reason);
    expect(e.hint).toMatch(hint);
    expect(e.message).not.toMatch(/platform failed|concurrent change|run again/i);
  });

  it("another TLS failure (EPROTO, a handshake alert) is not called plaintext", () => {
    const alert = Object.assign(new Error("ssl3_read_bytes:sslv3 alert handshake failure"), { code: "EPROTO" });
    const e = toIgniteError(new ConnectError("sslv3 alert handshake failure", Code.Unavailable, undefined, undefined, alert), ctx);
    expect(e.transport).toBeUndefined();
    expect(e.reason).toContain("handshake failure");
  });

  it("a call the caller cancelled stays CANCELED", () => {
    const e = toIgniteError(new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled), { ...ctx, aborted: true });
    expect(e.code).toBe(Code.Canceled);
  });

  it("a server's own ABORTED (a conflicting change) says to wait for the other change", () => {
    const e = toIgniteError(new ConnectError("another publish is in progress", Code.Aborted), ctx);
    expect(e.code).toBe(Code.Aborted);
    expect(e.hint).toMatch(/Another change to acme-corp\/greet was in progress/);
  });

  it("a quota (RESOURCE_EXHAUSTED without a size) says to wait, a size limit never does", () => {
    expect(toIgniteError(new ConnectError("code: archive has more than 10000 entries (limit 10000)", Code.ResourceExhausted), ctx).hint).toMatch(/A size limit/);
    expect(toIgniteError(new ConnectError("request body of 43341206 bytes exceeds the limit of 32 MiB", Code.ResourceExhausted), ctx).hint).toMatch(/A size limit/);
    expect(toIgniteError(new ConnectError("rate limit of 10 calls per second", Code.ResourceExhausted), ctx).hint).toMatch(/quota was hit: wait/);
  });
});

describe("redact keeps the word token", () => {
  it("'invalid bearer token' is not a credential; 'Bearer eyJ…' is", () => {
    expect(redact("invalid bearer token")).toBe("invalid bearer token");
    expect(redact("Authorization: Bearer eyJhbGciOi.x.y")).toBe("Authorization: Bearer ***");
    expect(redact("Bearer ign_acme-corp_Zm9vYmFy")).toBe("Bearer ***");
  });
});
