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
    [Code.Unauthenticated, "invalid token", /ignite:token \/ DODIL_TOKEN.*service account/],
    [Code.PermissionDenied, "org mismatch", /organization does not own acme-corp\/greet/],
    [Code.NotFound, "app not found", /pulumi refresh/],
    [Code.AlreadyExists, "app exists", /already exists/],
    [Code.InvalidArgument, "bad name", /Fix the value/],
    [Code.Unavailable, "connect ECONNREFUSED", /endpoint rpc\.dev\.dodil\.io:443 is unreachable/],
    [Code.DeadlineExceeded, "", /30000ms/],
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
    expect(toIgniteError(new Error("socket hang up"), ctx).code).toBe(Code.Unknown);
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
