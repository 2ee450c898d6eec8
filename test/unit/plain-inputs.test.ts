// Inputs known when a resource is made are registered as plain values, not Outputs (issue 11):
// when Pulumi's SDK serializes a resource's inputs it gives every Output among them a stack
// trace, formatted at once (through ts-node's source maps in a TypeScript program), on the
// path of every preview. Observed here where that cost is paid: the SDK's debuggablePromise,
// whose labels name the resource and the property. The engine is Pulumi's mocks.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { echoMocks } from "../support/mocks";

// The SDK's own module instance (CommonJS), whose export the serializer calls at each use.
const debuggable = createRequire(__filename)("@pulumi/pulumi/runtime/debuggable.js") as { debuggablePromise: (p: Promise<unknown>, ctx: string) => Promise<unknown> };
const labels: string[] = [];
const original = debuggable.debuggablePromise;
debuggable.debuggablePromise = (p, ctx) => {
  labels.push(ctx);
  return original(p, ctx);
};

beforeAll(() => echoMocks());

const settled = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));

/** The inputs of resource `name` the SDK serialized as Outputs (or promises), by property. */
function outputInputs(name: string): string[] {
  const props = new Set<string>();
  for (const l of labels) {
    const m = /^serializeProperty\.await\(Promise<resource:([^[]+)\[[^\]]+\]\.([A-Za-z_]+)/.exec(l);
    if (m && m[1] === name) props.add(m[2]!);
  }
  return [...props].sort();
}

describe("inputs known at construction are registered plain", () => {
  it("an App of a plain organization and name: appId is plain; from an Output organization it is an Output (the check can fail)", async () => {
    const { App } = await import("../../src/resources/app.js");
    const plain = new App("plain-app", { organization: "acme-corp", runtime: "python" });
    const late = new App("late-app", { organization: pulumi.output("acme-corp"), runtime: "python" });
    await Promise.all([settled(plain.urn), settled(late.urn)]);
    expect(outputInputs("plain-app")).not.toContain("appId");
    expect(outputInputs("late-app")).toContain("appId");
  });

  it("a Draft without an image and a PublishedVersion without expectCodeHash: image and __expectation are plain", async () => {
    const { App } = await import("../../src/resources/app.js");
    const { Draft } = await import("../../src/resources/draft.js");
    const { PublishedVersion } = await import("../../src/resources/published-version.js");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-plain-inputs-"));
    fs.writeFileSync(path.join(dir, "handler.py"), "def handler(payload, ctx):\n    return 1\n");
    const app = new App("pv-app", { organization: "acme-corp", runtime: "python" });
    const draft = new Draft("plain-draft", { app, code: dir });
    const pinned = new PublishedVersion("pinned-pv", { app, codeHash: draft.codeHash, expectCodeHash: draft.codeHash });
    const plain = new PublishedVersion("plain-pv", { app, codeHash: draft.codeHash });
    await Promise.all([settled(draft.urn), settled(pinned.urn), settled(plain.urn)]);
    // The Draft's code description is computed, so it is an Output; its image is known absent.
    expect(outputInputs("plain-draft")).toContain("codeHash");
    expect(outputInputs("plain-draft")).not.toContain("image");
    expect(outputInputs("pinned-pv")).toContain("__expectation");
    expect(outputInputs("plain-pv")).not.toContain("__expectation");
  });
});
