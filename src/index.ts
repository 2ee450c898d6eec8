// pulumi-ignite: Pulumi resources for Ignite serverless apps.
//
//   import * as ignite from "pulumi-ignite";
//   const greet = new ignite.Service("greet", { code: "./app", healthCheck: true });
//
// or the three resources it is made of:
//   const app = new ignite.App("greet", { runtime: "python" });
//   const draft = new ignite.Draft("greet", { app, code: "./app" });
//   const release = new ignite.PublishedVersion("greet", { app, codeHash: draft.codeHash });
export { Service, type ServiceArgs, type Transform } from "./resources/service.js";
export { App, MAX_REPLICAS_CAP, type AppArgs, type AppInputs, type AppOutputs, type ScalingArgs } from "./resources/app.js";
export { Draft, type DraftArgs, type DraftInputs, type DraftOutputs, type RustArgs } from "./resources/draft.js";
export {
  PublishedVersion,
  type PublishedVersionArgs,
  type PublishedVersionInputs,
  type PublishedVersionOutputs,
} from "./resources/published-version.js";
export { HEALTH_DEFAULTS, type HealthCheckArgs, type HttpMethodName } from "./resources/health-check.js";
export type { AppArg, PlainScaling, RuntimeName, RustTargetName, ScaleMetricName, TierName } from "./resources/common.js";
