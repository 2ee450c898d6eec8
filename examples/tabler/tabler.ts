// Seed "Deploy a Python app": a directory (handler.py + requirements.txt with tabulate) as app "tabler".
import * as path from "node:path";
import * as ignite from "pulumi-ignite";

export function tabler() {
  const app = new ignite.App("tabler", {
    runtime: "python",
    description: "Render rows as a text table",
  });
  const draft = new ignite.Draft("tabler", { app, code: path.join(__dirname, "app") });
  const release = new ignite.PublishedVersion("tabler", {
    app,
    codeHash: draft.codeHash,
    // A real request: it only passes when tabulate (requirements.txt) imports in the pod.
    healthCheck: { method: "POST", body: JSON.stringify({ rows: [["health", 1]] }), expectBodyContains: "health" },
  });
  return { appId: app.appId, activeVersion: release.activeVersion, publicUrls: release.publicUrls };
}
