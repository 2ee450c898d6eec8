// The shared port's connection handling: a connection that never completes its first request
// head is dropped after firstHeadTimeoutMs, as an http server's headersTimeout would, while a
// well-formed request on another connection is served meanwhile.
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator";

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ firstHeadTimeoutMs: 300 });
});
afterAll(async () => emu?.cleanup());

describe("connections on the shared port", () => {
  it("drops a client that never finishes its first request head", async () => {
    const socket = net.connect(emu.emulator.port, "127.0.0.1");
    const closed = new Promise<string>((resolve) => {
      let got = "";
      socket.on("data", (d) => (got += d.toString()));
      socket.on("close", () => resolve(got));
      socket.on("error", () => undefined);
    });
    socket.write("GET /_ignite/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // no blank line: the head never ends
    // The socket closes on the server's timer; vitest's own timeout is the failure bound.
    expect(await closed).toBe("");
  });

  it("serves a complete request normally", async () => {
    const res = await fetch(`${emu.emulator.httpUrl}/_ignite/healthz`);
    expect(res.status).toBe(200);
  });
});
