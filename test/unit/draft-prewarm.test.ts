// A Draft starts the machine's Python as it is made (its code check asks it later), unless it
// is known then to hold no Python: an image, Rust, another runtime given, or an App of another
// runtime declared earlier in the program (runtimeKnownAtConstruction). Pulumi's mocks stand in
// for the engine, so Apps can be made.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { echoMocks } from "../support/mocks";

beforeAll(() => echoMocks());

describe("what a Draft saves, as it is made", () => {
  it("follows the args first, then the App declared with a plain organization, name and runtime", async () => {
    const { App } = await import("../../src/resources/app.js");
    const { runtimeKnownAtConstruction: known } = await import("../../src/resources/draft.js");
    const go = new App("prewarm-go", { organization: "acme-corp", runtime: "go" });
    const py = new App("prewarm-py", { organization: "acme-corp" });
    const late = new App("prewarm-late", { organization: pulumi.output("acme-corp"), runtime: "deno" });
    expect(known({ app: go })).toBe("go");
    expect(known({ app: "acme-corp/prewarm-go" })).toBe("go");
    expect(known({ app: py })).toBe("python");
    // The App's id is an Output until the engine answers: not known now.
    expect(known({ app: late })).toBeUndefined();
    expect(known({ app: "acme-corp/declared-elsewhere" })).toBeUndefined();
    expect(known({ app: go, runtime: "python" })).toBe("python");
    expect(known({ app: py, rust: { target: "native" } })).toBe("rust");
    expect(known({ app: py, image: { ref: "ghcr.io/acme/greet:1" } })).toBe("image");
    expect(known({ app: py, runtime: pulumi.output("go" as const) })).toBeUndefined();
  });
});
