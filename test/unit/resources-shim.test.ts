// The provider object Pulumi serializes into every resource's state (`__provider`): one per
// resource kind, shared by every resource of that kind (issue 11: Pulumi caches the serialized
// closure by object identity, so per-resource objects made a 200-app program serialize 600
// closures), and holding nothing but the kind: no endpoint, no credential.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerShim, type ResourceKind } from "../../src/resources/shim.js";

const requireHere = createRequire(__filename);
type SerializeFunction = (func: () => unknown, args?: object) => Promise<{ text: string }>;
const closure = requireHere("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: SerializeFunction };

/** `__provider` as Pulumi writes it: dynamic.Resource serializes `() => provider`. */
async function serialize(kind: ResourceKind): Promise<string> {
  const provider = providerShim(kind);
  return (await closure.serializeFunction(() => provider, { allowSecrets: true })).text;
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

  it("captures only the kind: no endpoint or credential from the environment or config, whatever is set", async () => {
    const env = { DODIL_IGNITE_ENDPOINT: "rpc.secret-endpoint.example:443", DODIL_TOKEN: "ign_token_do_not_store", DODIL_CLIENT_SECRET: "client-secret-do-not-store", DODIL_ORG: "org-from-env" };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      for (const kind of ["app", "draft", "publishedVersion"] as const) {
        const text = await serialize(kind);
        for (const value of Object.values(env)) expect(text).not.toContain(value);
        expect(text.length).toBeLessThan(4000);
        // Every captured variable is the shim itself or one of its own: the loader, the kind, the getter.
        const captured = [...text.matchAll(/with\(\{ ([^}]*) \}\)/g)].flatMap((m) => m[1]!.split(", ").map((kv) => kv.split(":")[0]!));
        expect(new Set(captured)).toEqual(new Set(["this", "arguments", "provider", "load", "kind", "p"]));
        expect(text).toContain(`kind: "${kind}"`);
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
