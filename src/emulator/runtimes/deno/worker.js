// The local Ignite's Deno runtime: the worker of one pod (docs/pod-protocol.md), run by
// `deno run` with the version's tree as the working directory. Plain JavaScript so tsc (which
// builds the package for Node) leaves it alone; Deno runs it as is.
//
// It imports main.ts, says it is ready, and answers each request frame by calling the default
// export `handler(payload, ctx)` (docs/runtime.md, "Deno apps"), mirroring the Python contract:
//   payload  the raw request body (Uint8Array);
//   ctx      { execution_id, function_id ("org/name"), organization_id };
//   result   Uint8Array/ArrayBuffer sent verbatim, string as UTF-8, anything else as JSON;
//            a Promise is awaited; an async (or sync) generator streams, item by item.
//
// Frames travel on stdin (requests) and on a duplicate of the original stdout (answers);
// fd 1 is then pointed at stderr (libc's fcntl and dup2 through Deno's FFI), so console.log()
// in a handler, and a subprocess that inherits stdout, land in the app log instead of
// corrupting the framing. Requests are served concurrently: each one is its own async task on
// the event loop.

const FUNCTION_ID = Deno.env.get("IGNITE_FUNCTION_ID") ?? "";
const ORGANIZATION_ID = Deno.env.get("IGNITE_ORGANIZATION_ID") ?? "";
Deno.env.delete("IGNITE_FUNCTION_ID");
Deno.env.delete("IGNITE_ORGANIZATION_ID");

const MAGIC = [0x49, 0x47, 0x4e, 0x31]; // "IGN1"
const HEADER = 13;
const MAX_PAYLOAD = 64 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const out = framingOutput();

/**
 * The answers' channel: a close-on-exec duplicate of fd 1 (libc through Deno's FFI; any kind of
 * descriptor: a pipe, a socket), then fd 1 → stderr. Without FFI (no glibc), a second open of
 * the pipe, and only the console kept off the framing.
 */
function framingOutput() {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
      dup2: { parameters: ["i32", "i32"], result: "i32" },
      write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    });
    const F_DUPFD_CLOEXEC = 1030;
    const fd = libc.symbols.fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (fd < 0 || libc.symbols.dup2(2, 1) !== 1) throw new Error("dup failed");
    return {
      writeSync(bytes) {
        const n = Number(libc.symbols.write(fd, bytes, bytes.length));
        if (n < 0) Deno.exit(0); // the agent is gone
        return n;
      },
    };
  } catch (err) {
    const log = (...args) => console.error(...args);
    console.log = console.info = console.debug = log;
    console.error(`[ignite] could not point fd 1 at the app log (${err}); console.log goes to stderr, but writes to Deno.stdout corrupt the framing`);
    return Deno.openSync("/proc/self/fd/1", { write: true });
  }
}

function send(kind, id, payload = new Uint8Array(0)) {
  const frame = new Uint8Array(HEADER + payload.length);
  frame.set(MAGIC, 0);
  frame[4] = kind.charCodeAt(0);
  const view = new DataView(frame.buffer);
  view.setUint32(5, id, true);
  view.setUint32(9, payload.length, true);
  frame.set(payload, HEADER);
  // One synchronous write loop per frame: frames of concurrent requests never interleave.
  for (let at = 0; at < frame.length; ) at += out.writeSync(frame.subarray(at));
}

function statusType(status, contentType, body = new Uint8Array(0)) {
  const type = encoder.encode(contentType);
  const p = new Uint8Array(4 + type.length + body.length);
  const view = new DataView(p.buffer);
  view.setUint16(0, status, true);
  view.setUint16(2, type.length, true);
  p.set(type, 4);
  p.set(body, 4 + type.length);
  return p;
}

const answer = (id, status, contentType, body) => send("A", id, statusType(status, contentType, body));
const errorBody = (message, executionId) => encoder.encode(JSON.stringify({ error: message, execution_id: executionId }));

function logError(prefix, err) {
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  console.error(`${prefix}\n${detail}`);
}

// ---- the handler ---------------------------------------------------------------------------

let handler;
let loadError = "";

async function loadHandler() {
  const file = `${Deno.cwd()}/main.ts`;
  try {
    Deno.statSync(file);
  } catch {
    loadError = "the published version has no main.ts; put `export default function handler(payload, ctx)` in main.ts";
    console.error(`[ignite] ${loadError}`);
    return;
  }
  let module;
  try {
    module = await import(new URL(`file://${file}`).href);
  } catch (err) {
    const what = err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : String(err);
    loadError = `main.ts failed to load: ${what}; see the app logs`;
    logError("[ignite] main.ts failed to load:", err);
    return;
  }
  if (typeof module.default !== "function") {
    loadError =
      typeof module.handler === "function"
        ? "main.ts exports `handler` by name, but the runtime calls the default export: make it `export default function handler(payload, ctx)`"
        : "main.ts has no default export function; expose `export default function handler(payload, ctx)`";
    console.error(`[ignite] ${loadError}`);
    return;
  }
  handler = module.default;
}

/** Bytes and content type of one value, by type, as the Python runtime encodes it. */
function encode(value) {
  if (value instanceof Uint8Array) return ["application/octet-stream", value];
  if (value instanceof ArrayBuffer) return ["application/octet-stream", new Uint8Array(value)];
  if (ArrayBuffer.isView(value)) return ["application/octet-stream", new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  if (typeof value === "string") return ["text/plain; charset=utf-8", encoder.encode(value)];
  return ["application/json", encoder.encode(JSON.stringify(value) ?? "null")];
}

const isStream = (v) =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  !ArrayBuffer.isView(v) &&
  (typeof v[Symbol.asyncIterator] === "function" || (typeof v[Symbol.iterator] === "function" && typeof v.next === "function"));

async function serve(id, executionId, payload) {
  if (!handler) return answer(id, 500, "application/json", errorBody(loadError, executionId));
  const ctx = { execution_id: executionId, function_id: FUNCTION_ID, organization_id: ORGANIZATION_ID };
  let result;
  try {
    result = await handler(payload, ctx);
  } catch (err) {
    logError(`[ignite] execution ${executionId || "-"}: handler threw an exception:`, err);
    return answer(id, 500, "application/json", errorBody("handler threw an exception; see the app logs", executionId));
  }
  if (isStream(result)) return stream(id, executionId, result);
  let encoded;
  try {
    encoded = encode(result);
  } catch (err) {
    logError(`[ignite] execution ${executionId || "-"}: the handler's return value could not be encoded:`, err);
    const type = result?.constructor?.name ?? typeof result;
    return answer(id, 500, "application/json", errorBody(`handler returned a ${type}, which JSON.stringify cannot encode; see the app logs`, executionId));
  }
  answer(id, 200, encoded[0], encoded[1]);
}

/**
 * A streaming app: each item is sent as it is yielded (bytes verbatim, strings as UTF-8,
 * anything else as one JSON line); the first item decides the content type.
 */
async function stream(id, executionId, items) {
  let started = false;
  try {
    for await (const item of items) {
      const [type, data] = typeof item === "string" || item instanceof Uint8Array || ArrayBuffer.isView(item) || item instanceof ArrayBuffer
        ? encode(item)
        : ["application/x-ndjson", encoder.encode(`${JSON.stringify(item) ?? "null"}\n`)];
      if (!started) {
        send("H", id, statusType(200, type));
        started = true;
      }
      if (data.length > 0) send("C", id, data);
    }
  } catch (err) {
    logError(`[ignite] execution ${executionId || "-"}: the streaming handler threw an exception:`, err);
    if (!started) return answer(id, 500, "application/json", errorBody("handler threw an exception; see the app logs", executionId));
    return send("X", id, encoder.encode("the streaming handler threw an exception; see the app logs"));
  }
  if (!started) send("H", id, statusType(200, "application/octet-stream"));
  send("E", id);
}

// ---- requests ------------------------------------------------------------------------------

function parseRequest(p) {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let at = 1 + p[0]; // method
  const pathLength = view.getUint16(at, true);
  at += 2 + pathLength;
  const idLength = view.getUint16(at, true);
  const executionId = decoder.decode(p.subarray(at + 2, at + 2 + idLength));
  return { executionId, body: p.slice(at + 2 + idLength) };
}

async function readRequests() {
  let buf = new Uint8Array(0);
  const reader = Deno.stdin.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) Deno.exit(0); // the agent is gone: the lifeline
    const joined = new Uint8Array(buf.length + value.length);
    joined.set(buf);
    joined.set(value, buf.length);
    buf = joined;
    while (buf.length >= HEADER) {
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const length = view.getUint32(9, true);
      if (buf[0] !== MAGIC[0] || buf[1] !== MAGIC[1] || buf[2] !== MAGIC[2] || buf[3] !== MAGIC[3] || buf[4] !== 0x51 || length > MAX_PAYLOAD) {
        console.error("[ignite] the pod agent sent an invalid frame; the worker stops");
        Deno.exit(70);
      }
      if (buf.length < HEADER + length) break;
      const id = view.getUint32(5, true);
      const { executionId, body } = parseRequest(buf.subarray(HEADER, HEADER + length));
      buf = buf.slice(HEADER + length);
      serve(id, executionId, body).catch((err) => logError("[ignite] the worker failed to answer:", err));
    }
  }
}

// Errors that escape a handler's own promise chain (a rejected promise nobody awaits, a throw in
// a timer) are logged; the worker keeps serving, as a Python worker thread would.
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  logError("[ignite] unhandled promise rejection:", e.reason);
});
globalThis.addEventListener("error", (e) => {
  e.preventDefault();
  logError("[ignite] uncaught exception:", e.error);
});

await loadHandler();
send("Y", 0);
await readRequests();
