// ignite.Service (issue 13): one args object makes exactly an App, a Draft and a
// PublishedVersion, children of the Service, each given its part of the args. The engine is
// replaced by Pulumi's mocks (every resource echoes its inputs); the real CLI runs the Service
// in test/e2e/promotion.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { echoMocks } from "../support/mocks";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

beforeAll(async () => {
  await echoMocks((args) => registered.push({ type: args.type, name: args.name, inputs: args.inputs }));
  pulumi.runtime.setConfig("ignite:organization", "acme-corp");
});

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));

describe("ignite.Service", () => {
  it("creates an App, a Draft and a PublishedVersion as its children, each with its part of the args", async () => {
    const { Service } = await import("../../src/resources/service.js");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-service-"));
    fs.writeFileSync(path.join(dir, "handler.py"), "def handler(payload, ctx):\n    return 1\n");
    const svc = new Service("greet", {
      code: dir,
      description: "hello",
      healthPath: "/healthz",
      scaling: { maxReplicas: 3 },
      healthCheck: true,
      expectCodeHash: undefined,
      transform: { app: (_args, opts) => void (opts.ignoreChanges = ["scaling"]) },
    });
    expect(await value(svc.appId)).toBe("acme-corp/greet");
    await value(svc.url);
    const byType = Object.fromEntries(registered.map((r) => [r.type.split(":").pop(), r]));
    expect(Object.keys(byType).sort()).toEqual(["App", "Draft", "PublishedVersion", "Service"]);
    expect(byType.Service!.type).toBe("ignite:index:Service");
    for (const t of ["App", "Draft", "PublishedVersion"]) expect(byType[t]!.name).toBe("greet");
    expect(byType.App!.inputs).toMatchObject({ name: "greet", description: "hello", healthPath: "/healthz", scaling: { maxReplicas: 3 }, __ignoreChanges: ["scaling"] });
    expect(byType.Draft!.inputs).toMatchObject({ app: "acme-corp/greet", sourceKind: "directory", manifest: { "handler.py": expect.stringMatching(/^sha256:/) } });
    expect(byType.PublishedVersion!.inputs).toMatchObject({ app: "acme-corp/greet", codeHash: byType.Draft!.inputs.codeHash, healthCheck: {} });
    expect(byType.PublishedVersion!.inputs).not.toHaveProperty("expectCodeHash");
  });
});
