// TLS end to end: the local Ignite serving TLS (--tls-cert/--tls-key) and the client reaching
// it over gRPC (HTTP/2, ALPN h2) and the HTTP/JSON gateway (HTTP/1.1), with certificate
// verification on. The client runs in its own Node process so the test CA can be trusted the
// way a user trusts a private CA, NODE_EXTRA_CA_CERTS (read at process start only); without
// it the same call must fail on the certificate.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { buildOnce, repo, run } from "./harness";

let dir: string;
let emu: Emulator;
let cert: string;

beforeAll(async () => {
  buildOnce();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-tls-"));
  cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  // A self-signed certificate for the loopback names; openssl is part of the base system.
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "ignore" });
  emu = await startEmulator({ port: 0, dataDir: path.join(dir, "data"), tlsCert: cert, tlsKey: key });
});
afterAll(async () => {
  await emu?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates an app over each protocol; prints {protocol: app id or "error: <message>"}. */
const CLIENT_SCRIPT = `
    const { createIgniteClient } = require(${JSON.stringify(path.join(repo, "dist", "client", "index.js"))});
    (async () => {
      const seen = {};
      for (const protocol of ["grpc", "http"]) {
        const client = createIgniteClient({ endpoint: process.env.EP, protocol, token: process.env.TOKEN });
        try {
          // GetApp first: a retry-safe call, so a transient misclassification would show as retries.
          await client.getAppOrUndefined(process.env.ORG, "tls-" + protocol);
          await client.createApp({ organizationName: process.env.ORG, name: "tls-" + protocol, runtime: 1 });
          seen[protocol] = (await client.getAppOrUndefined(process.env.ORG, "tls-" + protocol)).appId;
        } catch (err) {
          seen[protocol] = "error: " + err.message;
        } finally {
          client.close();
        }
      }
      console.log(JSON.stringify(seen));
    })().catch((err) => { console.error(err.message); process.exit(1); });`;

/** Creates an app over each protocol from a separate process: the app id, or "error: <message>", per protocol. */
async function clientProcess(extraEnv: Record<string, string>): Promise<Record<string, string>> {
  const { code, stdout, all } = await run(process.execPath, ["-e", CLIENT_SCRIPT], {
    env: { PATH: process.env.PATH ?? "", EP: emu.grpcEndpoint, TOKEN: emu.token, ORG: emu.org, ...extraEnv },
  });
  if (code !== 0) throw new Error(`the client process failed:\n${all}`);
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, string>;
}

describe("a TLS endpoint", () => {
  it("advertises an https endpoint", () => {
    expect(emu.grpcEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("refuses the client while the certificate is not trusted (verification is on), saying how to trust a CA", async () => {
    const seen = await clientProcess({});
    for (const protocol of ["grpc", "http"]) {
      expect(seen[protocol]).toMatch(/^error: .*the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT/);
      expect(seen[protocol]).toContain("NODE_EXTRA_CA_CERTS");
      // Not UNAVAILABLE: a certificate problem is not transient, so it is not retried.
      expect(seen[protocol]).toContain("(INTERNAL)");
    }
  });

  it("is reached over gRPC and the HTTP gateway once the CA is trusted", async () => {
    expect(await clientProcess({ NODE_EXTRA_CA_CERTS: cert })).toEqual({ grpc: `${emu.org}/tls-grpc`, http: `${emu.org}/tls-http` });
  });
});
