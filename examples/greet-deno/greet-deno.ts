// The greet app on the Deno runtime: main.ts with `export default function handler(payload, ctx)`.
// PublishDraft checks and caches its module graph (the platform compiles Deno as part of publish).
import * as path from "node:path";
import * as ignite from "pulumi-ignite";

export function greetDeno() {
  const app = new ignite.App("greet-deno", { runtime: "deno", description: "The greeting microservice, in TypeScript on Deno" });
  const draft = new ignite.Draft("greet-deno", { app: app.appId, runtime: "deno", code: path.join(__dirname, "app") });
  const release = new ignite.PublishedVersion("greet-deno", { app: app.appId, codeHash: draft.codeHash });
  return { appId: app.appId, activeVersion: release.activeVersion, publicUrls: release.publicUrls };
}
