// Promotion: one program, one stack per environment. `staging` deploys the working tree,
// checks it with a health check and exports what it verified (the code hash and the per-file
// manifest); `production` reads them with a StackReference and deploys only that code — its
// preview fails, naming the files, when the working tree is anything else.
//
//   pulumi stack init staging     # ignite:endpoint / ignite:token of staging's Ignite
//   pulumi stack init production  # … of production's, and:
//   pulumi config set promoteFrom organization/ignite-promotion/staging
//
// (With Pulumi Cloud the reference is "<org>/ignite-promotion/staging".)
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as ignite from "pulumi-ignite";

const config = new pulumi.Config();
// The stack whose verified code this stack deploys; unset in staging itself.
const promoteFrom = config.get("promoteFrom");
const verified = promoteFrom ? new pulumi.StackReference(promoteFrom) : undefined;

const quotes = new ignite.Service("quotes", {
  code: path.join(__dirname, "app"),
  description: "Quotes, promoted from staging to production",
  healthPath: "/healthz",
  // A release stays only when GET <url>/healthz answers 2xx with {"ok": true, …}.
  healthCheck: { expectBodyContains: '"ok": true' },
  scaling: { maxReplicas: promoteFrom ? 5 : 2 },
  expectCodeHash: verified?.requireOutput("codeHash") as pulumi.Output<string> | undefined,
  expectManifest: verified?.getOutput("manifest") as pulumi.Output<Record<string, string>> | undefined,
});

/** The code that runs here, verified by the health check: what the next stage deploys. */
export const codeHash = quotes.codeHash;
/** Per-file hashes of that code, so the next stage's preview can name files that differ. */
export const manifest = quotes.manifest;
export const url = quotes.url;
export const activeVersion = quotes.activeVersion;
