// The provider object of each resource kind: one per kind, made once and shared by every
// resource of that kind, since Pulumi caches a serialized provider by object identity (a
// program of 200 apps serializes three providers, not 600: issue 11).
//
// The object is the kind's module exports (`./app.ts`, …) when Pulumi's serializer will write
// it as a require of `pulumi-ignite/…`: the package is installed directly under a node_modules
// directory (../shim.ts). Anywhere else it is a plain copy of them, which Pulumi serializes by
// value: the repository itself, a linked package, and a copy nested in another package
// (`node_modules/foo/node_modules/pulumi-ignite`), which Pulumi would name through foo's
// package.json and may fail to (its exports map does not list our files).
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "../shim.js";
import * as app from "./app.js";
import * as draft from "./draft.js";
import * as publishedVersion from "./published-version.js";

const modules: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = { app, draft, publishedVersion };
let shims: Record<ResourceKind, pulumi.dynamic.ResourceProvider> | undefined;

export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  shims ??= requiredByName(__filename, process.cwd()) ? modules : (Object.fromEntries(Object.entries(modules).map(([k, m]) => [k, { ...m }])) as typeof modules);
  return shims[kind];
}

/**
 * Whether Pulumi names module `file` as `pulumi-ignite/…` when serializing from `cwd`: its path
 * from `cwd` goes through a node_modules directory straight into `pulumi-ignite` (the first
 * node_modules, or the last in a pnpm store, as Pulumi's closure serializer picks it).
 */
export function requiredByName(file: string, cwd: string): boolean {
  const parts = path.relative(cwd, file).split(path.sep);
  const at = parts.includes(".pnpm") ? parts.lastIndexOf("node_modules") : parts.indexOf("node_modules");
  return at >= 0 && parts[at + 1] === "pulumi-ignite";
}
