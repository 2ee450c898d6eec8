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

Requests arrive two ways: over connections the emulator's relay opens to the port above,
and over client connections the relay hands over through Node's IPC channel once it has
served them (see "connection handoff" below and docs/runtime.md).
"""
import json
import os
import socket
import sys
import time
import _thread

MAX_LINE = 65536
MAX_HEADERS = 200
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}

FUNCTION_ID = os.environ.pop("IGNITE_FUNCTION_ID", "")
ORGANIZATION_ID = os.environ.pop("IGNITE_ORGANIZATION_ID", "")
READY_FD = int(os.environ.pop("IGNITE_READY_FD", "3"))
# The emulator's IPC channel (Node's child_process "ipc" stdio): connection handoff.
CHANNEL_FD = os.environ.pop("NODE_CHANNEL_FD", None)
os.environ.pop("NODE_CHANNEL_SERIALIZATION_MODE", None)

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


class Reader:
    """The bytes of one connection: an explicit buffer, so unread bytes can be handed back."""

    __slots__ = ("sock", "buf", "handoff")

    def __init__(self, sock, handoff):
        self.sock = sock
        self.buf = bytearray()
        self.handoff = handoff

    def more(self):
        while True:
            try:
                data = self.sock.recv(65536)
                break
            except BlockingIOError:  # a handed socket is non-blocking
                self.handoff.wait_io(True)
        if not data:
            raise EOFError
        self.buf += data

    def head_end(self):
        """(end of the head, length of its terminator); waits for the complete head."""
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                return i, 4
            i = self.buf.find(b"\n\n")
            if i >= 0:
                return i, 2
            if len(self.buf) > MAX_LINE:
                raise ValueError("request head too large")
            self.more()

    def exact(self, n):
        while len(self.buf) < n:
            self.more()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                out = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return out
            if len(self.buf) > MAX_LINE:
                raise ValueError("line too long")
            self.more()


def parse_head(raw):
    """(method, target, version, headers, duplicated-or-folded) of a request head."""
    lines = raw.split(b"\n")
    parts = lines[0].rstrip(b"\r").split(b" ")
    if len(parts) != 3:
        return None
    headers = {}
    odd = len(lines) > MAX_HEADERS
    for h in lines[1:]:
        if h[:1] in (b" ", b"\t"):
            odd = True  # obsolete line folding
            continue
        name, _, value = h.decode("latin-1").partition(":")
        if name != name.strip(" \t"):
            odd = True  # whitespace before the colon
        name = name.strip(" \t\r").lower()
        if name in headers:
            odd = True
        headers[name] = value.strip(" \t\r")
    return parts[0], parts[1], parts[2], headers, odd


def read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            digits = reader.line().split(b";", 1)[0].strip(b" \t\r\n")
            if not digits or digits.strip(b"0123456789abcdefABCDEF"):
                raise ValueError("bad chunk size")
            size = int(digits, 16)
            if size == 0:
                while reader.line() not in (b"\r\n", b"\n"):
                    pass  # trailers of the request: ignored
                return b"".join(parts)
            parts.append(reader.exact(size))
            reader.line()
    length = int(headers.get("content-length", "0") or "0")
    return reader.exact(length) if length > 0 else b""


def serve_connection(conn, handoff=None):
    """HTTP/1.1 with keep-alive, on a connection the emulator opened (its relay) or handed over."""
    reader = Reader(conn, handoff)
    send = conn.sendall if handoff is None else handoff.send
    try:
        if handoff is None:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            if handoff is not None and not handoff.wait(reader):
                return
            while reader.buf[:2] == b"\r\n" or reader.buf[:1] == b"\n":
                del reader.buf[: 2 if reader.buf[:1] == b"\r" else 1]
            if handoff is not None and not reader.buf:
                handoff.idle()  # only blank lines between requests
                continue
            try:
                end, sep = reader.head_end()
            except ValueError:
                if handoff is None:
                    raise
                handoff.give_back(reader, "malformed")  # the emulator answers 431
                return
            parsed = parse_head(bytes(reader.buf[:end]))
            if handoff is not None:
                why = handoff.refusal(parsed, sep)
                if why:
                    handoff.give_back(reader, why)
                    return
                handoff.start()
            if parsed is None:
                send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            del reader.buf[: end + sep]
            method, _target, version, headers, _odd = parsed
            if headers.get("expect", "").lower() == "100-continue":
                send(b"HTTP/1.1 100 Continue\r\n\r\n")
            payload = read_body(reader, headers)
            if handoff is not None:
                execution_id = new_execution_id()
            else:
                execution_id = headers.get("x-ignite-execution-id", "")
            status, content_type, body = invoke(payload, execution_id)
            keep_alive = version == b"HTTP/1.1" and "close" not in [t.strip(" \t").lower() for t in headers.get("connection", "").split(",")]
            extra = "" if keep_alive else "Connection: close\r\n"
            if handoff is not None:
                handoff.responding()
                if handoff.cors:
                    extra += "Access-Control-Allow-Origin: *\r\n"
                if len(body) > handoff.max_bytes:
                    status, content_type, body = handoff.too_large
            head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
                status,
                REASONS.get(status, "Bad Gateway" if status == 502 else "Unknown"),
                content_type,
                len(body),
                extra,
            )
            send(head.encode("latin-1") + (b"" if method == b"HEAD" else body))
            if handoff is not None:
                handoff.done(reader)
            if not keep_alive:
                return
    except (OSError, ValueError, EOFError):
        pass  # the client went away or sent garbage: drop the connection
    finally:
        if handoff is not None:
            handoff.closed()
        else:
            try:
                conn.close()
            except OSError:
                pass


# ---- connection handoff ------------------------------------------------------------------
#
# Once the emulator's relay has served a keep-alive public-URL connection, it may hand the
# client socket itself to this pod (Node's IPC: a JSON line with the socket as SCM_RIGHTS),
# so later requests on it skip the relay. The emulator keeps its own descriptor of the
# socket, reads nothing from it while the pod holds it, and learns what the pod is doing
# from a slot table (inherited as fd 5, mapped here; see Handoff for a slot's layout). The
# pod serves a request only when it is exactly what the relay authorized (same host, same
# Authorization, token not expired, plain HTTP/1.1); anything else, and every connection
# when the emulator asks ("drain"), is given back at a request boundary with the bytes read
# but not served, and the reason.

IDLE_TIMEOUT_MS = 5000
SLOT_BYTES = 40
SLOTS_FD = int(os.environ.pop("IGNITE_SLOTS_FD", "5"))
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHANNEL = None
TABLE = None


def new_execution_id():
    """exec_ + a ULID, as the emulator makes them (runtime/ids.ts)."""
    t = time.time_ns() // 1000000
    stamp = []
    for _ in range(10):
        stamp.append(CROCKFORD[t % 32])
        t //= 32
    stamp.reverse()
    return "exec_" + "".join(stamp) + "".join([CROCKFORD[b % 32] for b in os.urandom(16)])


class Channel:
    """Node's IPC protocol (serialization "json"): one JSON document per line."""

    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        self.lock = _thread.allocate_lock()

    def send(self, message):
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            with self.lock:
                self.sock.sendall(data)
        except OSError:
            pass  # the emulator is gone; stdin EOF ends this process


class Generation:
    """Connections adopted between two drains; a drain wakes them through this pipe."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        self.stale = False
        self.users = 0
        self.lock = _thread.allocate_lock()

    def enter(self):
        with self.lock:
            self.users += 1

    def leave(self):
        with self.lock:
            self.users -= 1
            last = self.stale and self.users == 0
        if last:
            os.close(self.read_fd)
            os.close(self.write_fd)


GENERATION = None


class Handoff:
    """One handed-over connection: its guard, its slot, and how it ends.

    Slot (five little-endian doubles): [pending: since when bytes of a request are held (0
    when none), started: when the head was accepted (the app timeout counts from here),
    responding, requests served, last request done (epoch ms)]. pending and started are
    CLOCK_MONOTONIC ms, the clock the emulator's timers use, so a wall-clock step (a laptop
    waking up) cannot make a request look hung.
    """

    def __init__(self, sock, m):
        import select
        import struct

        self.sock = sock
        self.id = m["id"]
        self.host = m["host"]
        self.authorization = m.get("authorization")  # None: the app allows unauthenticated calls
        self.until = m.get("authUntil") or 0
        self.cors = bool(m.get("cors"))
        self.max_bytes = m["maxResponseBytes"]
        too_large = m["tooLarge"]
        self.too_large = (too_large["status"], "application/json", too_large["body"].encode("utf-8"))
        self.off = m["slot"] * SLOT_BYTES
        self.timeout_ms = max(1000, m["timeoutMs"])
        self.io_timeout_ms = IDLE_TIMEOUT_MS  # a request head gets what an idle connection gets
        self.select = select
        self.requests = 0
        self.over = False
        self.pack1 = struct.Struct("<d").pack_into
        self.pack2 = struct.Struct("<2d").pack_into
        self.pack5 = struct.Struct("<5d").pack_into
        self.generation = GENERATION
        self.generation.enter()
        self.poller = select.poll()
        self.poller.register(sock.fileno(), select.POLLIN)
        self.poller.register(self.generation.read_fd, select.POLLIN)

    def wait(self, reader):
        """Until a request's bytes are readable (True; marked pending first) or the connection is over."""
        if not reader.buf:
            while True:
                if self.generation.stale:
                    self.give_back(reader, "drain")
                    return False
                events = self.poller.poll(IDLE_TIMEOUT_MS)
                if not events:
                    return False  # idle: closed, as the relay closes idle connections
                if any(fd == self.sock.fileno() for fd, _ in events):
                    break
            self.pack1(TABLE, self.off, time.monotonic_ns() / 1e6)
            self.io_timeout_ms = IDLE_TIMEOUT_MS
            reader.more()  # EOFError when the client closed
        self.io_timeout_ms = IDLE_TIMEOUT_MS
        return True

    def idle(self):
        self.pack1(TABLE, self.off, 0.0)

    def start(self):
        """The head was accepted: the handler's time starts, and reads get the app timeout."""
        self.pack1(TABLE, self.off + 8, time.monotonic_ns() / 1e6)
        self.io_timeout_ms = self.timeout_ms

    def wait_io(self, readable):
        """Waits until the non-blocking socket can be read (or written)."""
        poller = self.select.poll()
        poller.register(self.sock.fileno(), self.select.POLLIN if readable else self.select.POLLOUT)
        if not poller.poll(self.io_timeout_ms):
            raise TimeoutError("the client stalled")

    def send(self, data):
        view = memoryview(data)
        while view:
            try:
                view = view[self.sock.send(view) :]
            except BlockingIOError:
                self.wait_io(False)

    def refusal(self, parsed, sep):
        """Why the relay must see this request (a short reason), or "" when it is exactly what the relay authorized."""
        if self.generation.stale:
            return "drain"
        if parsed is None or sep != 4:
            return "malformed"
        method, _target, version, headers, odd = parsed
        if odd or version != b"HTTP/1.1" or "upgrade" in headers:
            return "malformed"
        te = headers.get("transfer-encoding")
        if te is not None and (te.lower() != "chunked" or "content-length" in headers):
            return "malformed"
        length = headers.get("content-length")
        if length is not None and not (length.isascii() and length.isdigit()):
            return "malformed"
        host = headers.get("host", "")
        colon = host.rfind(":")
        if colon >= 0 and host[colon + 1 :].isascii() and host[colon + 1 :].isdigit():
            host = host[:colon]
        if host.lower() != self.host:
            return "credentials"
        if self.authorization is None:
            if "authorization" in headers:
                return "credentials"  # a token for an open app: the emulator keeps it from the app
            if method == b"OPTIONS" and "access-control-request-method" in headers:
                return "preflight"  # the emulator answers it
        elif headers.get("authorization") != self.authorization:
            return "credentials"
        if self.until and time.time() * 1000 >= self.until:
            return "credentials"
        return ""

    def responding(self):
        self.pack1(TABLE, self.off + 16, 1.0)

    def done(self, reader):
        """A request answered; pipelined bytes already read keep the slot pending."""
        self.requests += 1
        self.pack5(TABLE, self.off, time.monotonic_ns() / 1e6 if reader.buf else 0.0, 0.0, 0.0, float(self.requests), time.time() * 1000)

    def give_back(self, reader, why):
        """Ends this pod's hold; the emulator reads on with the unread bytes first.

        The slot stays pending while bytes are unread: should the pod die before the emulator
        reads this message, that connection is answered as failed rather than resumed with
        bytes missing.
        """
        import binascii

        if self.end():
            self.pack2(TABLE, self.off + 24, float(self.requests), time.time() * 1000)
            close_quietly(self.sock)
            unread = binascii.b2a_base64(bytes(reader.buf), newline=False).decode("ascii")
            CHANNEL.send({"t": "back", "id": self.id, "why": why, "unread": unread})

    def closed(self):
        """The connection is over (client gone, Connection: close, idle, bad framing)."""
        if self.end():
            self.pack5(TABLE, self.off, 0.0, 0.0, 0.0, float(self.requests), time.time() * 1000)
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            close_quietly(self.sock)
            CHANNEL.send({"t": "closed", "id": self.id})

    def end(self):
        if self.over:
            return False
        self.over = True
        self.generation.leave()
        return True


def close_quietly(sock):
    try:
        sock.close()
    except OSError:
        pass


def adopt(fd, m):
    """Serves a handed-over socket on its own thread; gives it straight back if that fails."""
    global TABLE
    sock = None
    try:
        os.set_inheritable(fd, False)  # a handler's subprocesses must not inherit client sockets
        if TABLE is None:
            import mmap

            TABLE = mmap.mmap(SLOTS_FD, 0)
        sock = socket.socket(fileno=fd)
        # Non-blocking, as the emulator's copy of the descriptor needs it (they share the
        # flag); Handoff waits with poll.
        sock.settimeout(0.0)
        _thread.start_new_thread(serve_connection, (sock, Handoff(sock, m)))
    except Exception:
        log_exception("[ignite] a handed-over connection could not be adopted:")
        if sock is not None:
            close_quietly(sock)
        else:
            os.close(fd)
        CHANNEL.send({"t": "back", "id": m.get("id"), "why": "error", "unread": ""})


def drain():
    """Every connection adopted so far goes back at its next request boundary."""
    global GENERATION
    old, GENERATION = GENERATION, Generation()
    old.stale = True
    os.write(old.write_fd, b"x")
    old.enter()
    old.leave()  # closes the pipe now if no connection uses it


def channel_loop():
    pending = bytearray()
    fds = []
    while True:
        try:
            data, ancillary, _flags, _addr = CHANNEL.sock.recvmsg(65536, socket.CMSG_SPACE(64), socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(payload) - len(payload) % 4
                fds.extend(int.from_bytes(payload[i : i + 4], sys.byteorder, signed=True) for i in range(0, usable, 4))
        if not data:
            return
        pending += data
        while True:
            i = pending.find(b"\n")
            if i < 0:
                break
            message = json.loads(bytes(pending[:i]))
            del pending[: i + 1]
            if message.get("cmd") == "NODE_HANDLE":
                # Acknowledged even when the descriptor did not arrive (MSG_CTRUNC): Node
                # resends nothing for a socket it keeps open, and the emulator still holds
                # its own copy, so the connection is simply given back.
                CHANNEL.send({"cmd": "NODE_HANDLE_ACK"})
                m = message.get("msg") or {}
                if fds:
                    adopt(fds.pop(0), m)
                else:
                    CHANNEL.send({"t": "back", "id": m.get("id"), "why": "error", "unread": ""})
            elif message.get("t") == "drain":
                drain()
                CHANNEL.send({"t": "drained", "seq": message.get("seq")})


def exit_with_parent():
    """The emulator holds our stdin open; EOF means it is gone, so the pod must not outlive it."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


def main():
    global CHANNEL, GENERATION
    load_handler()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    os.write(READY_FD, ("READY %d\n" % server.getsockname()[1]).encode("ascii"))
    os.close(READY_FD)
    _thread.start_new_thread(exit_with_parent, ())
    if CHANNEL_FD is not None:
        CHANNEL = Channel(int(CHANNEL_FD))
        GENERATION = Generation()
        _thread.start_new_thread(channel_loop, ())
    while True:
        conn, _ = server.accept()
        _thread.start_new_thread(serve_connection, (conn,))


if __name__ == "__main__":
    main()
