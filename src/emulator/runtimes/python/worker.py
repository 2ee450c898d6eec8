"""The local Ignite's managed Python runtime: the worker of one pod (docs/pod-protocol.md).

The pod agent starts this file with the version's tree as the working directory. It imports
`handler.py`, says it is ready, and answers each request frame by calling
`handler(payload, ctx)` as the platform pages define it:

- payload: the raw request body (bytes);
- ctx: {"execution_id", "function_id" ("org/name"), "organization_id"};
- the return value is encoded by type: dict/list -> JSON, str -> UTF-8 text, bytes as-is,
  anything else through json.dumps;
- a generator streams (seed 002, "streaming apps"): each yielded item is sent as it comes.

Frames travel on stdin (requests) and on a duplicate of the original stdout (answers);
fd 1 is then pointed at stderr, so `print()` in a handler lands in the app log instead of
corrupting the framing. Only the stdlib modules below are imported before the handler (a
pool-mode cold start pays for every import); `traceback` is imported lazily on failure.

Requests are served concurrently by a pool of threads in leader/follower fashion: one thread
at a time reads the next frame, and a thread that takes a request makes sure another one is
reading, so a slow handler never holds up the next request.
"""
import json
import os
import struct
import sys
import _thread

FUNCTION_ID = os.environ.pop("IGNITE_FUNCTION_ID", "")
ORGANIZATION_ID = os.environ.pop("IGNITE_ORGANIZATION_ID", "")
# Packages of the pre-installed set the local Ignite could not install on this machine.
PREINSTALLED_MISSING = set(filter(None, os.environ.pop("IGNITE_PREINSTALLED_MISSING", "").split(",")))

MAGIC = b"IGN1"
HEADER = struct.Struct("<4scII")
STATUS_TYPE = struct.Struct("<HH")
MAX_PAYLOAD = 64 << 20

HANDLER = None
LOAD_ERROR = ""


def log_exception(prefix):
    import traceback

    sys.stderr.write(prefix + "\n" + traceback.format_exc())
    sys.stderr.flush()


def load_handler():
    """Imports handler.py from the working directory; on failure keeps a one-line reason."""
    global HANDLER, LOAD_ERROR
    app_dir = os.getcwd()
    # sys.path[0] is this file's folder when run as a script; the app's folder replaces it
    # so `import handler` (and the app's own modules) resolve from the published tree.
    sys.path[0] = app_dir
    if not os.path.isfile(os.path.join(app_dir, "handler.py")):
        LOAD_ERROR = "the published version has no handler.py; put def handler(payload, ctx) in handler.py"
        sys.stderr.write("[ignite] " + LOAD_ERROR + "\n")
        return
    try:
        import handler as module
    except BaseException as err:  # SyntaxError, ModuleNotFoundError, SystemExit, ...
        LOAD_ERROR = "handler.py failed to import: %s: %s; see the app logs" % (type(err).__name__, err)
        top = (getattr(err, "name", None) or "").split(".")[0]
        if isinstance(err, ModuleNotFoundError) and top in PREINSTALLED_MISSING:
            LOAD_ERROR = (
                "handler.py failed to import: ModuleNotFoundError: No module named %r; %s is in the platform's "
                "pre-installed set, which the local Ignite could not install on this machine (run `npm run setup` "
                "where the package registry is reachable)" % (err.name, top)
            )
        log_exception("[ignite] handler.py failed to import:")
        return
    fn = getattr(module, "handler", None)
    if not callable(fn):
        LOAD_ERROR = "handler.py has no top-level function named `handler`; expose def handler(payload, ctx)"
        sys.stderr.write("[ignite] " + LOAD_ERROR + "\n")
        return
    HANDLER = fn


def error_body(message, execution_id):
    return json.dumps({"error": message, "execution_id": execution_id}).encode("utf-8")


def invoke(payload, execution_id):
    """Runs the handler once; returns (status, content_type, body_bytes), or a Stream."""
    if HANDLER is None:
        return 500, "application/json", error_body(LOAD_ERROR, execution_id)
    ctx = {"execution_id": execution_id, "function_id": FUNCTION_ID, "organization_id": ORGANIZATION_ID}
    try:
        result = HANDLER(payload, ctx)
    except BaseException:
        log_exception("[ignite] execution %s: handler raised an exception:" % (execution_id or "-"))
        return 500, "application/json", error_body("handler raised an exception; see the app logs", execution_id)
    if hasattr(result, "__next__") and hasattr(result, "__iter__"):
        return Stream(result, execution_id)  # a generator: a streaming app
    try:
        if isinstance(result, (bytes, bytearray, memoryview)):
            return 200, "application/octet-stream", bytes(result)
        if isinstance(result, str):
            return 200, "text/plain; charset=utf-8", result.encode("utf-8")
        return 200, "application/json", json.dumps(result).encode("utf-8")
    except BaseException:
        log_exception("[ignite] execution %s: the handler's return value could not be encoded:" % (execution_id or "-"))
        message = "handler returned a %s, which json.dumps cannot encode; see the app logs" % type(result).__name__
        return 500, "application/json", error_body(message, execution_id)


class Stream:
    """A streaming app's output: each item the generator yields is sent as it comes, encoded
    by type like a return value (dict/list/other as one JSON line), the first item deciding
    the content type."""

    TYPES = {bytes: "application/octet-stream", str: "text/plain; charset=utf-8"}

    def __init__(self, items, execution_id):
        self.items = items
        self.execution_id = execution_id

    @staticmethod
    def encode(item):
        if isinstance(item, (bytes, bytearray, memoryview)):
            return bytes, bytes(item)
        if isinstance(item, str):
            return str, item.encode("utf-8")
        return None, (json.dumps(item) + "\n").encode("utf-8")

    def send(self, link, rid):
        started = False
        try:
            for item in self.items:
                kind, data = self.encode(item)
                if not started:
                    ctype = self.TYPES.get(kind, "application/x-ndjson").encode("latin-1")
                    link.send(b"H", rid, STATUS_TYPE.pack(200, len(ctype)) + ctype)
                    started = True
                if data:
                    link.send(b"C", rid, data)
        except BaseException:
            log_exception("[ignite] execution %s: the streaming handler raised an exception:" % (self.execution_id or "-"))
            if not started:
                link.answer(rid, 500, "application/json", error_body("handler raised an exception; see the app logs", self.execution_id))
            else:
                link.send(b"X", rid, b"the streaming handler raised an exception; see the app logs")
            return
        if not started:
            link.send(b"H", rid, STATUS_TYPE.pack(200, 24) + b"application/octet-stream")
        link.send(b"E", rid, b"")


# ---- frames ------------------------------------------------------------------------------


class Link:
    """The worker's two pipes: one reader at a time (the leader), writes under a lock."""

    def __init__(self, in_fd, out_fd):
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.buf = bytearray()
        self.read_lock = _thread.allocate_lock()
        self.write_lock = _thread.allocate_lock()
        self.state = _thread.allocate_lock()
        self.idle = 0  # threads waiting to read or reading

    def fill(self, n):
        while len(self.buf) < n:
            data = os.read(self.in_fd, 1 << 16)
            if not data:
                os._exit(0)  # the agent is gone: the lifeline
            self.buf += data

    def next_request(self):
        """(id, method, path, execution_id, body) of the next request frame."""
        self.fill(HEADER.size)
        magic, kind, rid, length = HEADER.unpack_from(self.buf)
        if magic != MAGIC or kind != b"Q" or length > MAX_PAYLOAD:
            sys.stderr.write("[ignite] the pod agent sent an invalid frame; the worker stops\n")
            os._exit(70)
        self.fill(HEADER.size + length)
        p = bytes(self.buf[HEADER.size : HEADER.size + length])
        del self.buf[: HEADER.size + length]
        n = p[0]
        method = p[1 : 1 + n]
        at = 1 + n
        (n,) = struct.unpack_from("<H", p, at)
        path = p[at + 2 : at + 2 + n]
        at += 2 + n
        (n,) = struct.unpack_from("<H", p, at)
        execution_id = p[at + 2 : at + 2 + n].decode("utf-8", "replace")
        return rid, method, path, execution_id, p[at + 2 + n :]

    def send(self, kind, rid, payload):
        data = HEADER.pack(MAGIC, kind, rid, len(payload)) + payload
        with self.write_lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.out_fd, view) :]

    def answer(self, rid, status, content_type, body):
        ctype = content_type.encode("latin-1")
        self.send(b"A", rid, STATUS_TYPE.pack(status, len(ctype)) + ctype + body)


def serve(link):
    """One thread of the pool: lead (read a frame), then follow (run it), forever."""
    while True:
        with link.state:
            link.idle += 1
        with link.read_lock:
            rid, _method, _path, execution_id, body = link.next_request()
        with link.state:
            link.idle -= 1
            spawn = link.idle == 0
        if spawn:
            _thread.start_new_thread(serve, (link,))  # someone must read the next request
        outcome = invoke(body, execution_id)
        try:
            if isinstance(outcome, Stream):
                outcome.send(link, rid)
            else:
                link.answer(rid, *outcome)
        except OSError:
            os._exit(0)  # the agent is gone


def main():
    out_fd = os.dup(1)
    os.set_inheritable(out_fd, False)  # a handler's subprocesses must not write frames
    os.dup2(2, 1)  # print() goes to the app log
    load_handler()
    link = Link(0, out_fd)
    link.send(b"Y", 0, b"")
    serve(link)


if __name__ == "__main__":
    main()
