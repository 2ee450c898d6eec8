// While one of our resources registers, Pulumi's SDK makes four promises per property
// (`transferProperties`) and a few per resource, and gives each one a stack trace as a string
// (`debuggablePromise`: `new Error().stack`), formatted at once — in a TypeScript program
// through ts-node's source-map-support, which maps every frame: ~0.1 ms each, 1.3 s of a
// 50-app preview (issue 11, docs/benchmarks.md). Nothing reads those strings unless the
// program leaks a promise, and then the promise's own label (resource, property) names it.
//
// So our constructors register inside a window where V8 captures no frames:
// `Error.stackTraceLimit = 0` for the synchronous `super(...)` call, restored after it. What
// still gets a stack:
// - the source position the SDK sends the engine: `Resource.callsites` sets its own limit;
// - an error thrown while registering (a bad option, a transform that throws): it is given
//   the stack of the `new App(...)` that failed, the program line a user needs;
// - everything, when PULUMI_DEBUG_PROMISE_LEAKS is set (the SDK's switch for leak hunting).
//
// The window is synchronous, so no other code runs inside it. IgniteResource is the one place
// that opens it: the base of App, Draft and PublishedVersion.
import * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "./shim.js";
import { providerShim } from "./shims/index.js";

export interface RegistrationWindow {
  /** Puts the stack trace limit back; safe to call twice. */
  close(): void;
  /** For a `catch`: closes the window and gives an error that lost its frames the stack of `ctor`'s caller. */
  thrown(err: unknown, ctor: Function): unknown;
}

/** Opens the window; call `close()` in a `finally`. */
export function openRegistrationWindow(): RegistrationWindow {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return { close() {}, thrown: (err) => err };
  const saved = Error.stackTraceLimit;
  let open = true;
  Error.stackTraceLimit = 0;
  const close = () => {
    if (open) Error.stackTraceLimit = saved;
    open = false;
  };
  return {
    close,
    thrown(err, ctor) {
      close();
      if (err instanceof Error && !hasFrames(err)) Error.captureStackTrace(err, ctor);
      return err;
    },
  };
}

function hasFrames(err: Error): boolean {
  return typeof err.stack === "string" && /\n\s+at /.test(err.stack);
}

/** App, Draft and PublishedVersion: a dynamic resource of module "ignite" whose provider is its kind's shim, registered inside the window. */
export abstract class IgniteResource extends pulumi.dynamic.Resource {
  constructor(kind: ResourceKind, type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    const stacks = openRegistrationWindow();
    try {
      super(providerShim(kind), name, props, opts, "ignite", type);
    } catch (err) {
      throw stacks.thrown(err, new.target);
    } finally {
      stacks.close();
    }
  }
}
