// Connection handoff (src/emulator/runtime/handoff.ts): after the relay has served a request
// on a keep-alive public-URL connection, the pod that answered holds the client's socket and
// serves the next requests itself. Every request the relay would treat differently (another
// token, host or version, a preflight, an expired token) must still be treated so, and a pod
// that dies or hangs must answer as the relay does. Raw sockets keep one connection under
// control for the whole test; GET /_ignite/pods shows who holds it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Conn, eventually, hostOf, httpCall, openConns, request, startLocal, type Local } from "../support/local-ignite";

/** Who served an app's requests so far: leased through the pool (the relay), or on handed connections. */
async function servedBy(local: Local, app: string): Promise<{ leased: number; handed: number }> {
  const res = await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" });
  const pods = (JSON.parse(res.body.toString()) as { pods: Array<{ app: string; leasedRequests: number; handedRequests: number }> }).pods.filter((p) => p.app === app);
  return { leased: pods.reduce((n, p) => n + p.leasedRequests, 0), handed: pods.reduce((n, p) => n + p.handedRequests, 0) };
}

async function handed(local: Local, app: string): Promise<number> {
  const res = await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" });
  const pods = (JSON.parse(res.body.toString()) as { pods: Array<{ app: string; handedConnections: number }> }).pods;
  return pods.filter((p) => p.app === app).reduce((n, p) => n + p.handedConnections, 0);
}

const ECHO =
  "import os, time\n" +
  "def handler(payload, ctx):\n" +
  "    if payload == b'die':\n" +
  "        os._exit(3)\n" +
  "    if payload == b'hang':\n" +
  "        time.sleep(30)\n" +
  "    if payload == b'big':\n" +
  "        return 'x' * 5000\n" +
  "    return {'pid': os.getpid(), 'echo': payload.decode(), 'execution_id': ctx['execution_id'], 'v': 1}\n";

describe("connection handoff", () => {
  let local: Local;
  let host: string;
  let token: string;
  const app = () => `${local.emu.org}/echo`;

  beforeAll(async () => {
    local = await startLocal({ appTimeoutMs: 1500, maxResponseBytes: 1000 }, { tokenTtlSecs: 2 });
    token = local.emu.token;
    host = hostOf((await local.deploy("echo", { "handler.py": ECHO })).publicUrls[0]!);
  });
  afterAll(async () => local?.stop());
  afterEach(async () => {
    for (const conn of openConns.splice(0)) conn.close();
    await eventually(async () => (await handed(local, app())) === 0, "every test connection to be released");
  });

  /** A connection the relay has served once and handed to the pod (the test's `nth` handed one). */
  async function handedConn(nth = 1): Promise<{ conn: Conn; pid: number }> {
    const conn = new Conn(local.emu.port);
    conn.send(request(host, "first", { auth: token }));
    const first = await conn.read();
    expect(first?.status).toBe(200);
    await eventually(async () => (await handed(local, app())) === nth, "the pod to take the connection");
    return { conn, pid: (JSON.parse(first!.body) as { pid: number }).pid };
  }

  it("hands a served keep-alive connection to its pod, which answers later requests (pipelined too) in order", async () => {
    const { conn, pid } = await handedConn();
    const before = await servedBy(local, app());
    conn.send(request(host, "two", { auth: token }) + request(host, "three", { auth: token }));
    const two = JSON.parse((await conn.read())!.body) as { pid: number; echo: string; execution_id: string };
    const three = JSON.parse((await conn.read())!.body) as { pid: number; echo: string; execution_id: string };
    expect([two.echo, three.echo]).toEqual(["two", "three"]);
    expect(two.pid).toBe(pid);
    expect(two.execution_id).toMatch(/^exec_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(two.execution_id).not.toBe(three.execution_id);
    conn.close();
    await eventually(async () => (await handed(local, app())) === 0, "the closed connection to be released");
    // The pod served both itself; the relay saw neither.
    const after = await servedBy(local, app());
    expect(after.handed - before.handed).toBe(2);
    expect(after.leased).toBe(before.leased);
  });

  it("gives back a request with a bad or foreign token: the relay answers 401/403 and keeps the connection from then on", async () => {
    const { conn } = await handedConn();
    conn.send(request(host, "x", { auth: "not-a-token" }));
    expect((await conn.read())?.status).toBe(401);
    const otherOrg = await local.emu.tokenFor("other-org");
    conn.send(request(host, "x", { auth: otherOrg }));
    expect((await conn.read())?.status).toBe(403);
    // A connection that carried other credentials is not shown to an app again: the relay
    // serves the next requests (its count grows), the pod serves none of them itself.
    const before = await servedBy(local, app());
    for (const echo of ["again", "and again"]) {
      conn.send(request(host, echo, { auth: token }));
      expect(JSON.parse((await conn.read())!.body)).toMatchObject({ echo });
    }
    const after = await servedBy(local, app());
    expect(after.leased - before.leased).toBe(2);
    expect(after.handed).toBe(before.handed);
    expect(await handed(local, app())).toBe(0);
    conn.close();
  });

  it("does not hand over a connection whose app changed while its request ran (allow_unauthenticated switched off)", async () => {
    const name = "was-open";
    const open = hostOf(
      (
        await local.deploy(
          name,
          { "handler.py": "import time\ndef handler(p, c):\n    time.sleep(0.4)\n    return 'slow'\n" },
          { allowUnauthenticated: true },
        )
      ).publicUrls[0]!,
    );
    const conn = new Conn(local.emu.port);
    conn.send(request(open, "", { auth: null }));
    await eventually(async () => {
      const res = await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" });
      const pods = (JSON.parse(res.body.toString()) as { pods: Array<{ app: string; inFlight: number }> }).pods;
      return pods.some((p) => p.app === `${local.emu.org}/${name}` && p.inFlight === 1) || undefined;
    }, "the request to be running");
    await local.client.updateAppConfig({ organizationName: local.emu.org, appName: name, allowUnauthenticated: false, updateMask: { paths: ["allow_unauthenticated"] } });
    expect((await conn.read())?.body).toBe("slow");
    conn.send(request(open, "", { auth: null }));
    expect((await conn.read())?.status).toBe(401);
    expect(await handed(local, `${local.emu.org}/${name}`)).toBe(0);
    conn.close();
  });

  it("a slowly sent head, or a stray CRLF left idle past the app timeout, does not count against the app timeout", async () => {
    const { conn, pid } = await handedConn();
    const whole = request(host, "trickled", { auth: token });
    for (let i = 0; i < 4; i++) {
      conn.send(whole.slice((i * whole.length) / 4, ((i + 1) * whole.length) / 4));
      await new Promise((r) => setTimeout(r, 500)); // 2 s in all, past the 1.5 s app timeout
    }
    expect(JSON.parse((await conn.read())!.body)).toMatchObject({ echo: "trickled", pid });
    conn.send("\r\n");
    await new Promise((r) => setTimeout(r, 1800));
    conn.send(request(host, "after the pause", { auth: token }));
    expect(JSON.parse((await conn.read())!.body)).toMatchObject({ echo: "after the pause", pid });
  });

  it("honours Connection: close among other connection options on a handed connection", async () => {
    const { conn } = await handedConn();
    conn.send(request(host, "last", { auth: token, extra: "Connection: keep-alive, close\r\n" }));
    const answer = await conn.read();
    expect(answer?.head).toMatch(/connection: close/i);
    expect(await conn.read()).toBeUndefined();
  });

  it("gives back a request for another app's host: that app answers on the same connection", async () => {
    const other = hostOf((await local.deploy("other", { "handler.py": "def handler(payload, ctx):\n    return 'other app'\n" })).publicUrls[0]!);
    const { conn } = await handedConn();
    conn.send(request(other, "", { auth: token }));
    expect((await conn.read())?.body).toBe("other app");
    conn.close();
  });

  it("serves an open app's connection without tokens and CORS-open; a preflight or a token goes back to the relay", async () => {
    const open = hostOf(
      (await local.deploy("open", { "handler.py": "def handler(p, c):\n    return 'open'\n" }, { allowUnauthenticated: true })).publicUrls[0]!,
    );
    const conn = new Conn(local.emu.port);
    conn.send(request(open, "", { auth: null }));
    expect((await conn.read())?.body).toBe("open");
    await eventually(async () => (await handed(local, `${local.emu.org}/open`)) === 1, "the pod to take the connection");
    conn.send(request(open, "", { auth: null }));
    const served = await conn.read();
    expect(served?.body).toBe("open");
    expect(served?.head).toMatch(/access-control-allow-origin: \*/i);
    conn.send(request(open, "", { auth: null, method: "OPTIONS", extra: "Origin: https://example.com\r\nAccess-Control-Request-Method: POST\r\n" }));
    const preflight = await conn.read();
    expect(preflight?.status).toBe(204);
    expect(preflight?.head).toMatch(/access-control-allow-methods: .*POST/i);
    // A caller that sends its token anyway: the relay serves it and keeps the token from the app.
    conn.send(request(open, "", { auth: token }));
    expect((await conn.read())?.body).toBe("open");
    expect(await handed(local, `${local.emu.org}/open`)).toBe(0);
    conn.close();
  });

  it("never hands a connection carrying another org's token to the app (an app of the public org)", async () => {
    const publicToken = await local.emu.tokenFor("public");
    const pub = hostOf(
      (await local.deploy("shared", { "handler.py": "def handler(p, c):\n    return 'shared'\n" }, { organizationName: "public" }, publicToken)).publicUrls[0]!,
    );
    const conn = new Conn(local.emu.port);
    for (let i = 0; i < 3; i++) {
      conn.send(request(pub, "", { auth: token }));
      expect((await conn.read())?.body).toBe("shared");
    }
    // Every one of them went through the relay (which never forwards the token).
    expect(await servedBy(local, "public/shared")).toEqual({ leased: 3, handed: 0 });
    expect(await handed(local, "public/shared")).toBe(0);
    conn.close();
  });

  it("refuses a token that expires while its connection is handed over", async () => {
    const grant = await httpCall(local.emu.port, {
      path: "/oidc/token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${local.emu.clientId}&client_secret=${local.emu.clientSecret}`,
    });
    const jwt = (JSON.parse(grant.body.toString()) as { access_token: string }).access_token;
    const conn = new Conn(local.emu.port);
    conn.send(request(host, "fresh", { auth: jwt }));
    expect((await conn.read())?.status).toBe(200);
    await eventually(async () => (await handed(local, app())) === 1, "the pod to take the connection");
    await new Promise((r) => setTimeout(r, 2100)); // tokenTtlSecs: 2
    conn.send(request(host, "stale", { auth: jwt }));
    const answer = await conn.read();
    expect(answer?.status).toBe(401);
    expect(answer?.body).toContain("expired");
    conn.close();
  });

  it("a response above the size cap is the relay's 502, and the connection stays usable", async () => {
    const { conn } = await handedConn();
    conn.send(request(host, "big", { auth: token }));
    const answer = await conn.read();
    expect(answer?.status).toBe(502);
    expect(answer?.body).toContain("1000-byte limit");
    conn.send(request(host, "after", { auth: token }));
    expect(JSON.parse((await conn.read())!.body)).toMatchObject({ echo: "after" });
    conn.close();
  });

  it("a pod that crashes on a handed connection answers 502 there; an idle handed connection goes back to the relay", async () => {
    const { conn: idle, pid } = await handedConn();
    const { conn: crashing } = await handedConn(2);
    crashing.send(request(host, "die", { auth: token }));
    const answer = await crashing.read();
    expect(answer?.status).toBe(502);
    expect(answer?.body).toContain("the pod exited while handling the request");
    expect(await crashing.read()).toBeUndefined(); // closed after the error
    // The idle connection lost nothing: its next request goes through the relay to a new pod.
    idle.send(request(host, "still here", { auth: token }));
    const next = JSON.parse((await idle.read())!.body) as { pid: number; echo: string };
    expect(next.echo).toBe("still here");
    expect(next.pid).not.toBe(pid);
    idle.close();
  });

  it("a handler that hangs past the app timeout on a handed connection answers 504 and its pod is stopped", async () => {
    const { conn, pid } = await handedConn();
    conn.send(request(host, "hang", { auth: token }));
    const answer = await conn.read();
    expect(answer?.status).toBe(504);
    expect(answer?.body).toContain("app timeout (1500 ms)");
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, "the hung pod to be stopped");
  });

  it("keeps every answer right and in order with many connections handed, given back and handed again at once", async () => {
    const connections = 16;
    const rounds = 30;
    const work = Array.from({ length: connections }, async (_, c) => {
      const conn = new Conn(local.emu.port);
      for (let r = 0; r < rounds; r++) {
        // Every 7th request carries a bad token: given back, 401 from the relay, handed again later.
        const bad = (c + r) % 7 === 0;
        const pipelined = r % 5 === 0 ? 2 : 1;
        for (let p = 0; p < pipelined; p++) conn.send(request(host, `${c}:${r}:${p}`, { auth: bad ? "bad" : token }));
        for (let p = 0; p < pipelined; p++) {
          const answer = await conn.read();
          if (bad) expect(answer?.status).toBe(401);
          else expect(JSON.parse(answer!.body)).toMatchObject({ echo: `${c}:${r}:${p}` });
        }
      }
      conn.close();
    });
    await Promise.all(work);
  });

  it("once DeleteApp returns, a connection its pod held gets 404 for the next request", async () => {
    const gone = hostOf((await local.deploy("gone", { "handler.py": "def handler(p, c):\n    return 'here'\n" })).publicUrls[0]!);
    const conn = new Conn(local.emu.port);
    conn.send(request(gone, "", { auth: token }));
    expect((await conn.read())?.body).toBe("here");
    await eventually(async () => (await handed(local, `${local.emu.org}/gone`)) === 1, "the pod to take the connection");
    await local.client.deleteApp({ organizationName: local.emu.org, appName: "gone" });
    conn.send(request(gone, "", { auth: token }));
    expect((await conn.read())?.status).toBe(404);
  });

  it("a new version takes over a handed connection at its next request", async () => {
    const { conn } = await handedConn();
    conn.send(request(host, "v1", { auth: token }));
    expect(JSON.parse((await conn.read())!.body)).toMatchObject({ v: 1 });
    await local.client.saveDraft({
      organizationName: local.emu.org,
      appName: "echo",
      code: {
        source: {
          case: "compile",
          value: { runtime: { runtime: { case: "python", value: {} } }, input: { case: "sourceCode", value: Buffer.from(ECHO.replace("'v': 1", "'v': 2")) } },
        },
      },
    });
    await local.client.publishDraft({ organizationName: local.emu.org, appName: "echo" });
    conn.send(request(host, "v2", { auth: token }));
    expect(JSON.parse((await conn.read())!.body)).toMatchObject({ echo: "v2", v: 2 });
    conn.close();
  });
});

describe("connection handoff and scaling", () => {
  let local: Local;

  beforeAll(async () => {
    local = await startLocal({ scaledownPeriodOverrideSecs: 0.4, autoscaleIntervalMs: 50 });
  });
  afterAll(async () => local?.stop());

  it("requests on a handed connection keep the app up; once idle it scales to zero and the connection wakes a new pod", async () => {
    const host = hostOf((await local.deploy("busy", { "handler.py": "import os\ndef handler(p, c):\n    return str(os.getpid())\n" })).publicUrls[0]!);
    const conn = new Conn(local.emu.port);
    const call = async () => {
      conn.send(request(host, "", { auth: local.emu.token }));
      return (await conn.read())!.body;
    };
    const pid = await call();
    await eventually(async () => (await handed(local, `${local.emu.org}/busy`)) === 1, "the pod to take the connection");
    // Twice the scale-down period of traffic the pool only sees through the slot table.
    for (let i = 0; i < 8; i++) {
      expect(await call()).toBe(pid);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Idle: the pod is retired, gives the connection back, and the next request wakes a new one.
    await eventually(async () => {
      const res = await httpCall(local.emu.port, { method: "GET", path: "/_ignite/pods" });
      return (JSON.parse(res.body.toString()) as { pods: unknown[] }).pods.length === 0 || undefined;
    }, "the app to scale to zero");
    const after = await call();
    expect(after).not.toBe(pid);
    expect(conn.closed).toBe(false);
    conn.close();
  });

  it("stopping the local Ignite with connections handed over (and more queued behind them) finishes and closes them", async () => {
    const mine = await startLocal();
    const host = hostOf((await mine.deploy("held", { "handler.py": "def handler(p, c):\n    return 'held'\n" })).publicUrls[0]!);
    // Opened together, so Node queues handles behind unacknowledged ones.
    const conns = Array.from({ length: 8 }, () => new Conn(mine.emu.port));
    for (const conn of conns) conn.send(request(host, "", { auth: mine.emu.token }));
    for (const conn of conns) expect((await conn.read())?.body).toBe("held");
    await eventually(async () => (await handed(mine, `${mine.emu.org}/held`)) === conns.length, "the pod to hold every connection");
    await mine.stop();
    for (const conn of conns) expect(await conn.read()).toBeUndefined(); // closed, with nothing more
  });

  it("is off with connectionHandoff: false (every request stays in the relay)", async () => {
    const off = await startLocal({ connectionHandoff: false });
    try {
      const host = hostOf((await off.deploy("relayed", { "handler.py": "def handler(p, c):\n    return 'ok'\n" })).publicUrls[0]!);
      const conn = new Conn(off.emu.port);
      for (let i = 0; i < 3; i++) {
        conn.send(request(host, "", { auth: off.emu.token }));
        expect((await conn.read())?.body).toBe("ok");
      }
      expect(await servedBy(off, `${off.emu.org}/relayed`)).toEqual({ leased: 3, handed: 0 });
      expect(await handed(off, `${off.emu.org}/relayed`)).toBe(0);
      conn.close();
    } finally {
      await off.stop();
    }
  });
});
