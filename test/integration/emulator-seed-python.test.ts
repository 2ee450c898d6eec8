/**
 * Seed 001's programmatic example (CreateApp → SaveDraft → PublishDraft over HTTP, pbjson,
 * base64 `sourceCode`) runs against the local Ignite with only the base URL and token changed.
 * It runs the seed's own program, which needs Python `requests` (npm test's set-up installs it
 * from requirements-dev.txt; without it the test fails saying so), and makes the same JSON
 * calls with fetch.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocal, type Local } from "../support/local-ignite";

const hasRequests = (() => {
  try {
    execFileSync("python3", ["-c", "import requests"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

// The seed's program, verbatim except API/TOKEN come from the environment.
const SEED_PROGRAM = String.raw`
import base64
import os
import time

import requests

API = os.environ["IGNITE_HTTP"]
ORG = "acme-corp"
APP = "greet"

TOKEN = os.environ["DODIL_TOKEN"]
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json",
}

HANDLER_SRC = b'''import json
from datetime import datetime, timezone

def handler(payload, ctx):
    try:
        event = json.loads(payload) if payload else {}
    except (TypeError, ValueError):
        event = {}
    name = event.get("name", "world")
    return {
        "greeting": f"Hello, {name}!",
        "execution_id": ctx.get("execution_id", ""),
        "function_id": ctx.get("function_id", ""),
        "received_at": datetime.now(timezone.utc).isoformat(),
    }
'''

def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

resp = requests.post(
    f"{API}/v1/ignite/app/{ORG}",
    headers=HEADERS,
    json={
        "name": APP,
        "resourceTier": "RESOURCE_TIER_SMALL",
        "description": "A tiny greeting microservice",
    },
)
resp.raise_for_status()
print("created:", resp.json()["appId"])

resp = requests.post(
    f"{API}/v1/ignite/app/{ORG}/{APP}/draft",
    headers=HEADERS,
    json={
        "code": {
            "compile": {
                "runtime": {"python": {}},
                "sourceCode": b64(HANDLER_SRC),
            }
        }
    },
)
resp.raise_for_status()
print("draft saved:", resp.json()["draft"]["codeHash"])

resp = requests.post(
    f"{API}/v1/ignite/app/{ORG}/{APP}/draft/publish",
    headers=HEADERS,
    json={},
)
resp.raise_for_status()
print("published version:", resp.json()["publishedVersion"])
`;

let t: Local;
beforeAll(async () => {
  t = await startLocal();
});
afterAll(async () => {
  await t?.stop();
});

describe("seed 001, the programmatic way", () => {
  it("runs the seed's Python requests program unchanged but for the base URL and token", async () => {
    expect(hasRequests, "python3 cannot import requests: pip install -r requirements-dev.txt (npm test's set-up does)").toBe(true);
    const { stdout } = await promisify(execFile)("python3", ["-c", SEED_PROGRAM], {
      env: { ...process.env, IGNITE_HTTP: t.emu.httpUrl, DODIL_TOKEN: t.emu.token },
    });
    expect(stdout).toMatch(/^created: acme-corp\/greet$/m);
    expect(stdout).toMatch(/^draft saved: sha256:[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^published version: 1$/m);
    const app = await t.fetchJson("GET", "/v1/ignite/app/acme-corp/greet");
    expect(app.json).toMatchObject({ app: { activeVersion: 1, publicUrls: [expect.stringMatching(/^http:\/\/greet-acme-corp\.ignite\.localhost:\d+$/)] } });
  });

  it("makes the same three JSON calls with fetch and gets the same answers", async () => {
    const src = Buffer.from("def handler(payload, ctx):\n    return {}\n").toString("base64");
    const created = await t.fetchJson("POST", "/v1/ignite/app/acme-corp", { name: "greet-fetch", resourceTier: "RESOURCE_TIER_SMALL", description: "A tiny greeting microservice" });
    expect(created.json).toMatchObject({ appId: "acme-corp/greet-fetch" });
    const saved = await t.fetchJson("POST", "/v1/ignite/app/acme-corp/greet-fetch/draft", { code: { compile: { runtime: { python: {} }, sourceCode: src } } });
    expect((saved.json as { draft: { codeHash: string } }).draft.codeHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const published = await t.fetchJson("POST", "/v1/ignite/app/acme-corp/greet-fetch/draft/publish", {});
    expect(published.json).toMatchObject({ publishedVersion: 1 });
  });
});
