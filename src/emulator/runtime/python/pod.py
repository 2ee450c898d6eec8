"""The local Ignite's managed Python runtime: one pod process serving one published version.

The emulator starts this file with the version's extracted tree as the working directory.
It imports `handler.py`, binds 127.0.0.1 on a free port, reports `READY <port>` on the
file descriptor named by IGNITE_READY_FD, and serves every path and verb by calling
`handler(payload, ctx)` as the platform pages define it:

- payload: the raw request body (bytes);
- ctx: {"execution_id", "function_id" ("org/name"), "organization_id"};
- the return value is encoded by type: dict/list -> JSON, str -> UTF-8 text, bytes as-is,
  anything else through json.dumps.

Why a hand-written HTTP/1.1 loop rather than http.server: http.server pulls in email,
html, mimetypes and urllib (~30 ms of imports), which would dominate a pool-mode cold
start. Only the stdlib modules below are imported before the handler; `traceback` is
imported lazily when something fails.

Tracebacks and anything the handler prints go to stdout/stderr, which the emulator
appends to the app's log file; response bodies never carry a traceback.
"""
import json
import os
import socket
import sys
import _thread

MAX_LINE = 65536
MAX_HEADERS = 200
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}

FUNCTION_ID = os.environ.pop("IGNITE_FUNCTION_ID", "")
ORGANIZATION_ID = os.environ.pop("IGNITE_ORGANIZATION_ID", "")
READY_FD = int(os.environ.pop("IGNITE_READY_FD", "3"))

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
    """Runs the handler once; returns (status, content_type, body_bytes)."""
    if HANDLER is None:
        return 500, "application/json", error_body(LOAD_ERROR, execution_id)
    ctx = {"execution_id": execution_id, "function_id": FUNCTION_ID, "organization_id": ORGANIZATION_ID}
    try:
        result = HANDLER(payload, ctx)
    except BaseException:
        log_exception("[ignite] execution %s: handler raised an exception:" % (execution_id or "-"))
        return 500, "application/json", error_body("handler raised an exception; see the app logs", execution_id)
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


def read_body(stream, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size_line = stream.readline(MAX_LINE)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while stream.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers of the request: ignored
                return b"".join(parts)
            parts.append(stream.read(size))
            stream.readline(MAX_LINE)
    length = int(headers.get("content-length", "0") or "0")
    return stream.read(length) if length > 0 else b""


def serve_connection(conn):
    """HTTP/1.1 with keep-alive: the emulator's proxy reuses connections to the pod."""
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream = conn.makefile("rb")
        while True:
            line = stream.readline(MAX_LINE)
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue
            parts = line.split()
            if len(parts) != 3:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            method, _target, version = parts
            headers = {}
            for _ in range(MAX_HEADERS):
                h = stream.readline(MAX_LINE)
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("expect", "").lower() == "100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            payload = read_body(stream, headers)
            execution_id = headers.get("x-ignite-execution-id", "")
            status, content_type, body = invoke(payload, execution_id)
            keep_alive = version == b"HTTP/1.1" and headers.get("connection", "").lower() != "close"
            head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
                status,
                REASONS.get(status, "Unknown"),
                content_type,
                len(body),
                "" if keep_alive else "Connection: close\r\n",
            )
            conn.sendall(head.encode("latin-1") + (b"" if method == b"HEAD" else body))
            if not keep_alive:
                return
    except (OSError, ValueError):
        pass  # the client went away or sent garbage: drop the connection
    finally:
        try:
            conn.close()
        except OSError:
            pass


def exit_with_parent():
    """The emulator holds our stdin open; EOF means it is gone, so the pod must not outlive it."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


def main():
    load_handler()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    os.write(READY_FD, ("READY %d\n" % server.getsockname()[1]).encode("ascii"))
    os.close(READY_FD)
    _thread.start_new_thread(exit_with_parent, ())
    while True:
        conn, _ = server.accept()
        _thread.start_new_thread(serve_connection, (conn,))


if __name__ == "__main__":
    main()
