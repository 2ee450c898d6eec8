// The endpoint/TLS decision table: TLS by default, plaintext only for loopback or insecure.
import { describe, expect, it } from "vitest";
import { isLoopbackHost, resolveEndpoint } from "../../src/client/endpoint.js";
import { createIgniteClient, type IgniteProtocol } from "../../src/client/index.js";

describe("resolveEndpoint decides the URL and TLS", () => {
  const table: Array<[string, boolean, string, boolean]> = [
    // endpoint, insecure, baseUrl, tls
    ["rpc.dev.dodil.io:443", false, "https://rpc.dev.dodil.io:443", true],
    ["rpc.dodil.io", false, "https://rpc.dodil.io:443", true],
    ["example.com:8443", false, "https://example.com:8443", true],
    ["example.com:8080", true, "http://example.com:8080", false],
    ["127.0.0.1:7700", false, "http://127.0.0.1:7700", false],
    ["127.3.2.1:7700", false, "http://127.3.2.1:7700", false],
    ["localhost:443", false, "http://localhost:443", false],
    ["ignite.localhost:7700", false, "http://ignite.localhost:7700", false],
    ["[::1]:7700", false, "http://[::1]:7700", false],
    ["http://127.0.0.1:7700", false, "http://127.0.0.1:7700", false],
    ["http://[::1]:7700/", false, "http://[::1]:7700", false],
    ["http://localhost", false, "http://localhost:80", false],
    ["https://127.0.0.1:7700", false, "https://127.0.0.1:7700", true],
    ["https://rpc.dev.dodil.io", false, "https://rpc.dev.dodil.io:443", true],
    ["https://rpc.dev.dodil.io", true, "https://rpc.dev.dodil.io:443", true],
    ["http://10.0.0.5:7700", true, "http://10.0.0.5:7700", false],
    ["https://gw.example.com/ignite/", false, "https://gw.example.com:443/ignite", true],
  ];
  it.each(table)("%s (insecure=%s) → %s", (endpoint, insecure, baseUrl, tls) => {
    const r = resolveEndpoint(endpoint, insecure);
    expect(r.baseUrl).toBe(baseUrl);
    expect(r.tls).toBe(tls);
  });

  it("refuses plaintext http:// to a non-loopback host and names the insecure option", () => {
    expect(() => resolveEndpoint("http://rpc.dev.dodil.io:80")).toThrow(/insecure/);
    expect(() => resolveEndpoint("http://10.0.0.5:7700")).toThrow(/ignite:insecure/);
    // 128.0.0.1 is not loopback, "localhost.example.com" is not *.localhost.
    expect(() => resolveEndpoint("http://128.0.0.1:7700")).toThrow(/insecure/);
    expect(() => resolveEndpoint("http://localhost.example.com")).toThrow(/insecure/);
  });

  it("rejects empty endpoints, other schemes and credentials in the URL", () => {
    expect(() => resolveEndpoint("")).toThrow(/empty/);
    expect(() => resolveEndpoint("grpc://x:1")).toThrow(/scheme/);
    expect(() => resolveEndpoint("https://user:pw@x:1")).toThrow(/credentials/);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["LOCALHOST", true],
    ["a.b.localhost", true],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["10.0.0.1", false],
    ["localhost.evil.com", false],
    ["0.0.0.0", false],
  ])("%s → %s", (host, expected) => expect(isLoopbackHost(host)).toBe(expected));
});

describe("createIgniteClient checks its protocol as ignite:protocol is checked", () => {
  it("refuses anything but grpc and http, naming the option", () => {
    expect(() => createIgniteClient({ endpoint: "http://127.0.0.1:7700", protocol: "rest" as IgniteProtocol, token: "t" })).toThrow(
      /ignite: protocol must be "grpc" or "http"; got "rest" from the client option `protocol`/,
    );
  });
});

describe("createIgniteClient applies the TLS rule whatever the protocol", () => {
  it.each(["grpc", "http"] as const)("%s: refuses http:// to a non-loopback host unless insecure", (protocol) => {
    expect(() => createIgniteClient({ endpoint: "http://10.0.0.5:7700", protocol, token: "t" })).toThrow(/ignite:insecure/);
    createIgniteClient({ endpoint: "http://10.0.0.5:7700", protocol, token: "t", insecure: true }).close();
    createIgniteClient({ endpoint: "http://127.0.0.1:7700", protocol, token: "t" }).close();
  });
});
