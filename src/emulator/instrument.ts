/**
 * Wraps a ComputeService implementation so that every call, over any transport, is counted
 * by method name (for /_ignite/calls) and every thrown error leaves as a ConnectError: this
 * is the one place domain errors meet the wire.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ComputeService } from "../gen/dodil/ignite/v1/compute_pb.js";
import { toConnectError } from "./errors.js";

export type ComputeServiceImpl = ServiceImpl<typeof ComputeService>;

/** Per-method call counters. */
export class CallCounter {
  private counts = new Map<string, number>();

  count(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  reset(): void {
    this.counts = new Map();
  }
}

type AnyUnary = (req: unknown, ctx: HandlerContext) => Promise<unknown>;
type AnyStream = (req: unknown, ctx: HandlerContext) => AsyncIterable<unknown>;

/**
 * Counts every call and maps errors; with `latencyMs`, holds each unary call that long first,
 * so the local Ignite answers like a platform that far away (benchmarks of latency-bound paths).
 */
export function instrument(impl: ComputeServiceImpl, counter: CallCounter, latencyMs = 0): ComputeServiceImpl {
  const wrapped: Record<string, AnyUnary | AnyStream> = {};
  for (const method of ComputeService.methods as readonly DescMethod[]) {
    const fn = (impl as unknown as Record<string, AnyUnary | AnyStream>)[method.localName];
    if (!fn) throw new Error(`ComputeService.${method.name} has no implementation`);
    if (method.methodKind === "server_streaming") {
      const stream = fn as AnyStream;
      wrapped[method.localName] = async function* (req: unknown, ctx: HandlerContext) {
        counter.count(method.name);
        try {
          yield* stream(req, ctx);
        } catch (err) {
          throw toConnectError(err);
        }
      };
    } else {
      const unary = fn as AnyUnary;
      wrapped[method.localName] = async (req: unknown, ctx: HandlerContext) => {
        counter.count(method.name);
        if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
        try {
          return await unary(req, ctx);
        } catch (err) {
          throw toConnectError(err);
        }
      };
    }
  }
  return wrapped as unknown as ComputeServiceImpl;
}
