// One sample app per runtime for the conformance suite (runtime-conformance.test.ts). Every
// sample answers the same JSON operations, {"op": ...}:
//   echo    {"echo": text, "execution_id", "function_id"}
//   fail    the handler's own error (a raised exception, an Err): a 500 with a JSON error
//   crash   the process dies (os._exit, abort)
//   pid     {"pid": the worker's process id}
//   wait    returns {"waited": true} only once a "release" request has run
//   release {"released": true}
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CompileState, CreateAppRequestSchema, Runtime, RustTarget, type AppMeta } from "../../src/gen/dodil/ignite/v1/compute_pb";
import { tarGz } from "../support/archive";
import { wasmUnavailable } from "../support/rust";
import { denoBinary } from "../../src/emulator/runtimes/deno/index";
import type { Local } from "../support/local-ignite";

export interface Sample {
  /** The suite's name for it; IGNITE_SKIP_RUNTIMES names these. */
  name: string;
  /** The runtime plug-in (src/emulator/runtimes) that runs it. */
  plugin: string;
  /** Why it cannot run on this machine, or undefined. */
  missing(): string | undefined;
  /** Creates, saves (compiles) and publishes the app. */
  deploy(local: Local, app: string, init?: Partial<MessageInitShape<typeof CreateAppRequestSchema>>): Promise<AppMeta>;
  /** The compiled artifact of version 1, for runtimes that have one. */
  artifact?(local: Local, appId: string): string;
  /** What a crashed request answers. */
  crashStatus: number;
  /** Whether one pod serves requests concurrently. */
  concurrent: boolean;
}

const PYTHON_HANDLER = `import json, os, threading

released = threading.Event()

def handler(payload, ctx):
    req = json.loads(payload or b"{}")
    op = req.get("op", "echo")
    if op == "fail":
        raise RuntimeError("asked to fail")
    if op == "crash":
        os._exit(3)
    if op == "pid":
        return {"pid": os.getpid()}
    if op == "wait":
        released.wait(30)
        return {"waited": released.is_set()}
    if op == "release":
        released.set()
        return {"released": True}
    return {"echo": req.get("text"), "execution_id": ctx["execution_id"], "function_id": ctx["function_id"]}
`;

// The same operations in Rust. `crash` aborts: natively the process dies; under Wasmtime the
// instance traps and is replaced. On wasm a request's worker is the runner, whose pid the
// runner hands the component as IGNITE_WORKER_PID (WASI has no pids).
const RUST_CARGO = `[package]
name = "conformance"
version = "0.1.0"
edition = "2021"

[dependencies]
ignite = "*"
serde_json = "1.0"
tokio = { version = "1.0", features = ["rt-multi-thread", "macros", "time"] }
`;

const RUST_HANDLER = `use ignite::prelude::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static RELEASED: AtomicBool = AtomicBool::new(false);

#[ignite::main]
async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> {
    let op: String = req.field("op").unwrap_or_else(|_| "echo".to_string());
    Ok(match op.as_str() {
        "fail" => return Err(Error::msg("asked to fail")),
        "crash" => std::process::abort(),
        "pid" => {
            let pid = std::env::var("IGNITE_WORKER_PID").ok().and_then(|p| p.parse::<u32>().ok());
            json!({ "pid": pid.unwrap_or_else(std::process::id) })
        }
        "wait" => {
            for _ in 0..3000 {
                if RELEASED.load(Ordering::SeqCst) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            json!({ "waited": RELEASED.load(Ordering::SeqCst) })
        }
        "release" => {
            RELEASED.store(true, Ordering::SeqCst);
            json!({ "released": true })
        }
        _ => json!({
            "echo": req.field::<String>("text").ok(),
            "execution_id": ctx.execution_id(),
            "function_id": ctx.function_id(),
        }),
    })
}
`;

/**
 * CreateApp (unless it exists) → SaveDraft (the crate's files, for `target`) → CompileDraft
 * (real cargo) → PublishDraft.
 */
export async function deployRust(
  local: Local,
  app: string,
  target: RustTarget,
  files: Record<string, string> = { "Cargo.toml": RUST_CARGO, "src/lib.rs": RUST_HANDLER },
  init: Partial<MessageInitShape<typeof CreateAppRequestSchema>> = {},
): Promise<AppMeta> {
  const c = local.client;
  const org = init.organizationName ?? local.emu.org;
  const exists = (await c.listApps({ organizationName: org })).apps.some((a) => a.name === app);
  if (!exists) await c.createApp(create(CreateAppRequestSchema, { ...init, runtime: Runtime.RUST, organizationName: org, name: app } as MessageInitShape<typeof CreateAppRequestSchema>));
  const archive = await tarGz(files);
  await c.saveDraft({
    organizationName: org,
    appName: app,
    code: { source: { case: "compile", value: { runtime: { runtime: { case: "rust", value: { target } } }, input: { case: "archive", value: archive } } } },
  });
  await c.compileDraft({ organizationName: org, appName: app });
  const log: string[] = [];
  for await (const l of c.streamCompileLogs({ organizationName: org, appName: app, follow: true })) log.push(l.line);
  const draft = (await c.getDraft({ organizationName: org, appName: app })).draft!;
  if (draft.compileState !== CompileState.SUCCEEDED) throw new Error(`the ${app} sample did not compile: ${draft.compileError}\n${log.join("\n")}`);
  return (await c.publishDraft({ organizationName: org, appName: app })).app!;
}

// The same operations in TypeScript for Deno: an async handler, so "wait" yields the event loop
// to the "release" request.
const DENO_HANDLER = `let release: () => void = () => {};
const released = new Promise<void>((resolve) => (release = resolve));
let isReleased = false;

export default async function handler(payload: Uint8Array, ctx: { execution_id: string; function_id: string; organization_id: string }) {
  const req = payload.length ? JSON.parse(new TextDecoder().decode(payload)) : {};
  switch (req.op ?? "echo") {
    case "fail":
      throw new Error("asked to fail");
    case "crash":
      Deno.exit(3);
    case "pid":
      return { pid: Deno.pid };
    case "wait":
      await Promise.race([released, new Promise((r) => setTimeout(r, 30_000))]);
      return { waited: isReleased };
    case "release":
      isReleased = true;
      release();
      return { released: true };
    default:
      return { echo: req.text, execution_id: ctx.execution_id, function_id: ctx.function_id };
  }
}
`;

// And in Go: each request is its own goroutine.
const GO_HANDLER = `package main

import (
	"encoding/json"
	"errors"
	"os"
	"time"

	"dodil.io/ignite"
)

var released = make(chan struct{})

func Handler(payload []byte, ctx ignite.Context) (any, error) {
	var req struct {
		Op   string \`json:"op"\`
		Text string \`json:"text"\`
	}
	_ = json.Unmarshal(payload, &req)
	switch req.Op {
	case "fail":
		return nil, errors.New("asked to fail")
	case "crash":
		os.Exit(3)
	case "pid":
		return map[string]int{"pid": os.Getpid()}, nil
	case "wait":
		select {
		case <-released:
			return map[string]bool{"waited": true}, nil
		case <-time.After(30 * time.Second):
			return map[string]bool{"waited": false}, nil
		}
	case "release":
		close(released)
		return map[string]bool{"released": true}, nil
	}
	return map[string]string{"echo": req.Text, "execution_id": ctx.ExecutionID, "function_id": ctx.FunctionID}, nil
}
`;

/**
 * CreateApp (unless it exists) → SaveDraft (the files, as an archive, for `runtime`) →
 * PublishDraft, which builds Go and Deno drafts.
 */
export async function deployRuntime(
  local: Local,
  app: string,
  runtime: "deno" | "go",
  files: Record<string, string>,
  init: Partial<MessageInitShape<typeof CreateAppRequestSchema>> = {},
): Promise<AppMeta> {
  const c = local.client;
  const org = init.organizationName ?? local.emu.org;
  const exists = (await c.listApps({ organizationName: org })).apps.some((a) => a.name === app);
  if (!exists) {
    await c.createApp(create(CreateAppRequestSchema, { ...init, runtime: runtime === "go" ? Runtime.GO : Runtime.DENO, organizationName: org, name: app } as MessageInitShape<typeof CreateAppRequestSchema>));
  }
  await c.saveDraft({
    organizationName: org,
    appName: app,
    code: { source: { case: "compile", value: { runtime: { runtime: { case: runtime, value: {} } }, input: { case: "archive", value: await tarGz(files) } } } },
  });
  return (await c.publishDraft({ organizationName: org, appName: app })).app!;
}

const noCargo = (): string | undefined => (spawnSync("cargo", ["--version"]).status === 0 ? undefined : "cargo is not installed (install Rust with rustup)");
const noGo = (): string | undefined => (spawnSync("go", ["version"]).status === 0 ? undefined : "go is not installed (the local Ignite builds Go apps with the machine's toolchain)");
const noDeno = (): string | undefined => (denoBinary() ? undefined : "deno is not installed (npm ci installs the optional dependency `deno`)");
const versionOneArtifact = (local: Local, appId: string): string => path.join(local.emu.dataDir, "apps", ...appId.split("/"), "versions", "1", "artifact");

export function conformanceSamples(): Sample[] {
  return [
    {
      name: "python",
      plugin: "python",
      missing: () => undefined,
      deploy: (local, app, init) => local.deploy(app, { "handler.py": PYTHON_HANDLER }, init),
      crashStatus: 502,
      concurrent: true,
    },
    {
      name: "rust-native",
      plugin: "rust",
      missing: noCargo,
      deploy: (local, app, init) => deployRust(local, app, RustTarget.NATIVE, undefined, init),
      artifact: versionOneArtifact,
      crashStatus: 502,
      concurrent: true,
    },
    {
      name: "rust-wasm",
      plugin: "rust",
      missing: () => noCargo() ?? wasmUnavailable(),
      deploy: (local, app, init) => deployRust(local, app, RustTarget.WASM, undefined, init),
      artifact: versionOneArtifact,
      // The instance traps and the runner answers the request; the pod lives on.
      crashStatus: 500,
      // One instance serves one request at a time.
      concurrent: false,
    },
    {
      name: "deno",
      plugin: "deno",
      missing: noDeno,
      deploy: (local, app, init) => deployRuntime(local, app, "deno", { "main.ts": DENO_HANDLER }, init),
      crashStatus: 502,
      concurrent: true,
    },
    {
      name: "go",
      plugin: "go",
      missing: noGo,
      deploy: (local, app, init) => deployRuntime(local, app, "go", { "main.go": GO_HANDLER }, init),
      artifact: versionOneArtifact,
      crashStatus: 502,
      concurrent: true,
    },
  ];
}
