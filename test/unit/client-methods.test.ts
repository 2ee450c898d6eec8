// Every IgniteClient method calls its own RPC, under the contract's method name (what retries
// and messages key on) and naming the app or execution it is about (issue 14: the wrappers are
// one helper now, so this table is what holds each of them to its RPC).
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CallRunner } from "../../src/client/call.js";
import { IgniteClient } from "../../src/client/client.js";
import { IgniteError } from "../../src/client/errors.js";
import { ComputeService } from "../../src/gen/dodil/ignite/v1/compute_pb.js";

const app = { organizationName: "acme-corp", appName: "greet" };

/** method on the client → [the request, the app or execution messages name, a stream?] */
const table: Array<[string, Record<string, unknown>, string | undefined, boolean]> = [
  ["createApp", { organizationName: "acme-corp", name: "greet" }, "acme-corp/greet", false],
  ["getApp", app, "acme-corp/greet", false],
  ["listApps", { organizationName: "acme-corp" }, "acme-corp", false],
  ["updateAppConfig", app, "acme-corp/greet", false],
  ["deleteApp", app, "acme-corp/greet", false],
  ["saveDraft", app, "acme-corp/greet", false],
  ["getDraft", app, "acme-corp/greet", false],
  ["compileDraft", app, "acme-corp/greet", false],
  ["streamCompileLogs", app, "acme-corp/greet", true],
  ["publishDraft", app, "acme-corp/greet", false],
  ["listVersions", app, "acme-corp/greet", false],
  ["rollbackVersion", app, "acme-corp/greet", false],
  ["invoke", app, "acme-corp/greet", true],
  ["invokeAsync", app, "acme-corp/greet", false],
  ["getExecution", { executionId: "ex-1" }, "execution ex-1", false],
  ["watchExecution", { executionId: "ex-1" }, "execution ex-1", true],
  ["getExecutionStats", app, "acme-corp/greet", false],
];

describe("the client's RPC methods", () => {
  it("cover every method of ComputeService", () => {
    expect(table.map(([m]) => m).sort()).toEqual(ComputeService.methods.map((m) => m.localName).sort());
  });

  it.each(table)("%s calls its RPC with the request and names the call", async (method, req, appId, isStream) => {
    const calls: Array<[string, unknown, { timeoutMs: number }]> = [];
    const raw = new Proxy({} as Client<typeof ComputeService>, {
      get: (_t, name: string) => (r: unknown, o: { timeoutMs: number }) => {
        calls.push([name, r, o]);
        const err = new ConnectError("no", Code.NotFound);
        if (!isStream) return Promise.reject(err);
        return (async function* () {
          throw err;
        })();
      },
    });
    const runner = new CallRunner({ endpoint: "e:1", retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const client = new IgniteClient({ raw, runner, timeoutMs: 1000, streamTimeoutMs: 2000, close: () => {} });
    const call = (client as unknown as Record<string, (req: unknown) => Promise<unknown> | AsyncIterable<unknown>>)[method]!.bind(client);
    const err = await (async () => {
      try {
        const answer = call(req);
        if (isStream) for await (const _ of answer as AsyncIterable<unknown>);
        else await answer;
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    const wireName = ComputeService.method[method as keyof typeof ComputeService.method].name;
    expect(err).toBeInstanceOf(IgniteError);
    expect(err).toMatchObject({ method: wireName, appId, code: Code.NotFound });
    expect(calls).toEqual([[method, req, expect.objectContaining({ timeoutMs: isStream ? 2000 : 1000 })]]);
    expect([...runner.attempts]).toEqual([[wireName, 1]]);
  });
});
