// Issue 9: a request over the platform's size limit fails as RESOURCE_EXHAUSTED naming the
// limit — refused by the client before sending at the platform's 32 MiB, and by the server
// for a lower limit — over gRPC and over the HTTP gateway; the connection stays usable.
import type { EmulatorOptions } from "../../src/emulator/index";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIgniteClient, IgniteError, type IgniteClient, type IgniteProtocol } from "../../src/client/index.js";
import { Runtime } from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import { MAX_REQUEST_BYTES, MiB } from "../../src/platform-limits.js";
import { startLocal, type Local } from "../support/local-ignite";

const org = "acme-corp";

function saveDraft(client: IgniteClient, app: string, bytes: number) {
  return client.saveDraft({
    organizationName: org,
    appName: app,
    code: { source: { case: "compile", value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: new Uint8Array(bytes) } } } },
  });
}

async function calls(t: Local): Promise<Record<string, number>> {
  return ((await (await fetch(`${t.emu.httpUrl}/_ignite/calls`)).json()) as { calls: Record<string, number> }).calls;
}

/** A local Ignite for the enclosing describe, with app "big" and a client speaking `protocol`. */
function localIgnite(protocol: IgniteProtocol, options: Partial<EmulatorOptions> = {}) {
  let t: Local;
  let client: IgniteClient;
  beforeAll(async () => {
    t = await startLocal({}, options);
    client = createIgniteClient({ endpoint: t.emu.grpcEndpoint, token: t.emu.token, protocol });
    await client.createApp({ organizationName: org, name: "big", runtime: Runtime.PYTHON });
  });
  afterAll(async () => {
    client.close();
    await t.stop();
  });
  return { t: () => t, client: () => client };
}

describe.each([["grpc"], ["http"]] as [IgniteProtocol][])("over %s", (protocol) => {
  describe("at the platform's limit (32 MiB)", () => {
    const { t, client } = localIgnite(protocol);

    it("a request over 32 MiB is refused before it is sent, naming the size and the limit", async () => {
      const err = (await saveDraft(client(), "big", MAX_REQUEST_BYTES + MiB).catch((e: unknown) => e)) as IgniteError;
      expect(err).toBeInstanceOf(IgniteError);
      expect(err.code).toBe(Code.ResourceExhausted);
      expect(err.message).toMatch(/over the platform's limit of 32 MiB per request/);
      expect(err.message).not.toMatch(/ENHANCE_YOUR_CALM|run again|platform failed/);
      expect((await calls(t())).SaveDraft ?? 0).toBe(0);
      // The connection is as good as before.
      expect((await saveDraft(client(), "big", 1024)).draft?.sizeBytes).toBe(1024n);
    });
  });

  describe("at a lower limit the server enforces (1 MiB)", () => {
    const { client } = localIgnite(protocol, { maxRequestBytes: MiB });

    it("a larger request is RESOURCE_EXHAUSTED naming the limit, and later calls on the same client work", async () => {
      const err = (await saveDraft(client(), "big", 3 * MiB).catch((e: unknown) => e)) as IgniteError;
      expect(err.code, err.message).toBe(Code.ResourceExhausted);
      expect(err.message).toMatch(/1 MiB/);
      expect(err.hint).toMatch(/refuses the same request every time/);
      expect(err.message).not.toMatch(/ENHANCE_YOUR_CALM|run again|platform failed/);
      expect((await saveDraft(client(), "big", 1024)).draft?.sizeBytes).toBe(1024n);
    });

    it("the limit is on the message, not its JSON: a request just under it passes over either protocol", async () => {
      // Over HTTP the body is base64, a third longer than the message.
      expect((await saveDraft(client(), "big", MiB - 4096)).draft?.sizeBytes).toBe(BigInt(MiB - 4096));
    });
  });
});
