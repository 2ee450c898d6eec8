// Seed "Deploy a microservice": one Python file, handler.py, as app "greet".
import * as path from "node:path";
import * as ignite from "pulumi-ignite";

export function greet() {
  const app = new ignite.App("greet", {
    runtime: "python",
    description: "A tiny greeting microservice",
    resourceTier: "small",
    // The platform's readiness probe: a pod serves once GET /healthz answers 2xx/3xx.
    healthPath: "/healthz",
  });
  const draft = new ignite.Draft("greet", { app, code: path.join(__dirname, "app", "handler.py") });
  const release = new ignite.PublishedVersion("greet", {
    app,
    codeHash: draft.codeHash,
    // After each release, GET <public URL>/healthz (the App's healthPath) must answer 2xx with
    // a greeting; otherwise the version active before is made active again and `up` fails.
    healthCheck: { expectBodyContains: '"greeting"' },
  });
  return { appId: app.appId, activeVersion: release.activeVersion, publicUrls: release.publicUrls };
}
