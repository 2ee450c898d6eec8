// gRPC server reflection (issue 12; the pages' grpcurl reference mentions it): grpcurl lists,
// describes and calls the ComputeService of the local Ignite without -proto, including the
// well-known types the contract imports (google.protobuf.FieldMask).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDir } from "../../src/emulator/package-files";
import { startLocal, type Local } from "../support/local-ignite";

// npm test's set-up builds it (scripts/setup.js grpcurl).
const GRPCURL = path.join(cacheDir(), "grpcurl-v1.9.4", "grpcurl");
let local: Local;
let addr: string;

beforeAll(async () => {
  expect(fs.existsSync(GRPCURL), `grpcurl is missing at ${GRPCURL}: run node scripts/setup.js grpcurl`).toBe(true);
  local = await startLocal();
  addr = local.emu.grpcEndpoint.replace(/^http:\/\//, "");
});
afterAll(async () => local?.stop());

const call = async (args: string[], target: string) => (await promisify(execFile)(GRPCURL, ["-plaintext", ...args, addr, ...target.split(" ").filter(Boolean)], { timeout: 30_000 })).stdout;

describe("gRPC server reflection", () => {
  it("lets grpcurl list the services and describe a message that uses a well-known type", async () => {
    expect((await call([], "list")).trim().split("\n")).toEqual(["dodil.ignite.v1.ComputeService", "grpc.reflection.v1.ServerReflection"]);
    const described = await call([], "describe dodil.ignite.v1.UpdateAppConfigRequest");
    expect(described).toContain(".google.protobuf.FieldMask update_mask = 10;");
  });

  it("lets grpcurl call a method without -proto", async () => {
    await local.client.createApp({ organizationName: local.emu.org, name: "reflected", runtime: 1 });
    const out = await call(["-H", `authorization: Bearer ${local.emu.token}`, "-d", JSON.stringify({ organization_name: local.emu.org, app_name: "reflected" })], "dodil.ignite.v1.ComputeService/GetApp");
    expect(JSON.parse(out).app).toMatchObject({ appId: `${local.emu.org}/reflected`, name: "reflected" });
  });

  it("answers NOT_FOUND for an unknown symbol", async () => {
    const err = (await call([], "describe dodil.ignite.v1.NoSuchThing").catch((e: { stderr: string }) => e.stderr)) as string;
    expect(err).toContain("NoSuchThing");
  });
});
