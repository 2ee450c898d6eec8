// The pure parts of the Rust compile: how cargo's lines are shown, which line becomes
// compile_error, how a toolchain name is matched, and the generated wrapper crate.
import { describe, expect, it } from "vitest";
import { firstError, rewriteCargoLine } from "../../src/emulator/runtimes/rust/cargo-log.js";
import { cargoEnv, wrapperManifest, wrapperName } from "../../src/emulator/runtimes/rust/compile.js";
import { matchToolchain, parseToolchainList } from "../../src/emulator/runtimes/rust/toolchain.js";

const names = { treeDir: "/d/compile/acme-corp/tiny/tree", wrapperDir: "/d/compile/acme-corp/tiny/wrapper", sdkDir: "/repo/src/emulator/runtimes/rust/sdk" };

describe("cargo's lines in the compile log", () => {
  it.each([
    ["   Compiling tiny v0.1.0 (/d/compile/acme-corp/tiny/tree)", "   Compiling tiny v0.1.0 (the draft)"],
    [" --> /d/compile/acme-corp/tiny/tree/src/lib.rs:5:9", " --> src/lib.rs:5:9"],
    ["   Compiling ignite v0.1.0 (/repo/src/emulator/runtimes/rust/sdk/ignite)", "   Compiling ignite v0.1.0 (<platform SDK>/ignite)"],
    ["   Compiling ignite-macros v0.1.0 (/repo/src/emulator/runtimes/rust/sdk/ignite-macros)", "   Compiling ignite-macros v0.1.0 (<platform SDK>/ignite-macros)"],
    ["   Compiling ignite-app-x v0.0.0 (/d/compile/acme-corp/tiny/wrapper)", "   Compiling ignite-app-x v0.0.0 (the generated wrapper crate)"],
    ["    Finished `release` profile [optimized] target(s) in 4.51s", "    Finished `release` profile [optimized] target(s) in 4.51s"],
  ])("shows %j as %j", (raw, shown) => {
    expect(rewriteCargoLine(raw, names)).toBe(shown);
  });
});

describe("compile_error of a failed build", () => {
  it("names the file and line of the first rustc error, followed by its diagnostic", () => {
    const log = [
      "   Compiling tiny v0.1.0 (the draft)",
      "warning: unused variable: `x`",
      " --> src/lib.rs:2:9",
      "",
      "error[E0308]: mismatched types",
      " --> src/lib.rs:5:18",
      "  |",
      '5 |     let n: u32 = "x";',
      "",
      "error[E0425]: cannot find value `y` in this scope",
      " --> src/other.rs:1:1",
      "error: could not compile `tiny` (lib) due to 2 previous errors",
    ];
    expect(firstError(log)).toBe('src/lib.rs:5:18: error[E0308]: mismatched types\n --> src/lib.rs:5:18\n  |\n5 |     let n: u32 = "x";');
  });

  it("keeps cargo's own errors (no location) as they are", () => {
    const log = ["    Updating crates.io index", "error: no matching package named `nope` found", "location searched: crates.io index", "required by package `tiny v0.1.0 (the draft)`"];
    expect(firstError(log)).toBe("error: no matching package named `nope` found\nlocation searched: crates.io index\nrequired by package `tiny v0.1.0 (the draft)`");
  });

  it("is undefined without an error line", () => {
    expect(firstError(["   Compiling tiny", "warning: unused"])).toBeUndefined();
  });
});

describe("toolchains", () => {
  const list = "stable-x86_64-unknown-linux-gnu (active, default)\nnightly-x86_64-unknown-linux-gnu\nnightly-2026-05-01-x86_64-unknown-linux-gnu\n1.95.0-x86_64-unknown-linux-gnu\n";

  it("reads rustup's list and its default", () => {
    expect(parseToolchainList(list)).toEqual({
      names: ["stable-x86_64-unknown-linux-gnu", "nightly-x86_64-unknown-linux-gnu", "nightly-2026-05-01-x86_64-unknown-linux-gnu", "1.95.0-x86_64-unknown-linux-gnu"],
      default: "stable-x86_64-unknown-linux-gnu",
    });
  });

  it.each([
    ["stable", "stable-x86_64-unknown-linux-gnu"],
    ["1.95.0", "1.95.0-x86_64-unknown-linux-gnu"],
    ["nightly", "nightly-x86_64-unknown-linux-gnu"],
    ["nightly-2026-05-01", "nightly-2026-05-01-x86_64-unknown-linux-gnu"],
    ["1.95.0-x86_64-unknown-linux-gnu", "1.95.0-x86_64-unknown-linux-gnu"],
    ["1.95", undefined],
    ["beta", undefined],
  ])("matches %j to %j", (requested, name) => {
    expect(matchToolchain(requested, parseToolchainList(list).names)).toBe(name);
  });
});

describe("the generated wrapper crate", () => {
  it("has a readable bin name unique per app", () => {
    expect(wrapperName("acme-corp/tiny")).toMatch(/^ignite-app-acme-corp-tiny-[0-9a-f]{8}$/);
    expect(wrapperName("acme-corp/multi.port")).toMatch(/^ignite-app-acme-corp-multi-port-[0-9a-f]{8}$/);
    expect(wrapperName("acme-corp/multi.port")).not.toBe(wrapperName("acme-corp/multi-port"));
  });

  it("depends on the user's crate by path and patches crates.io's ignite with the SDK", () => {
    const toml = wrapperManifest({ name: "ignite-app-x", packageName: "tiny", treeDir: "/t/tree", sdk: "/sdk", patchMacros: false });
    expect(toml).toContain('app = { package = "tiny", path = "/t/tree" }');
    expect(toml).toContain('[patch.crates-io]\nignite = { path = "/sdk/ignite" }\n');
    expect(toml).not.toContain("ignite-macros");
    expect(toml).toContain("[workspace]");
    expect(wrapperManifest({ name: "x", packageName: "t", treeDir: "/t", sdk: "/sdk", patchMacros: true })).toContain('ignite-macros = { path = "/sdk/ignite-macros" }');
  });

  it("builds with none of the caller's RUSTFLAGS or target-dir settings", () => {
    const env = cargoEnv({ PATH: "/bin", RUSTFLAGS: "-C opt-level=0", CARGO_TARGET_DIR: "/x", CARGO_BUILD_TARGET: "y", CARGO_HOME: "/h", CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: "z" });
    expect(env).toEqual({ PATH: "/bin", CARGO_HOME: "/h" });
  });
});
