// One sample app per runtime for the conformance suite (runtime-conformance.test.ts). Every
// sample answers the same JSON operations, {"op": ...}:
//   echo    {"echo": text, "execution_id", "function_id"}
//   fail    the handler's own error (a raised exception, an Err): a 500 with a JSON error
//   crash   the process dies (os._exit, abort)
//   pid     {"pid": the worker's process id}
//   wait    returns {"waited": true} only once a "release" request has run
//   release {"released": true}
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AppMeta, CreateAppRequestSchema } from "../../src/gen/dodil/ignite/v1/compute_pb";
import type { Local } from "./invoke-support";

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
  ];
}
