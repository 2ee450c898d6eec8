// The provider object of each resource kind: one per kind, made once and shared by every
// resource of that kind, since Pulumi caches a serialized provider by object identity (a
// program of 200 apps serializes three providers, not 600: issue 11).
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "../shim.js";
import * as app from "./app.js";
import * as draft from "./draft.js";
import * as publishedVersion from "./published-version.js";

const shims: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = { app, draft, publishedVersion };

export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  return shims[kind];
}
