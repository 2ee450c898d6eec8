// Deno and Go apps behind real pods, through the public URL (issue 15): the handler contract's
// encodings and streaming, logs that do not touch the framing (console.log, fmt.Println), the
// failures a user meets (a syntax or compile error fails PublishDraft naming the file and line;
// a missing export, a thrown error, a panic answer 500), and a Go rollback running the old binary.
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectError, Code } from "@connectrpc/connect";
import { eventually, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";
import { deployRuntime } from "./runtime-samples";

let local: Local;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => local?.stop());

const call = async (url: string, body: object | string) => {
  const res = await httpCall(local.emu.port, {
    host: hostOf(url),
    headers: { authorization: `Bearer ${local.emu.token}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers["content-type"], text: res.body.toString(), headers: res.headers };
};
const appLog = (app: string): string => {
  const file = local.logFile(`${local.emu.org}/${app}`);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
};
const publishError = async (run: Promise<unknown>): Promise<ConnectError> => {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
};

const DENO_PROBE = `export default async function* never() {}
`;

describe("a Deno app", () => {
  const main = `const enc = new TextEncoder();
export default async function handler(payload: Uint8Array, ctx: Record<string, string>) {
  const req = payload.length ? JSON.parse(new TextDecoder().decode(payload)) : {};
  switch (req.op) {
    case "text": return "plain " + ctx.organization_id.length;
    case "bytes": return enc.encode("raw");
    case "log": console.log("hello from console.log"); console.error("hello from console.error"); return { logged: true };
    case "throw": throw new TypeError("thrown on purpose");
    case "stream": return (async function* () { yield { n: 1 }; await new Promise((r) => setTimeout(r, 10)); yield { n: 2 }; })();
    case "undefined": return undefined;
  }
  return { payload: new TextDecoder().decode(payload), ctx };
}
`;
  let url: string;
  beforeAll(async () => {
    url = (await deployRuntime(local, "deno-probe", "deno", { "main.ts": main })).publicUrls[0]!;
  });

  it("gets the raw payload and ctx with execution_id, function_id, organization_id; returns JSON", async () => {
    const res = await call(url, { hello: "ada" });
    expect(res.status).toBe(200);
    expect(res.type).toBe("application/json");
    const body = JSON.parse(res.text);
    expect(JSON.parse(body.payload)).toEqual({ hello: "ada" });
    expect(body.ctx).toMatchObject({ function_id: `${local.emu.org}/deno-probe` });
    expect(body.ctx.execution_id).toMatch(/^exec_/);
    expect(body.ctx.organization_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends a string as UTF-8 text, bytes verbatim, undefined as JSON null", async () => {
    expect(await call(url, { op: "text" })).toMatchObject({ status: 200, type: "text/plain; charset=utf-8", text: "plain 36" });
    expect(await call(url, { op: "bytes" })).toMatchObject({ status: 200, type: "application/octet-stream", text: "raw" });
    expect(await call(url, { op: "undefined" })).toMatchObject({ status: 200, type: "application/json", text: "null" });
  });

  it("streams an async generator as NDJSON, chunked", async () => {
    const res = await call(url, { op: "stream" });
    expect(res.status).toBe(200);
    expect(res.type).toBe("application/x-ndjson");
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.text).toBe('{"n":1}\n{"n":2}\n');
  });

  it("writes console.log and console.error to the app log, never into the framing", async () => {
    expect((await call(url, { op: "log" })).status).toBe(200);
    await eventually(() => (appLog("deno-probe").includes("hello from console.log") && appLog("deno-probe").includes("hello from console.error")) || undefined, "both lines in the app log");
    expect(appLog("deno-probe")).not.toContain("framing error");
  });

  it("answers a thrown error with a 500 naming no stack, and logs the stack", async () => {
    const res = await call(url, { op: "throw" });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toMatchObject({ error: "handler threw an exception; see the app logs" });
    await eventually(() => appLog("deno-probe").includes("TypeError: thrown on purpose") || undefined, "the stack in the app log");
  });

  it("a main.ts without a default export answers 500 saying so on every invoke", async () => {
    const app = await deployRuntime(local, "deno-named", "deno", { "main.ts": "export function handler() { return 1; }\n" });
    const res = await call(app.publicUrls[0]!, {});
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text).error).toBe(
      "main.ts exports `handler` by name, but the runtime calls the default export: make it `export default function handler(payload, ctx)`",
    );
  });

  it("a syntax error fails PublishDraft with FAILED_PRECONDITION naming main.ts and the line, and nothing is published", async () => {
    const err = await publishError(deployRuntime(local, "deno-broken", "deno", { "main.ts": "export default (p) => { return 1 +; }\n" }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toMatch(/^the draft of acme-corp\/deno-broken does not build: main\.ts:1:\d+: SyntaxError: Expression expected; fix the code/);
    const app = (await local.client.getApp({ organizationName: local.emu.org, appName: "deno-broken" })).app!;
    expect(app.activeVersion).toBe(0);
    const lines: string[] = [];
    for await (const l of local.client.streamCompileLogs({ organizationName: local.emu.org, appName: "deno-broken" })) lines.push(l.line);
    expect(lines.at(-1)).toBe("build failed");
  });

  it("an empty async generator streams an empty body", async () => {
    const app = await deployRuntime(local, "deno-empty", "deno", { "main.ts": DENO_PROBE });
    expect(await call(app.publicUrls[0]!, {})).toMatchObject({ status: 200, text: "" });
  });
});

describe("a Go app", () => {
  const main = (greeting: string) => `package main

import (
	"encoding/json"
	"fmt"
	"iter"

	"dodil.io/ignite"
)

func Handler(payload []byte, ctx ignite.Context) (any, error) {
	var req struct{ Op string \`json:"op"\` }
	_ = json.Unmarshal(payload, &req)
	switch req.Op {
	case "text":
		return "${greeting}", nil
	case "bytes":
		return []byte("raw"), nil
	case "log":
		fmt.Println("hello from fmt.Println")
		return map[string]bool{"logged": true}, nil
	case "panic":
		panic("boom on purpose")
	case "stream":
		return iter.Seq[any](func(yield func(any) bool) {
			for n := 1; n <= 2 && yield(map[string]int{"n": n}); n++ {
			}
		}), nil
	}
	return map[string]any{"payload": string(payload), "org": len(ctx.OrganizationID), "fn": ctx.FunctionID}, nil
}
`;
  let url: string;
  beforeAll(async () => {
    url = (await deployRuntime(local, "go-probe", "go", { "main.go": main("v1") })).publicUrls[0]!;
  }, 300_000);

  it("gets the raw payload and ctx; returns JSON, a string as text, []byte verbatim", async () => {
    expect(JSON.parse((await call(url, { a: 1 })).text)).toEqual({ payload: '{"a":1}', org: 36, fn: `${local.emu.org}/go-probe` });
    expect(await call(url, { op: "text" })).toMatchObject({ status: 200, type: "text/plain; charset=utf-8", text: "v1" });
    expect(await call(url, { op: "bytes" })).toMatchObject({ status: 200, type: "application/octet-stream", text: "raw" });
  });

  it("streams an iter.Seq as NDJSON", async () => {
    expect(await call(url, { op: "stream" })).toMatchObject({ status: 200, type: "application/x-ndjson", text: '{"n":1}\n{"n":2}\n' });
  });

  it("writes fmt.Println to the app log, never into the framing", async () => {
    expect((await call(url, { op: "log" })).status).toBe(200);
    await eventually(() => appLog("go-probe").includes("hello from fmt.Println") || undefined, "the line in the app log");
    expect(appLog("go-probe")).not.toContain("framing error");
  });

  it("answers a panic with a 500 naming it, and the same worker serves on", async () => {
    const res = await call(url, { op: "panic" });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toMatchObject({ error: "handler panicked: boom on purpose; see the app logs" });
    expect((await call(url, { op: "text" })).status).toBe(200);
    await eventually(() => appLog("go-probe").includes("boom on purpose") || undefined, "the panic in the app log");
  });

  it("a compile error fails PublishDraft with FAILED_PRECONDITION naming main.go and the line, and nothing is published", async () => {
    const broken = main("v1").replace('return "v1", nil', "return undefinedThing, nil");
    const err = await publishError(deployRuntime(local, "go-broken", "go", { "main.go": broken }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toMatch(/^the draft of acme-corp\/go-broken does not build: main\.go:\d+:\d+: undefined: undefinedThing; fix the code/);
    expect((await local.client.getApp({ organizationName: local.emu.org, appName: "go-broken" })).app!.activeVersion).toBe(0);
  });

  it("a main.go without Handler fails PublishDraft saying what the runtime calls", async () => {
    const err = await publishError(deployRuntime(local, "go-nohandler", "go", { "main.go": "package main\n\nfunc handler() {}\n" }));
    expect(err.rawMessage).toContain("main.go: no `func Handler(payload []byte, ctx ignite.Context) (any, error)`");
  });

  it("each version runs the binary stored with it: a rollback answers with the old one", async () => {
    const v2 = await deployRuntime(local, "go-probe", "go", { "main.go": main("v2") });
    expect(v2.activeVersion).toBe(2);
    await eventually(async () => (await call(url, { op: "text" })).text === "v2" || undefined, "version 2 to answer");
    await local.client.rollbackVersion({ organizationName: local.emu.org, appName: "go-probe", version: 1 });
    await eventually(async () => (await call(url, { op: "text" })).text === "v1" || undefined, "version 1 to answer again");
  }, 300_000);
});
