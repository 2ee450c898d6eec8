// The object handed to `pulumi.dynamic.Resource` as its provider. Pulumi serializes it into
// every resource's state (`__provider`), inlining whatever it captures, so it captures nothing
// but the resource kind: the implementation is loaded at run time inside the provider process,
// and the endpoint and credentials arrive there through `configure`.
//
// Each kind's object is the exports of a module of its own (`./shims/app.ts`, …): when the
// package is installed under a node_modules directory, Pulumi's serializer finds the object in
// Node's module cache and writes `require("<that module>")` instead of the object's code, ~0.3 kB
// of state per copy instead of ~2.7 kB, and two copies per resource (its inputs and its
// outputs). Loaded some other way (this repository's examples, a linked package, a copy nested
// in another package: `./shims/index.ts` decides), the object is serialized by value, as
// before: the same methods, which work from anywhere.
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "app" | "draft" | "publishedVersion";

/** What `provider-impl` exports; the shim only knows its shape. */
export interface ProviderImpl {
  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void>;
  providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider>;
}

/**
 * The methods of `kind`'s provider object. Each kind's object is the exports of its own module
 * (`./shims/`), made from these once per process and shared by every resource of that kind
 * (`providerShim`).
 */
export function makeShim(kind: ResourceKind): Required<Omit<pulumi.dynamic.ResourceProvider, "diffConfig">> {
  // Runs in the dynamic-provider process. The serialized code is evaluated as a module without
  // a file, so a bare require resolves from node_modules around the process's working
  // directory (the Pulumi project): that finds an installed pulumi-ignite. Inside this
  // repository (the examples) the package resolves by its own name (package self-reference),
  // which needs a require anchored in the project directory.
  const load = (): ProviderImpl => {
    const id = "pulumi-ignite/resources/provider-impl";
    try {
      return require(id);
    } catch (err) {
      try {
        return require("module").createRequire(require("path").join(process.cwd(), "index.js"))(id);
      } catch {
        throw err;
      }
    }
  };
  const p = (): pulumi.dynamic.ResourceProvider => load().providers[kind];
  return {
    configure: (req) => load().configure(req),
    check: (olds, news) => p().check!(olds, news),
    diff: (id, olds, news) => p().diff!(id, olds, news),
    create: (inputs) => p().create(inputs),
    read: (id, props) => p().read!(id, props),
    update: (id, olds, news) => p().update!(id, olds, news),
    delete: (id, props) => p().delete!(id, props),
  };
}
