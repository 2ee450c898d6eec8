// Seed "Compile for fast cold starts": a Rust crate (Cargo.toml + src/lib.rs) compiled for
// the native target, as app "tiny".
import * as path from "node:path";
import * as ignite from "pulumi-ignite";

export function tiny() {
  const app = new ignite.App("tiny", {
    runtime: "rust",
    description: "Tiny compiled Rust handler",
  });
  const draft = new ignite.Draft("tiny", {
    app,
    code: path.join(__dirname, "app"),
    rust: { target: "native" },
  });
  const release = new ignite.PublishedVersion("tiny", { app, codeHash: draft.codeHash, healthCheck: { expectBodyContains: "Hello from Rust" } });
  return { appId: app.appId, activeVersion: release.activeVersion, publicUrls: release.publicUrls };
}
