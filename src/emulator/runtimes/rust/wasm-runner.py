"""The worker of a Rust wasm pod: runs the app's wasm32-wasip2 component under Wasmtime (the
PyPI package `wasmtime`) and speaks the worker frames of docs/pod-protocol.md on its own
stdin/stdout, exactly like a native Rust binary does.

    python wasm-runner.py <component.wasm> --cache-dir <dir>      serve
    python wasm-runner.py --precompile <component.wasm> --cache-dir <dir>

The component (built with the ignite SDK) reads `Q` frames on its stdin and answers on its
stdout, one request at a time. The runner keeps one instance alive across requests and feeds
it one frame at a time through a FIFO; requests that arrive meanwhile wait here. A trap (a
Rust panic aborts: wasm has no unwinding) ends the instance: the request it was serving is
answered 500 — by the SDK's panic hook, which sends its answer as a `P` frame that only this
runner sees (passed on as `A`), or here when the trap was no panic — and a new instance
takes the next request. Everything the component writes to stdout is passed on verbatim, so
a println!() reaches the agent as the framing error it is; stderr is the app log.

Compiling a component with Cranelift takes most of a second, so the compiled form is cached
in --cache-dir, keyed by the component's sha256 and the Wasmtime version; the local Ignite
fills the cache at compile time (--precompile), so a cold start only deserializes it.
"""

import hashlib
import json
import os
import queue
import struct
import sys
import tempfile
import threading

MAGIC = b"IGN1"
HEADER = 13


def log(msg):
    sys.stderr.write(f"[ignite wasm] {msg}\n")
    sys.stderr.flush()


def frame(kind, fid, payload):
    return MAGIC + kind + struct.pack("<II", fid, len(payload)) + payload


def error_answer(fid, message, execution_id):
    body = json.dumps({"error": message, "execution_id": execution_id}).encode()
    ct = b"application/json"
    return frame(b"A", fid, struct.pack("<HH", 500, len(ct)) + ct + body)


def execution_id_of(payload):
    """The execution id field of a Q payload (u8 n method, u16 n path, u16 n id, body)."""
    try:
        at = 1 + payload[0]
        (n,) = struct.unpack_from("<H", payload, at)
        at += 2 + n
        (n,) = struct.unpack_from("<H", payload, at)
        return payload[at + 2 : at + 2 + n].decode("utf-8", "replace")
    except (IndexError, struct.error):
        return ""


def cached_component(engine, wasm_path, cache_dir):
    """The component, deserialized from the cache or compiled and stored there."""
    from importlib.metadata import version

    from wasmtime.component import Component

    with open(wasm_path, "rb") as f:
        wasm = f.read()
    key = hashlib.sha256(wasm).hexdigest()
    cached = os.path.join(cache_dir, f"{key}-wasmtime-{version('wasmtime')}.cwasm")
    if os.path.exists(cached):
        try:
            return Component.deserialize_file(engine, cached), cached, True
        except Exception as e:  # a cache from another build of Wasmtime: compile again
            log(f"ignoring the precompiled cache {cached}: {e}")
    component = Component(engine, wasm)
    os.makedirs(cache_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(component.serialize())
    os.replace(tmp, cached)
    return component, cached, False


class Runner:
    def __init__(self, engine, component):
        from wasmtime.component import Linker

        self.engine = engine
        self.component = component
        self.linker = Linker(engine)
        self.linker.add_wasip2()
        self.out_lock = threading.Lock()
        self.state = threading.Lock()
        self.answered = threading.Event()
        self.in_flight = None  # (id, execution id) of the request the instance serves
        self.panicked = None  # the id the SDK's panic hook answered (a `P` frame)
        self.requests = queue.Queue()
        self.fifo_wfd = None
        self.ready_sent = False
        self.buf = b""

    # ---- output -----------------------------------------------------------------------------

    def write_out(self, data):
        with self.out_lock:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(1, view)
                except BrokenPipeError:
                    os._exit(0)  # the agent is gone
                view = view[n:]

    def on_stdout(self, chunk):
        """Guest stdout: passed on verbatim, except the ready frames of replacement
        instances; complete frames are parsed to see when the request is answered."""
        self.buf += bytes(chunk)
        while self.buf:
            at = self.buf.find(MAGIC)
            if at != 0:
                # Not a frame (a println!, say): pass it on up to the next frame start, holding
                # back a tail that may be the first bytes of one.
                keep = at
                if at < 0:
                    keep = len(self.buf)
                    for k in range(min(len(MAGIC) - 1, len(self.buf)), 0, -1):
                        if MAGIC.startswith(self.buf[-k:]):
                            keep = len(self.buf) - k
                            break
                if keep == 0:
                    return
                self.write_out(self.buf[:keep])
                self.buf = self.buf[keep:]
                continue
            if len(self.buf) < HEADER:
                return
            kind = self.buf[4:5]
            fid, n = struct.unpack_from("<II", self.buf, 5)
            if kind not in (b"Y", b"A", b"H", b"C", b"E", b"P"):
                self.write_out(self.buf[:1])
                self.buf = self.buf[1:]
                continue
            if len(self.buf) < HEADER + n:
                return
            whole, self.buf = self.buf[: HEADER + n], self.buf[HEADER + n :]
            if kind == b"Y":
                if not self.ready_sent:
                    self.ready_sent = True
                    self.write_out(whole)
                continue
            if kind == b"P":
                # The SDK's panic hook answered; the instance traps next. The request is
                # answered, but the next one must wait for the new instance.
                self.write_out(b"IGN1A" + whole[5:])
                with self.state:
                    self.panicked = fid
                continue
            self.write_out(whole)
            if kind in (b"A", b"E"):
                with self.state:
                    if self.in_flight and self.in_flight[0] == fid:
                        self.in_flight = None
                        self.answered.set()

    # ---- instances --------------------------------------------------------------------------

    def new_fifo(self):
        """A FIFO for the next instance's stdin; the caller unlinks it once it is opened."""
        path = os.path.join(tempfile.mkdtemp(prefix="ignite-wasm-"), "stdin")
        os.mkfifo(path, 0o600)
        # Opened read-write here first, so the guest's open for reading never blocks, and the
        # guest never sees EOF while the runner lives.
        wfd = os.open(path, os.O_RDWR)
        old, self.fifo_wfd = self.fifo_wfd, wfd
        if old is not None:
            os.close(old)
        return path

    @staticmethod
    def unlink_fifo(path):
        os.unlink(path)
        os.rmdir(os.path.dirname(path))

    def instance_loop(self):
        import wasmtime

        fifo = self.new_fifo()
        fifo_fresh = True
        failures_before_ready = 0
        while True:
            store = wasmtime.Store(self.engine)
            cfg = wasmtime.WasiConfig()
            cfg.argv = ["app"]
            # WASI has no pids: the component learns the process serving it from the runner.
            cfg.env = list({**os.environ, "IGNITE_WORKER_PID": str(os.getpid())}.items())
            cfg.stdin_file = fifo  # opens it
            if fifo_fresh:
                self.unlink_fifo(fifo)
                fifo_fresh = False
            cfg.stdout_custom = self.on_stdout
            cfg.inherit_stderr()
            cfg.preopen_dir(".", ".", False)
            store.set_wasi(cfg)
            reason = None
            try:
                instance = self.linker.instantiate(store, self.component)
                run = None
                for name in self.component.type.exports(self.engine):
                    if name.startswith("wasi:cli/run@"):
                        idx = instance.get_export_index(store, "run", instance.get_export_index(store, name))
                        run = instance.get_func(store, idx)
                if run is None:
                    log("the component exports no wasi:cli/run; was it built with the ignite SDK for wasm32-wasip2?")
                    os._exit(1)
                run(store)
                reason = "the component exited"
            except wasmtime.ExitTrap as e:
                if e.code == 0:
                    os._exit(0)
                reason = f"the component exited with status {e.code}"
            except Exception as e:  # a trap: a panic (abort) or any other fault
                reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            del store
            if not self.ready_sent:
                failures_before_ready += 1
                if failures_before_ready >= 3:
                    log(f"the component failed before it was ready: {reason}")
                    os._exit(1)
            log(f"the wasm instance ended ({reason}); starting a new one")
            self.buf = b""
            fifo = self.new_fifo()
            fifo_fresh = True
            with self.state:
                pending, self.in_flight = self.in_flight, None
                panicked, self.panicked = self.panicked, None
            if pending is not None:
                fid, execution_id = pending
                if fid != panicked:
                    self.write_out(error_answer(fid, f"handler trapped: {reason}; see the app logs", execution_id))
                self.answered.set()

    # ---- requests ---------------------------------------------------------------------------

    def dispatch_loop(self):
        """Hands the instance one request at a time: the next one once this one is answered."""
        while True:
            fid, payload, raw = self.requests.get()
            with self.state:
                self.in_flight = (fid, execution_id_of(payload))
                self.answered.clear()
                wfd = self.fifo_wfd
            view = memoryview(raw)
            while view:
                view = view[os.write(wfd, view) :]
            self.answered.wait()

    def read_loop(self):
        stdin = sys.stdin.buffer.raw
        pending = b""
        while True:
            chunk = stdin.read(65536)
            if not chunk:
                os._exit(0)  # the lifeline: the agent closed our stdin
            pending += chunk
            while len(pending) >= HEADER:
                if pending[:4] != MAGIC:
                    log("the pod agent sent bytes that are no frame; exiting")
                    os._exit(1)
                fid, n = struct.unpack_from("<II", pending, 5)
                if len(pending) < HEADER + n:
                    break
                raw, pending = pending[: HEADER + n], pending[HEADER + n :]
                if raw[4:5] == b"Q":
                    self.requests.put((fid, raw[HEADER:], raw))


def main(argv):
    import wasmtime

    args = list(argv)
    precompile = "--precompile" in args
    if precompile:
        args.remove("--precompile")
    cache_dir = None
    if "--cache-dir" in args:
        i = args.index("--cache-dir")
        cache_dir = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1 or cache_dir is None:
        sys.stderr.write(__doc__)
        return 2
    engine = wasmtime.Engine()
    component, cached, hit = cached_component(engine, args[0], cache_dir)
    if precompile:
        print(cached)
        return 0
    if not hit:
        log(f"compiled the component (no precompiled copy was cached); cached it as {cached}")
    runner = Runner(engine, component)
    threading.Thread(target=runner.instance_loop, daemon=True).start()
    threading.Thread(target=runner.dispatch_loop, daemon=True).start()
    runner.read_loop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
