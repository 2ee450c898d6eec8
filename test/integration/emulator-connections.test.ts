// The shared port's connection handling: a connection that never completes its first request
// head is dropped after firstHeadTimeoutMs, as an http server's headersTimeout would, while a
// well-formed request on another connection is served meanwhile.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange, startLocal, type Local } from "../support/local-ignite";

let local: Local;
beforeAll(async () => {
  local = await startLocal({}, { firstHeadTimeoutMs: 300 });
});
afterAll(async () => local?.stop());

describe("connections on the shared port", () => {
  it("drops a client that never finishes its first request head", async () => {
    // No blank line: the head never ends. The server closes the connection on its own timer.
    const { text, closed } = await rawExchange(local.emu.port, ["GET /_ignite/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"]);
    expect(closed).toBe(true);
    expect(text).toBe("");
  });

  it("serves a complete request normally", async () => {
    const res = await fetch(`${local.emu.httpUrl}/_ignite/healthz`);
    expect(res.status).toBe(200);
  });
});
