// Issue 9: a green preview means the up will work. Every case of preview-cases.ts runs
// `pulumi preview` (the real CLI, a file backend) against the local Ignite: it must exit
// non-zero naming the property or setting, make no call that changes the platform, leave no
// app behind, and print no secret.
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { Runtime } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { createWorkspace, mutations, type Workspace } from "./harness.js";
import { CASES, type CaseContext, type FileSpec, type PreviewCase } from "./preview-cases.js";

const PROJECT = "preview-checks";

let ws: Workspace;
let dir: string;
let tlsIgnite: Emulator;
const servers: net.Server[] = [];
let x: CaseContext;
let base: { salt: string; token: string };

function listen(server: net.Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`)));
}

/** An HS256 access token the local Ignite signed (its own key), expired a minute ago. */
function expiredToken(dataDir: string, org: string): string {
  const { jwtSecret } = JSON.parse(fs.readFileSync(path.join(dataDir, "auth.json"), "utf8")) as { jwtSecret: string };
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "ci", organization: org, iat: now - 3600, exp: now - 60 })}`;
  return `${unsigned}.${createHmac("sha256", Buffer.from(jwtSecret, "hex")).update(unsigned).digest("base64url")}`;
}

function writeFiles(root: string, files: Record<string, FileSpec>): void {
  for (const [rel, spec] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(rel.endsWith("/") ? file : path.dirname(file), { recursive: true });
    if (typeof spec === "string") fs.writeFileSync(file, spec);
    else if ("zeros" in spec) {
      fs.writeFileSync(file, "");
      fs.truncateSync(file, spec.zeros); // sparse: costs no disk
    } else if ("link" in spec) fs.symlinkSync(spec.link, file);
    else for (let i = 0; i < spec.many; i++) fs.writeFileSync(path.join(file, `f${i}.txt`), "x");
  }
}

/** One program for every case: `pulumi config set case <id>` picks one. Plain JS, so no compile. */
function program(cases: readonly PreviewCase[]): string {
  return [
    `const pulumi = require("@pulumi/pulumi");`,
    `const ignite = require("pulumi-ignite");`,
    `switch (new pulumi.Config().require("case")) {`,
    ...cases.map((k) => `  case ${JSON.stringify(k.id)}: { ${k.program.replace(/"\$\//g, `"./cases/${k.id}/`)}; break; }`),
    `  default: throw new Error("unknown case");`,
    `}`,
  ].join("\n");
}

const value = (v: string | ((x: CaseContext) => string)) => (typeof v === "function" ? v(x) : v);

/** The stack's config file for a case: the base (endpoint, organization, token) with the case's changes. */
function stackConfig(k: PreviewCase): { yaml: string; secrets: [string, string][] } {
  const config: Record<string, string | { secure: string }> = {
    "ignite:endpoint": x.emulator,
    "ignite:organization": ws.ignite.org,
    "ignite:token": { secure: base.token },
    [`${PROJECT}:case`]: k.id,
  };
  const secrets: [string, string][] = [];
  for (const [key, v] of Object.entries(k.config ?? {})) {
    if (v === null) delete config[key];
    else if (typeof v === "object") {
      delete config[key];
      secrets.push([key, value(v.secret as string)]);
    } else config[key] = value(v);
  }
  const lines = [`encryptionsalt: ${base.salt}`, "config:"];
  for (const [key, v] of Object.entries(config)) {
    lines.push(typeof v === "string" ? `  ${key}: ${JSON.stringify(v)}` : `  ${key}:\n    secure: ${v.secure}`);
  }
  return { yaml: `${lines.join("\n")}\n`, secrets };
}

async function appNames(): Promise<string[]> {
  return (await ws.client.listApps({ organizationName: ws.ignite.org })).apps.map((a) => a.name).sort();
}

beforeAll(async () => {
  ws = await createWorkspace();
  dir = ws.project(PROJECT, "");
  fs.rmSync(path.join(dir, "index.ts"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nmain: index.js\n`);
  fs.writeFileSync(path.join(dir, "index.js"), program(CASES));
  for (const k of CASES) writeFiles(path.join(dir, "cases", k.id), k.files ?? {});
  await ws.initStack(dir);
  const initial = fs.readFileSync(path.join(dir, "Pulumi.test.yaml"), "utf8");
  base = { salt: /encryptionsalt: (\S+)/.exec(initial)![1]!, token: /secure: (\S+)/.exec(initial)![1]! };

  const cert = path.join(ws.dir, "cert.pem");
  const key = path.join(ws.dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  tlsIgnite = await startEmulator({ port: 0, dataDir: path.join(ws.dir, "tls-ignite"), tlsCert: cert, tlsKey: key });

  const account = { clientId: ws.ignite.clientId, clientSecret: ws.ignite.clientSecret, tokenUrl: ws.ignite.tokenUrl };
  x = {
    emulator: ws.ignite.grpcEndpoint.replace(/^http:\/\//, ""),
    tlsEmulator: `127.0.0.1:${tlsIgnite.port}`,
    hang: await listen(net.createServer(() => {})),
    web1: await listen(http.createServer((_q, s) => s.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>"))),
    web2: await listen(http2.createServer((_q, s) => s.writeHead(404, { "content-type": "text/html" }).end("nope")) as unknown as net.Server),
    expiredToken: expiredToken(ws.ignite.dataDir, ws.ignite.org),
    serviceAccount: account,
    async createApp(name, opts = {}) {
      const org = ws.ignite.org;
      await ws.client.createApp({ organizationName: org, name, runtime: opts.runtime === "rust" ? Runtime.RUST : Runtime.PYTHON, description: opts.description ?? "" });
      for (let v = 1; v <= (opts.versions ?? 0); v++) {
        const source = new TextEncoder().encode(`def handler(payload, ctx):\n    return ${v}\n`);
        await ws.client.saveDraft({ organizationName: org, appName: name, code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: source } } } } });
        await ws.client.publishDraft({ organizationName: org, appName: name });
      }
    },
  };
}, 600_000);

afterAll(async () => {
  for (const s of servers) s.close();
  await tlsIgnite?.stop();
  await ws?.dispose();
});

describe("a preview that cannot succeed fails, naming what to fix, and changes nothing (issue 9)", () => {
  it("the table has one entry per case", () => {
    expect(new Set(CASES.map((k) => k.id)).size).toBe(CASES.length);
  });

  it.each(CASES.map((k) => [k.id, k] as const))("%s", async (_id, k) => {
    await k.before?.(x);
    const { yaml, secrets } = stackConfig(k);
    fs.writeFileSync(path.join(dir, "Pulumi.test.yaml"), yaml);
    for (const [key, v] of secrets) await ws.ok(dir, ["config", "set", "--secret", key], v);
    const saved = { ...ws.env };
    Object.assign(ws.env, Object.fromEntries(Object.entries(k.env ?? {}).map(([name, v]) => [name, value(v!)])));
    const before = await appNames();
    await ws.resetCalls();
    let r;
    const started = Date.now();
    try {
      r = await ws.pulumi(dir, ["preview"]);
    } finally {
      for (const name of Object.keys(ws.env)) if (!(name in saved)) delete ws.env[name];
    }
    const shown = r.all.replace(/\s+/g, " ");
    if (process.env.PREVIEW_CASES_SHOW) console.log(`---- ${k.id}\n${r.all}`);
    expect(r.code, shown).not.toBe(0);
    for (const re of k.expect) expect(shown).toMatch(re);
    expect(shown).not.toMatch(/run (pulumi up )?again|platform failed|concurrent change/i);
    // Nothing was changed, and nothing is left behind.
    expect(mutations(await ws.calls())).toEqual({});
    expect(await appNames()).toEqual(before);
    // No credential is printed, the case's own wrong ones included.
    const fromEnv = Object.entries(k.env ?? {}).filter(([name]) => /_(TOKEN|SECRET)$/.test(name)).map(([, v]) => value(v!));
    for (const credential of [ws.ignite.token, ws.ignite.clientSecret, x.expiredToken, ...secrets.map(([, v]) => v), ...fromEnv]) {
      expect(shown).not.toContain(credential);
    }
    // A hung endpoint costs its deadline once, not minutes.
    expect(Date.now() - started).toBeLessThan(90_000);
  }, 180_000);
});
