// Our resources register without formatting a stack trace for every promise the SDK makes
// (src/resources/registration.ts, issue 11): the SDK's `debuggablePromise` formats one per
// promise, four per property, each mapped through source maps in a TypeScript program. What
// must keep its stack: the source position the SDK computes, an error thrown while
// registering, and everything when PULUMI_DEBUG_PROMISE_LEAKS is set.
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App, Draft, PublishedVersion } from "../../src/index.js";

/** Counts the stacks formatted for the SDK's debuggable promises while `f` runs. */
function promiseStacks<T>(f: () => T): { result?: T; error?: unknown; stacks: number; limitAfter: number } {
  const prev = Error.prepareStackTrace;
  let stacks = 0;
  Error.prepareStackTrace = (err, frames) => {
    if (frames[0]?.getFunctionName() === "debuggablePromise") stacks++;
    return prev ? prev(err, frames) : `${err}${frames.map((fr) => `\n    at ${fr}`).join("")}`;
  };
  try {
    return { result: f(), stacks, limitAfter: Error.stackTraceLimit };
  } catch (error) {
    return { error, stacks, limitAfter: Error.stackTraceLimit };
  } finally {
    Error.prepareStackTrace = prev;
  }
}

/** A dynamic resource of the SDK's own, with as many properties as an App. */
class Plain extends pulumi.dynamic.Resource {
  constructor(name: string) {
    const props = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`p${i}`, i % 2 ? undefined : `v${i}`]));
    super({ async create() { return { id: "x" }; } }, name, props, undefined, "plain", "Plain");
  }
}

/** `Resource.callsites`, private in the SDK's types: the frames the source position is taken from. */
type Callsites = () => { file?: string }[];
const resourceClass = pulumi.Resource as unknown as { callsites: Callsites };

describe("registering our resources", () => {
  const limit = Error.stackTraceLimit;
  const callsites = resourceClass.callsites;
  const sourceFrames: number[] = [];

  beforeAll(async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "stacks", "test", true);
    resourceClass.callsites = () => {
      const frames = callsites.call(resourceClass);
      sourceFrames.push(frames.filter((f) => f.file).length);
      return frames;
    };
  });
  afterAll(() => {
    resourceClass.callsites = callsites;
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
  });

  it("the SDK formats a stack per promise for a resource of its own (the measure works)", () => {
    const plain = promiseStacks(() => new Plain("plain"));
    expect(plain.error).toBeUndefined();
    expect(plain.stacks).toBeGreaterThanOrEqual(4 * 14);
  });

  it("formats none for an App, a Draft or a PublishedVersion, and puts the limit back", () => {
    const makers: (() => pulumi.Resource)[] = [
      () => new App("a", { organization: "acme-corp", runtime: "python" }),
      () => new Draft("d", { app: "acme-corp/a", code: __filename }),
      () => new PublishedVersion("v", { app: "acme-corp/a", codeHash: `sha256:${"0".repeat(64)}` }),
    ];
    for (const make of makers) {
      sourceFrames.length = 0;
      const r = promiseStacks(make);
      expect(r.error).toBeUndefined();
      expect(r.stacks).toBe(0);
      expect(r.limitAfter).toBe(limit);
      // The source position the SDK sends the engine still has its frames.
      expect(sourceFrames.length).toBeGreaterThan(0);
      expect(sourceFrames.every((n) => n > 3)).toBe(true);
    }
  });

  it("gives an error thrown while registering the stack of the line that made the resource", () => {
    const r = promiseStacks(() => new App("bad-parent", { organization: "acme-corp" }, { parent: {} as pulumi.Resource }));
    expect(r.error).toBeInstanceOf(Error);
    expect((r.error as Error).message).toMatch(/parent/);
    expect((r.error as Error).stack).toContain("registration-stacks.test.ts");
    expect(r.limitAfter).toBe(limit);
  });

  it("formats them all when PULUMI_DEBUG_PROMISE_LEAKS is set (the SDK's switch for leak hunting)", () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    try {
      const r = promiseStacks(() => new App("leaky", { organization: "acme-corp" }));
      expect(r.stacks).toBeGreaterThanOrEqual(4 * 10);
    } finally {
      delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    }
  });
});
