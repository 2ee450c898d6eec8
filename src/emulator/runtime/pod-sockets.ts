/**
 * Raw keep-alive TCP connections to one pod, for the public-URL relay (relay.ts). The relay
 * writes request bytes straight to these sockets instead of going through an http.Agent, so
 * a warm request costs no http.ClientRequest / IncomingMessage objects.
 *
 * A socket is taken for exactly one request and given back only after a complete response
 * (the relay knows where it ends); anything unusual destroys it instead.
 */
import * as net from "node:net";

/** Idle sockets kept per pod: enough for the parallelism a laptop produces. */
const MAX_IDLE = 64;

export class PodSockets {
  private readonly idle: net.Socket[] = [];
  private closed = false;

  constructor(private readonly port: () => number) {}

  /** A connected (or connecting) socket; writes before "connect" are queued by Node. */
  take(): { socket: net.Socket; reused: boolean } {
    for (let socket = this.idle.pop(); socket; socket = this.idle.pop()) {
      if (!socket.destroyed && socket.writable) return { socket, reused: true };
    }
    const socket = net.connect({ host: "127.0.0.1", port: this.port(), noDelay: true });
    // Idle sockets need a listener: the pod may reset them while no request owns them.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return { socket, reused: false };
  }

  give(socket: net.Socket): void {
    if (this.closed || socket.destroyed || !socket.writable || this.idle.length >= MAX_IDLE) {
      socket.destroy();
      return;
    }
    this.idle.push(socket);
  }

  /** The pod is gone. */
  destroy(): void {
    this.closed = true;
    for (const socket of this.idle.splice(0)) socket.destroy();
  }
}
