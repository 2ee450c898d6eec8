// Seed "Deploy a microservice": one Python file, handler.py, as app "greet".
import * as path from "node:path";
import * as ignite from "pulumi-ignite";

export function greet() {
  const app = new ignite.App("greet", {
    runtime: "python",
    description: "A tiny greeting microservice",
    resourceTier: "small",
  });
  const draft = new ignite.Draft("greet", { app, code: path.join(__dirname, "app", "handler.py") });
  const release = new ignite.PublishedVersion("greet", { app, codeHash: draft.codeHash });
  return { appId: app.appId, activeVersion: release.activeVersion, publicUrls: release.publicUrls };
}
