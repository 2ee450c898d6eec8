// The greet app on the Go runtime: main.go with `func Handler(payload []byte, ctx ignite.Context) (any, error)`.
// PublishDraft builds it into a static binary (the platform compiles Go as part of publish).
import * as path from "node:path";
import * as ignite from "pulumi-ignite";

export function greetGo() {
  const app = new ignite.App("greet-go", { runtime: "go", description: "The greeting microservice, compiled from Go" });
  const draft = new ignite.Draft("greet-go", { app: app.appId, runtime: "go", code: path.join(__dirname, "app") });
  const release = new ignite.PublishedVersion("greet-go", { app: app.appId, codeHash: draft.codeHash });
  return { appId: app.appId, activeVersion: release.activeVersion, publicUrls: release.publicUrls };
}
