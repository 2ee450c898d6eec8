// The dynamic-provider process is started afresh for every preview and update, and compiling
// what the providers load (this package, the Connect client, protobuf-es and the generated
// code) took ~90 ms of V8 compile on each first check, a call the engine waits for (issue 11,
// docs/benchmarks.md). Node's module compile cache (Node >= 22.1) keeps that code on disk,
// keyed by each file's content, so later processes skip the compile: provider-impl imports
// this module first, so what it loads next is cached, and calls `flushCompileCache` once its
// imports are loaded, because the engine stops the provider process without letting Node
// write the cache at exit.
//
// It is an optimization only: where Node lacks it or the directory cannot be written, the
// modules compile as before. The directory is Node's default (under the temp directory) or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import * as nodeModule from "node:module";

const node = nodeModule as { enableCompileCache?: () => unknown; flushCompileCache?: () => void };

quietly(() => node.enableCompileCache?.());

/** Writes what was compiled since the process started to the cache, now. */
export function flushCompileCache(): void {
  quietly(() => node.flushCompileCache?.());
}

function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    // Never fatal: the providers work the same without the cache.
  }
}
