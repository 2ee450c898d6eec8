// pulumi-ignite: Pulumi resources for Ignite serverless apps.
//
//   import * as ignite from "pulumi-ignite";
//   const app = new ignite.App("greet", { runtime: "python" });
//   const draft = new ignite.Draft("greet", { app: app.appId, code: "./app" });
//   const release = new ignite.PublishedVersion("greet", { app: app.appId, codeHash: draft.codeHash });
export { App, MAX_REPLICAS_CAP, type AppArgs, type AppInputs, type AppOutputs, type ScalingArgs } from "./resources/app.js";
export { Draft, type DraftArgs, type DraftInputs, type DraftOutputs, type RustArgs } from "./resources/draft.js";
export {
  PublishedVersion,
  type PublishedVersionArgs,
  type PublishedVersionInputs,
  type PublishedVersionOutputs,
} from "./resources/published-version.js";
export type { AppArg, PlainScaling, RuntimeName, RustTargetName, ScaleMetricName, TierName } from "./resources/common.js";
