// Streaming apps (seed 002: "for streaming apps, output arrives as data-only frames"): a Python
// handler that yields streams its output on every surface — several chunk frames on Invoke, a
// chunked public-URL response (relayed and on a handed connection), and data-only
// WatchExecution frames before the terminal one. Non-streaming watch frames carry no output.
import * as http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { eventually, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";

let local: Local;
let url: string;
const ORG = "acme-corp";

// Each item waits a little, so the items leave the pod as separate pieces.
const STREAMER = `import json, time
def handler(payload, ctx):
    req = json.loads(payload or b"{}")
    if req.get("plain"):
        return {"plain": True}
    def items():
        for i in range(3):
            time.sleep(0.05)
            yield {"i": i}
        if req.get("fail"):
            raise RuntimeError("broke mid-stream")
    return items()
`;

beforeAll(async () => {
  local = await startLocal();
  url = (await local.deploy("streamer", { "handler.py": STREAMER })).publicUrls[0]!;
});
afterAll(async () => local?.stop());

describe("a handler that yields", () => {
  it("streams several chunk frames on Invoke, as NDJSON", async () => {
    const frames: Array<{ kind: string; data?: string; type?: string }> = [];
    for await (const f of local.client.invoke({ organizationName: ORG, appName: "streamer", body: Buffer.from("{}") })) {
      if (f.frame.case === "head") frames.push({ kind: "head", type: f.frame.value.responseHeaders["content-type"] });
      if (f.frame.case === "chunk") frames.push({ kind: "chunk", data: Buffer.from(f.frame.value.data).toString() });
      if (f.frame.case === "trailer") frames.push({ kind: "trailer" });
    }
    expect(frames[0]).toEqual({ kind: "head", type: "application/x-ndjson" });
    const chunks = frames.filter((f) => f.kind === "chunk");
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.map((c) => c.data).join("")).toBe('{"i": 0}\n{"i": 1}\n{"i": 2}\n');
    expect(frames.at(-1)).toEqual({ kind: "trailer" });
  });

  it("answers the public URL chunked, through the relay and on a handed connection", async () => {
    // One keep-alive connection: the first request goes through the relay, which then hands
    // the connection to the pod; the pod streams the later ones itself.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ encoding?: string; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: "127.0.0.1", port: local.emu.port, method: "POST", path: "/", agent, headers: { host: hostOf(url), authorization: `Bearer ${local.emu.token}` } },
          (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve({ encoding: res.headers["transfer-encoding"], body }));
          },
        );
        req.on("error", reject);
        req.end("{}");
      });
    for (let i = 0; i < 3; i++) {
      expect(await get()).toEqual({ encoding: "chunked", body: '{"i": 0}\n{"i": 1}\n{"i": 2}\n' });
      if (i === 0) {
        await eventually(async () => {
          const pods = JSON.parse((await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" })).body.toString()).pods as Array<{ handedConnections: number }>;
          return pods.some((p) => p.handedConnections === 1) || undefined;
        }, "the pod to hold the connection");
      }
    }
    agent.destroy();
  });

  it("a failure after the head ends Invoke with an error, the chunks already sent kept", async () => {
    const chunks: string[] = [];
    const run = async () => {
      for await (const f of local.client.invoke({ organizationName: ORG, appName: "streamer", body: Buffer.from('{"fail": true}') })) {
        if (f.frame.case === "chunk") chunks.push(Buffer.from(f.frame.value.data).toString());
      }
    };
    await expect(run()).rejects.toThrow();
    expect(chunks.join("")).toBe('{"i": 0}\n{"i": 1}\n{"i": 2}\n');
  });

  it("sends data-only WatchExecution frames (output_chunk, no execution) before the terminal one", async () => {
    const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: "streamer", body: Buffer.from("{}") });
    const frames: Array<{ execution?: ExecutionStatus; chunk?: string }> = [];
    for await (const w of local.client.watchExecution({ executionId })) {
      frames.push(w.execution ? { execution: w.execution.status } : { chunk: Buffer.from(w.outputChunk!).toString() });
    }
    const data = frames.filter((f) => f.chunk !== undefined);
    expect(data.length).toBeGreaterThanOrEqual(3);
    expect(data.map((d) => d.chunk).join("")).toBe('{"i": 0}\n{"i": 1}\n{"i": 2}\n');
    expect(frames.at(-1)).toEqual({ execution: ExecutionStatus.COMPLETED });
    expect(frames.findIndex((f) => f.chunk !== undefined)).toBeLessThan(frames.length - 1);
  });

  it("a non-streaming execution's watch frames carry no outputChunk over the HTTP gateway", async () => {
    const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: "streamer", body: Buffer.from('{"plain": true}') });
    const res = await httpCall(local.emu.port, {
      method: "GET",
      path: `/v1/ignite/executions/${executionId}/watch`,
      headers: { authorization: `Bearer ${local.emu.token}` },
    });
    const lines = res.body.toString().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toHaveProperty("execution");
      expect(line).not.toHaveProperty("outputChunk");
    }
  });
});
