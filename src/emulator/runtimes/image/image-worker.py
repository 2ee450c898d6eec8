"""The local Ignite's image runtime: the worker of one pod whose version is a container image.

    python3 image-worker.py <engine> <image> <port>

It starts the container with the engine (podman or docker: `run -d --rm --pull=never`, the
container's <port> published on a loopback port), waits until that port accepts connections,
says it is ready, and forwards each request frame (docs/pod-protocol.md, "The worker") to the
container as an HTTP request: the answer comes back as one `A` frame, or as `H`/`C`/`E` frames
when the container streams (no Content-Length). The container's output goes to the app log.

The app's env, IGNITE_FUNCTION_ID and IGNITE_ORGANIZATION_ID go into the container (`-e NAME`,
values through the engine's environment, never on its command line); the local Ignite's own
environment (IGNITE_IMAGE_BASE_ENV) does not. The container is removed when the worker ends,
however it ends: a guard process in its own session waits for the worker's pipe to close (and
for a `<engine> run` the worker left running), then runs `<engine> rm -f`.
"""
import http.client
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid

MAGIC = b"IGN1"
HEADER = struct.Struct("<4scII")
STATUS_TYPE = struct.Struct("<HH")
MAX_PAYLOAD = 64 << 20
# Set by the process tree on the way here, never the app's.
NOT_PASSED = {"PWD", "OLDPWD", "SHLVL", "_"}
# Waits for the worker's pipe to close; then, if the worker was stopped while `<engine> run`
# was still creating the container (that process outlives it), waits for `run` to end (at
# most a minute), and removes the container.
GUARD = """import os, subprocess, sys, time
pids = [int(p) for p in sys.stdin.buffer.read().split()]
deadline = time.monotonic() + 60
for pid in pids:
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.05)
subprocess.run([sys.argv[1], 'rm', '-f', sys.argv[2]], capture_output=True)
"""


def log(line):
    sys.stderr.write("[ignite] " + line + "\n")
    sys.stderr.flush()


class Link:
    def __init__(self, out_fd):
        self.out_fd = out_fd
        self.lock = threading.Lock()

    def send(self, kind, rid, payload=b""):
        data = HEADER.pack(MAGIC, kind, rid, len(payload)) + payload
        with self.lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.out_fd, view):]

    def head(self, status, content_type):
        ctype = content_type.encode("latin-1")
        return STATUS_TYPE.pack(status, len(ctype)) + ctype

    def answer(self, rid, status, content_type, body):
        self.send(b"A", rid, self.head(status, content_type) + body)


def read_exact(n, buf):
    while len(buf) < n:
        data = os.read(0, 1 << 16)
        if not data:
            raise EOFError
        buf += data
    return buf


def requests():
    """(id, method, path, execution_id, body) of each request frame, until stdin closes."""
    buf = bytearray()
    while True:
        buf = read_exact(HEADER.size, buf)
        magic, kind, rid, length = HEADER.unpack_from(buf)
        if magic != MAGIC or kind != b"Q" or length > MAX_PAYLOAD:
            log("the pod agent sent an invalid frame; the worker stops")
            os._exit(70)
        buf = read_exact(HEADER.size + length, buf)
        p = bytes(buf[HEADER.size:HEADER.size + length])
        del buf[:HEADER.size + length]
        n = p[0]
        method = p[1:1 + n].decode("latin-1")
        at = 1 + n
        (n,) = struct.unpack_from("<H", p, at)
        path = p[at + 2:at + 2 + n].decode("latin-1")
        at += 2 + n
        (n,) = struct.unpack_from("<H", p, at)
        execution_id = p[at + 2:at + 2 + n].decode("utf-8", "replace")
        yield rid, method, path, execution_id, p[at + 2 + n:]


def error_body(message, execution_id):
    return json.dumps({"error": message, "execution_id": execution_id}).encode("utf-8")


def forward(link, host_port, rid, method, path, execution_id, body):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", host_port, timeout=None)
        conn.request(method, path or "/", body=body, headers={"X-Ignite-Execution-Id": execution_id, "Content-Length": str(len(body))})
        res = conn.getresponse()
        ctype = res.getheader("Content-Type", "application/octet-stream")
        if res.getheader("Content-Length") is not None or res.status in (204, 304) or method == "HEAD":
            link.answer(rid, res.status, ctype, res.read())
        else:
            link.send(b"H", rid, link.head(res.status, ctype))
            while True:
                chunk = res.read1(1 << 16)
                if not chunk:
                    break
                link.send(b"C", rid, chunk)
            link.send(b"E", rid)
        conn.close()
    except (OSError, http.client.HTTPException) as err:
        log("execution %s: the container did not answer: %s" % (execution_id or "-", err))
        link.answer(rid, 502, "application/json", error_body("the container did not answer (%s); see the app logs" % err, execution_id))


def container_port(engine, name, port):
    out = subprocess.run([engine, "port", name, str(port)], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        host, _, p = line.strip().rpartition(":")
        if p.isdigit():
            return int(p)
    raise RuntimeError("%s port %s %s: %s" % (engine, name, port, (out.stderr or out.stdout).strip()))


def main():
    engine, image, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out_fd = os.dup(1)
    os.set_inheritable(out_fd, False)
    os.dup2(2, 1)
    base = json.loads(os.environ.pop("IGNITE_IMAGE_BASE_ENV", "{}"))
    passed = sorted(k for k, v in os.environ.items() if base.get(k) != v and k not in NOT_PASSED)
    name = "ignite-local-" + uuid.uuid4().hex[:12]
    guard = subprocess.Popen([sys.executable, "-I", "-c", GUARD, engine, name], stdin=subprocess.PIPE, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmd = [engine, "run", "-d", "--rm", "--pull=never", "--name", name, "--label", "ignite-local=1", "-p", "127.0.0.1::%d" % port]
    for key in passed:
        cmd += ["-e", key]
    cmd.append(image)
    log("starting %s: %s" % (image, " ".join(cmd[:cmd.index(image)]) + " " + image))
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    guard.stdin.write(b"%d\n" % run.pid)  # so the guard waits for it if this worker is stopped now
    guard.stdin.flush()
    run_out, run_err = run.communicate()
    if run.returncode != 0:
        log("the container did not start: " + (run_err or run_out).strip())
        sys.exit(1)
    subprocess.Popen([engine, "logs", "-f", name], stdout=2, stderr=2, stdin=subprocess.DEVNULL)
    host_port = container_port(engine, name, port)
    while True:  # the pool bounds this wait with the cold-start budget
        try:
            socket.create_connection(("127.0.0.1", host_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    link = Link(out_fd)
    link.send(b"Y", 0)
    try:
        for rid, method, path, execution_id, body in requests():
            threading.Thread(target=forward, args=(link, host_port, rid, method, path, execution_id, body), daemon=True).start()
    except EOFError:
        pass
    guard.stdin.close()  # the guard removes the container
    os._exit(0)


if __name__ == "__main__":
    main()
