// The provider object Pulumi serializes into every resource's state (`__provider`): one per
// resource kind, shared by every resource of that kind (issue 11: Pulumi caches the serialized
// closure by object identity, so per-resource objects made a 200-app program serialize 600
// closures), and holding nothing but the kind: no endpoint, no credential. Installed under a
// node_modules directory, the package's object is written as a require of its module (~0.3 kB,
// not ~2.7 kB of state per copy); loaded from anywhere else, by value. The tests of the two
// forms serialize the compiled package (dist/, built before the tests run) the way a program
// loads it.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResourceKind } from "../../src/resources/shim.js";
import { providerShim, requiredByName } from "../../src/resources/shims/index.js";
import { installPackageFiles, repo } from "../support/package-files.js";

const requireHere = createRequire(__filename);
/** What the dynamic-provider process evaluates `__provider` with. */
const requireFromString = createRequire(requireHere.resolve("@pulumi/pulumi"))("require-from-string") as (code: string, filename?: string) => { handler(): Record<string, unknown> };
type SerializeFunction = (func: () => unknown, args?: object) => Promise<{ text: string }>;
const closure = requireHere("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: SerializeFunction };

const KINDS = ["app", "draft", "publishedVersion"] as const;
/** The modules whose exports are the provider objects, in the compiled package. */
const MODULES: Record<ResourceKind, string> = { app: "app", draft: "draft", publishedVersion: "published-version" };

/** `__provider` as Pulumi writes it: dynamic.Resource serializes `() => provider`. */
async function serialize(provider: unknown): Promise<string> {
  return (await closure.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/** The compiled package's provider objects, loaded from `pkg` (a directory holding package.json and dist/). */
function compiledShims(pkg: string): (kind: ResourceKind) => unknown {
  return (requireHere(path.join(pkg, "dist", "resources", "shims", "index.js")) as { providerShim: (kind: ResourceKind) => unknown }).providerShim;
}

describe("the provider object of each resource kind", () => {
  const real = closure.serializeFunction;
  /** The provider objects handed to Pulumi's serializer, in order. */
  const serialized: unknown[] = [];
  let dir: string;

  beforeAll(async () => {
    closure.serializeFunction = (func, args) => {
      serialized.push(func());
      return real(func, args);
    };
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "shim", "test", true);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shim-"));
    fs.writeFileSync(path.join(dir, "handler.py"), "def handler(payload, ctx):\n    return 1\n");
  });
  afterAll(() => {
    closure.serializeFunction = real;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is one object shared by every resource of the kind, so Pulumi serializes it once (issue 11)", async () => {
    const { App, Draft, PublishedVersion } = await import("../../src/index.js");
    serialized.length = 0;
    const apps = [new App("a1", { organization: "acme-corp" }), new App("a2", { organization: "acme-corp" })];
    const drafts = apps.map((app, i) => new Draft(`d${i}`, { app, code: path.join(dir, "handler.py") }));
    drafts.forEach((d, i) => new PublishedVersion(`v${i}`, { app: apps[i]!, codeHash: d.codeHash }));
    await new Promise((r) => setTimeout(r, 50));
    // Six resources, three kinds: three serializations, each of a different object.
    expect(serialized).toHaveLength(3);
    expect(new Set(serialized).size).toBe(3);
    expect(serialized).toEqual([providerShim("app"), providerShim("draft"), providerShim("publishedVersion")]);
  });

  it("loaded from outside node_modules (this repository, a linked package), is serialized by value and captures only the kind: no endpoint or credential from the environment or config, whatever is set", async () => {
    const env = { DODIL_IGNITE_ENDPOINT: "rpc.secret-endpoint.example:443", DODIL_TOKEN: "ign_token_do_not_store", DODIL_CLIENT_SECRET: "client-secret-do-not-store", DODIL_ORG: "org-from-env" };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const shim = compiledShims(repo);
      for (const kind of KINDS) {
        const text = await serialize(shim(kind));
        for (const value of Object.values(env)) expect(text).not.toContain(value);
        expect(text).not.toMatch(/require\("pulumi-ignite\/(dist\/)?resources\/shims/);
        expect(text.length).toBeLessThan(4000);
        // Every captured variable is the shim itself or one of its own: the loader, the kind, the getter.
        const captured = [...text.matchAll(/with\(\{ ([^}]*) \}\)/g)].flatMap((m) => m[1]!.split(", ").map((kv) => kv.split(":")[0]!));
        expect(new Set(captured)).toEqual(new Set(["this", "arguments", "provider", "load", "kind", "p"]));
        expect(text).toContain(`kind: "${kind}"`);
        const provider = requireFromString(text).handler();
        expect(Object.keys(provider).sort()).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("installed under node_modules, is serialized as a require of its module, which loads that very object (issue 11)", async () => {
    // The package as the e2e harness installs it: its files, not a link.
    const project = path.join(dir, "project");
    const pkg = path.join(project, "node_modules", "pulumi-ignite");
    installPackageFiles(pkg);
    const shim = compiledShims(pkg);
    for (const kind of KINDS) {
      const text = await serialize(shim(kind));
      // Pulumi names the module by its export ("pulumi-ignite/resources/shims/app") where it can
      // read the package's exports from the SDK's own location, else by its file
      // ("pulumi-ignite/dist/resources/shims/app.js", the package's "./dist/*" export): here the
      // SDK is the repository's, which cannot see the project's node_modules.
      expect(text).toMatch(new RegExp(`require\\("pulumi-ignite/(resources/shims/${MODULES[kind]}|dist/resources/shims/${MODULES[kind]}\\.js)"\\)`));
      expect(text.length).toBeLessThan(400);
      // Evaluated as the dynamic-provider process does, from the project directory.
      const provider = requireFromString(text, path.join(project, "index.js")).handler();
      expect(provider).toBe(shim(kind));
      expect(Object.keys(provider).sort()).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
    }
  });

  it("nested in another package's node_modules, is serialized by value: Pulumi would name it through that package's exports map, and fail", async () => {
    const project = path.join(dir, "nested");
    const foo = path.join(project, "node_modules", "foo");
    const pkg = path.join(foo, "node_modules", "pulumi-ignite");
    installPackageFiles(pkg);
    fs.writeFileSync(path.join(foo, "package.json"), JSON.stringify({ name: "foo", version: "1.0.0", exports: { ".": "./index.js" } }));
    fs.writeFileSync(path.join(foo, "index.js"), "module.exports = {};\n");
    const shim = compiledShims(pkg);
    for (const kind of KINDS) {
      const text = await serialize(shim(kind));
      expect(text).not.toContain("require(\"foo");
      expect(text).toContain(`kind: "${kind}"`);
      expect(Object.keys(requireFromString(text).handler()).sort()).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
    }
  });

  it("is a require of its module exactly where the path from the working directory enters pulumi-ignite through node_modules", () => {
    const cwd = path.join(path.sep, "work", "infra");
    const file = (...p: string[]) => path.join(...p, "dist", "resources", "shims", "index.js");
    expect(requiredByName(file(cwd, "node_modules", "pulumi-ignite"), cwd)).toBe(true);
    // Hoisted above the project (a workspace), or installed globally.
    expect(requiredByName(file(path.sep, "work", "node_modules", "pulumi-ignite"), cwd)).toBe(true);
    expect(requiredByName(file(path.sep, "usr", "lib", "node_modules", "pulumi-ignite"), cwd)).toBe(true);
    // pnpm's store: the package follows the last node_modules.
    expect(requiredByName(file(cwd, "node_modules", ".pnpm", "pulumi-ignite@0.1.0", "node_modules", "pulumi-ignite"), cwd)).toBe(true);
    // Nested in another package, this repository, a linked checkout.
    expect(requiredByName(file(cwd, "node_modules", "foo", "node_modules", "pulumi-ignite"), cwd)).toBe(false);
    expect(requiredByName(file(path.sep, "src", "pulumi-ignite"), cwd)).toBe(false);
    expect(requiredByName(file(cwd), cwd)).toBe(false);
  });
});
