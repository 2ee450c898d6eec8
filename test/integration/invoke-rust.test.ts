// Compiled Rust apps behind real pods (pod agent + worker), through the public URL: the seed's
// gotchas — a println!() is a framing error whose hint says to use eprintln!(), eprintln!()
// lines are the app log, a panic is a 500 and the pod keeps serving — natively and under
// Wasmtime; and a rollback runs the binary stored with the old version.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RustTarget } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { PROBE, TINY, wasmUnavailable } from "../support/rust";
import { eventually, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";
import { deployRust } from "./runtime-samples";

const BUILD = 600_000;
const noWasm = wasmUnavailable();
if (noWasm) console.warn(`[invoke-rust] wasm cases skipped: ${noWasm}`);

const crate = (dir: string, replace: Record<string, string> = {}): Record<string, string> => ({
  "Cargo.toml": fs.readFileSync(path.join(dir, "Cargo.toml"), "utf8"),
  "src/lib.rs": fs.readFileSync(path.join(dir, "src", "lib.rs"), "utf8"),
  ...replace,
});

let local: Local;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => local?.stop());

const call = async (url: string, body: object) => {
  const res = await httpCall(local.emu.port, { host: hostOf(url), headers: { authorization: `Bearer ${local.emu.token}` }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers["content-type"], text: res.body.toString() };
};
const appLog = (app: string): string => {
  const file = local.logFile(`${local.emu.org}/${app}`);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
};

describe.each([
  { target: RustTarget.NATIVE, name: "probe-native", skip: undefined },
  { target: RustTarget.WASM, name: "probe-wasm", skip: noWasm },
])("a Rust app behind its pod ($name)", ({ target, name, skip }) => {
  let url: string;
  beforeAll(async () => {
    if (!skip) url = (await deployRust(local, name, target, crate(PROBE))).publicUrls[0]!;
  }, BUILD);

  it.skipIf(skip)("answers a println!() as the framing error of the seed's gotcha table, with the eprintln hint, and logs it", async () => {
    const res = await call(url, { action: "print" });
    expect(res.status).toBe(500);
    const body = JSON.parse(res.text) as { error: string };
    expect(body.error).toMatch(/^framing error: the app wrote to stdout, which carries the runtime's framing \(.*hello from println.*\); log with eprintln!\(\), not println!\(\)$/);
    await eventually(() => appLog(name).includes("framing error") || undefined, "the framing error in the app log");
    expect((await call(url, { action: "echo" })).status).toBe(200);
  });

  it.skipIf(skip)("writes eprintln!() lines to the app log", async () => {
    expect((await call(url, { action: "log" })).status).toBe(200);
    await eventually(() => appLog(name).includes("hello from eprintln") || undefined, "the eprintln line in the app log");
  });

  it.skipIf(skip)("answers a panic with a 500 naming it, and the same worker serves the next request", async () => {
    const before = JSON.parse((await call(url, { action: "pid" })).text).pid as number;
    const res = await call(url, { action: "panic" });
    expect(res.status).toBe(500);
    expect(res.type).toBe("application/json");
    expect(JSON.parse(res.text)).toMatchObject({ error: "handler panicked: boom on purpose; see the app logs" });
    expect(JSON.parse((await call(url, { action: "pid" })).text).pid).toBe(before);
    await eventually(() => appLog(name).includes("boom on purpose") || undefined, "the panic message in the app log");
  });
});

describe("versions of a Rust app", () => {
  it("each run the binary stored with them: a rollback answers with the old one", async () => {
    const lib = fs.readFileSync(path.join(TINY, "src", "lib.rs"), "utf8");
    const v1 = await deployRust(local, "tiny", RustTarget.NATIVE, crate(TINY));
    const url = v1.publicUrls[0]!;
    expect(JSON.parse((await call(url, {})).text).message).toBe("Hello from Rust!");
    const v2 = await deployRust(local, "tiny", RustTarget.NATIVE, crate(TINY, { "src/lib.rs": lib.replace("Hello from Rust!", "Hello from v2!") }));
    expect(v2.activeVersion).toBe(2);
    await eventually(async () => JSON.parse((await call(url, {})).text).message === "Hello from v2!" || undefined, "version 2 to answer");
    await local.client.rollbackVersion({ organizationName: local.emu.org, appName: "tiny", version: 1 });
    await eventually(async () => JSON.parse((await call(url, {})).text).message === "Hello from Rust!" || undefined, "version 1 to answer again");
  }, BUILD);
});
