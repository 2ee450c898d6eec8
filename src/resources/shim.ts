// The object handed to `pulumi.dynamic.Resource` as its provider. Pulumi serializes it into
// every resource's state (`__provider`), inlining whatever it captures, so it captures nothing
// but the resource kind: the implementation is loaded at run time inside the provider process,
// and the endpoint and credentials arrive there through `configure`.
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "app" | "draft" | "publishedVersion";

/** What `provider-impl` exports; the shim only knows its shape. */
export interface ProviderImpl {
  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void>;
  providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider>;
}

/**
 * One shim per kind, made once and shared by every resource of that kind: Pulumi caches the
 * serialized closure by object identity, so a program of 200 apps serializes three providers,
 * not 600 (issue 11). The text is the same either way, so state written by earlier versions
 * (one object per resource) matches it byte for byte.
 */
const shims = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) {
    shim = makeShim(kind);
    shims.set(kind, shim);
  }
  return shim;
}

function makeShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
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
