// The managed Python runtime against the pages' handler contract (seed 000/001): payload,
// ctx, encoding by return type, the gotchas (no handler, undeclared dependency), the
// pre-installed set of pool mode and dedicated mode's requirements in front of it, and the
// failure modes a pod must not turn into a dead server (exception, crash, hang, huge output).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { podAgent } from "../../src/emulator/runtime/agent";
import { ExecutionStatus } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { eventually, exampleFiles, hostOf, httpCall, startLocal, type Local } from "../support/local-ignite";

let local: Local;
const ORG = "acme-corp";

beforeAll(async () => {
  local = await startLocal({ appTimeoutMs: 1500, maxResponseBytes: 1024 * 1024 });
});
afterAll(async () => local?.stop());

async function invokeBody(app: string, body = ""): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  let status = 0;
  let headers: Record<string, string> = {};
  const parts: Buffer[] = [];
  for await (const f of local.client.invoke({ organizationName: ORG, appName: app, body: Buffer.from(body) })) {
    if (f.frame.case === "head") {
      status = f.frame.value.statusCode;
      headers = f.frame.value.responseHeaders;
    }
    if (f.frame.case === "chunk") parts.push(Buffer.from(f.frame.value.data));
  }
  return { status, text: Buffer.concat(parts).toString("utf8"), headers };
}

async function finished(app: string, body = "") {
  const { executionId } = await local.client.invokeAsync({ organizationName: ORG, appName: app, body: Buffer.from(body) });
  let last;
  for await (const w of local.client.watchExecution({ executionId })) last = w.execution;
  return last!;
}

describe("the handler contract", () => {
  it("passes the raw body as bytes and ctx with execution_id, function_id and organization_id (the org's id, not its name)", async () => {
    await local.deploy("echo", {
      "handler.py": [
        "def handler(payload, ctx):",
        "    return {'type': type(payload).__name__, 'payload': payload.decode(), 'ctx': ctx}",
      ].join("\n"),
    });
    const { status, text, headers } = await invokeBody("echo", '{"name": "Ada"}');
    expect(status).toBe(200);
    expect(headers["content-type"]).toBe("application/json");
    const out = JSON.parse(text);
    expect(out.type).toBe("bytes");
    expect(out.payload).toBe('{"name": "Ada"}');
    expect(out.ctx.function_id).toBe("acme-corp/echo");
    expect(out.ctx.execution_id).toMatch(/^exec_[0-9A-Z]{26}$/);
    // organization_id is the org's id, the one a token's `organization` claim maps the name to.
    const issued = await fetch(local.emu.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: local.emu.clientId, client_secret: local.emu.clientSecret }),
    });
    const { access_token } = (await issued.json()) as { access_token: string };
    const claims = JSON.parse(Buffer.from(access_token.split(".")[1]!, "base64url").toString()) as { organization: Record<string, { id: string }> };
    expect(Object.keys(claims.organization)).toEqual(["acme-corp"]);
    expect(out.ctx.organization_id).toBe(claims.organization["acme-corp"]!.id);
    expect(out.ctx.organization_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("encodes the return value by type: dict/list JSON, str UTF-8 text, bytes verbatim, anything else json.dumps", async () => {
    await local.deploy("types", {
      "handler.py": [
        "def handler(payload, ctx):",
        "    kind = payload.decode()",
        "    return {'dict': {'a': 1}, 'list': [1, 2], 'str': 'héllo', 'bytes': b'\\x00\\xffraw', 'int': 42, 'none': None}[kind]",
      ].join("\n"),
    });
    expect(await invokeBody("types", "dict")).toMatchObject({ text: '{"a": 1}', headers: { "content-type": "application/json" } });
    expect(await invokeBody("types", "list")).toMatchObject({ text: "[1, 2]", headers: { "content-type": "application/json" } });
    expect(await invokeBody("types", "str")).toMatchObject({ text: "héllo", headers: { "content-type": "text/plain; charset=utf-8" } });
    const bytes = await invokeBody("types", "bytes");
    expect(bytes.headers["content-type"]).toBe("application/octet-stream");
    expect(Buffer.from(bytes.text, "utf8").subarray(-3).toString()).toBe("raw");
    expect(await invokeBody("types", "int")).toMatchObject({ text: "42", headers: { "content-type": "application/json" } });
    expect(await invokeBody("types", "none")).toMatchObject({ text: "null" });
  });

  it("answers 500 on every invoke when handler.py has no top-level `handler`, saying so", async () => {
    await local.deploy("nohandler", { "handler.py": "def handle(payload, ctx):\n    return 'typo'\n" });
    for (let i = 0; i < 2; i++) {
      const { status, text } = await invokeBody("nohandler");
      expect(status).toBe(500);
      expect(JSON.parse(text).error).toBe(
        "handler.py has no top-level function named `handler`; expose def handler(payload, ctx)",
      );
    }
  });

  it("answers 500 for a raising handler, with the traceback in the app log and not in the body", async () => {
    await local.deploy("raiser", {
      "handler.py": "def handler(payload, ctx):\n    raise ValueError('secret-detail-42')\n",
    });
    const { status, text } = await invokeBody("raiser");
    expect(status).toBe(500);
    const body = JSON.parse(text);
    expect(body.error).toBe("handler raised an exception; see the app logs");
    expect(body.execution_id).toMatch(/^exec_/);
    expect(text).not.toContain("secret-detail-42");
    const log = await eventually(() => {
      const t = fs.existsSync(local.logFile("acme-corp/raiser")) ? fs.readFileSync(local.logFile("acme-corp/raiser"), "utf8") : "";
      return t.includes("ValueError: secret-detail-42") ? t : undefined;
    }, "the traceback in the app log");
    expect(log).toContain("Traceback (most recent call last)");
    expect(log).toContain(body.execution_id);
    const execution = await finished("raiser");
    expect(execution.status).toBe(ExecutionStatus.FAILED);
    expect(execution.statusCode).toBe(500);
  });
});

describe("dependencies: pool mode vs dedicated mode", () => {
  it("fails with ModuleNotFoundError in pool mode when a dependency is not declared (the gotcha)", async () => {
    await local.deploy("undeclared", {
      "handler.py": "from tabulate import tabulate\ndef handler(payload, ctx):\n    return tabulate([[1]])\n",
    });
    const { status, text } = await invokeBody("undeclared");
    expect(status).toBe(500);
    expect(JSON.parse(text).error).toContain("ModuleNotFoundError: No module named 'tabulate'");
    await eventually(() => {
      const file = local.logFile("acme-corp/undeclared");
      return fs.existsSync(file) && fs.readFileSync(file, "utf8").includes("ModuleNotFoundError");
    }, "the import error in the app log");
  });

  it("installs requirements.txt into a dedicated venv (seed 000's tabler with tabulate==0.9.0)", async () => {
    // Seed 000's handler and requirements.txt, as the tabler example ships them.
    await local.deploy("tabler", exampleFiles("tabler", "handler.py", "requirements.txt"));
    const execution = await finished("tabler", '{"rows": [["ada", 1], ["grace", 2]]}');
    expect(execution.status).toBe(ExecutionStatus.COMPLETED);
    const out = JSON.parse(Buffer.from(execution.result).toString());
    expect(out).toEqual({ table: "ada    1\ngrace  2", execution_id: execution.id });
    expect(execution.metrics!.coldStartMs).toBeGreaterThan(0n);
  }, 180_000);

  it("a dedicated venv sees the pre-installed set behind its own requirements (issue 12)", async () => {
    await local.deploy("alongside", {
      "handler.py":
        "import requests, numpy\nfrom tabulate import tabulate\ndef handler(payload, ctx):\n    return {'requests': requests.__version__, 'numpy': numpy.__version__, 'table': tabulate([[1]])}\n",
      "requirements.txt": "tabulate==0.9.0\nrequests==2.32.3\n",
    });
    const { status, text } = await invokeBody("alongside");
    expect(status, text).toBe(200);
    // The app's own pin wins over the pre-installed requests; numpy comes from the set.
    expect(JSON.parse(text)).toEqual({ requests: "2.32.3", numpy: "2.4.6", table: "-\n1\n-" });
  }, 180_000);
});

describe("the pre-installed set (seed 000, pool mode)", () => {
  it("pool pods import numpy, pandas, requests, httpx, pydantic and boto3 at the pinned versions", async () => {
    await local.deploy("preinstalled", {
      "handler.py":
        "import numpy, pandas, requests, httpx, pydantic, boto3\n" +
        "def handler(payload, ctx):\n    return {m.__name__: m.__version__ for m in (numpy, pandas, requests, httpx, pydantic, boto3)}\n",
    });
    const { status, text } = await invokeBody("preinstalled");
    expect(status, text).toBe(200);
    expect(JSON.parse(text)).toEqual({ numpy: "2.4.6", pandas: "3.1.1", requests: "2.34.2", httpx: "0.28.1", pydantic: "2.14.4", boto3: "1.44.8" });
  });

  it("pool pods never see the machine's own site-packages", async () => {
    // pytest is installed on the machine's Python (a precondition), not in the pre-installed set.
    const host = spawnSync("python3", ["-c", "import pytest"]);
    expect(host.status, "this test needs pytest in the machine's python3 (pip install pytest)").toBe(0);
    await local.deploy("hostless", {
      "handler.py": "import importlib.util, sys\ndef handler(payload, ctx):\n    return {'pytest': importlib.util.find_spec('pytest') is not None, 'prefix': sys.prefix}\n",
    });
    const out = JSON.parse((await invokeBody("hostless")).text);
    expect(out.pytest).toBe(false);
    expect(out.prefix).toContain("python-runtime");
  });

  it("without a package registry, the local Ignite names the missing packages at start and in the handler's 500", async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-noregistry-"));
    const saved = { ...process.env };
    const lines: string[] = [];
    // The agent is reused from the real cache; pip may reach no index at all.
    process.env.IGNITE_POD_AGENT = await podAgent();
    process.env.PULUMI_IGNITE_CACHE = cache;
    process.env.PIP_NO_INDEX = "1";
    process.env.PIP_FIND_LINKS = "";
    const offline = await startLocal({}, { log: (l) => lines.push(l) });
    try {
      await offline.deploy("needs-numpy", { "handler.py": "import numpy\ndef handler(payload, ctx):\n    return 'unreachable'\n" });
      await eventually(() => lines.find((l) => l.includes("the pre-installed set lacks")), "the start-up warning", 150_000);
      expect(lines.join("\n")).toMatch(/lacks numpy, pandas, requests, httpx, pydantic, boto3/);
      let status = 0;
      let text = "";
      for await (const f of offline.client.invoke({ organizationName: ORG, appName: "needs-numpy", body: Buffer.from("") })) {
        if (f.frame.case === "head") status = f.frame.value.statusCode;
        if (f.frame.case === "chunk") text += Buffer.from(f.frame.value.data).toString();
      }
      expect(status).toBe(500);
      expect(JSON.parse(text).error).toContain("No module named 'numpy'; numpy is in the platform's pre-installed set, which the local Ignite could not install");
    } finally {
      await offline.stop();
      process.env = saved;
      fs.rmSync(cache, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("a handler cannot take the local Ignite down", () => {
  it("a crashing pod fails its request with 502 and the next request gets a fresh pod", async () => {
    const app = await local.deploy("crasher", {
      "handler.py": "import os\ndef handler(payload, ctx):\n    if payload == b'die':\n        os._exit(3)\n    return {'pid': os.getpid()}\n",
    });
    const first = JSON.parse((await invokeBody("crasher")).text).pid as number;
    const crash = await httpCall(local.emu.port, { host: hostOf(app.publicUrls[0]!), body: "die", headers: { authorization: `Bearer ${local.emu.token}` } });
    expect(crash.status).toBe(502);
    expect(JSON.parse(crash.body.toString()).message).toContain("the pod exited while handling the request");
    const again = await invokeBody("crasher");
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text).pid).not.toBe(first);
  });

  it("a handler that hangs past the app timeout ends with 504 / TIMEOUT and its pod is stopped", async () => {
    const app = await local.deploy("hanger", {
      "handler.py": "import os, time\ndef handler(payload, ctx):\n    if payload == b'hang':\n        time.sleep(3600)\n    return {'pid': os.getpid()}\n",
    });
    const url = { host: hostOf(app.publicUrls[0]!), headers: { authorization: `Bearer ${local.emu.token}` } };
    const pid = JSON.parse((await httpCall(local.emu.port, url)).body.toString()).pid as number;
    const hung = await httpCall(local.emu.port, { ...url, body: "hang" });
    expect(hung.status).toBe(504);
    expect(JSON.parse(hung.body.toString()).message).toContain("app timeout");
    const execution = await finished("hanger", "hang");
    expect(execution.status).toBe(ExecutionStatus.TIMEOUT);
    // The server is still up and the app serves again from a new pod.
    const after = JSON.parse((await httpCall(local.emu.port, url)).body.toString()).pid as number;
    expect(after).not.toBe(pid);
  });

  it("a response above the size cap is refused with 502 and a clear message", async () => {
    const app = await local.deploy("huge", {
      "handler.py": "def handler(payload, ctx):\n    return b'x' * (2 * 1024 * 1024)\n",
    });
    const res = await httpCall(local.emu.port, { host: hostOf(app.publicUrls[0]!), headers: { authorization: `Bearer ${local.emu.token}` } });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body.toString()).message).toContain("exceeds the local Ignite's 1048576-byte limit");
    await expect(invokeBody("huge")).rejects.toSatisfy((e: unknown) => e instanceof ConnectError && e.code === Code.ResourceExhausted);
  });
});
