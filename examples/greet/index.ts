// The "greet" example as its own Pulumi project: `cd examples/greet && pulumi up`.
import { greet } from "./greet";

const out = greet();
export const appId = out.appId;
export const activeVersion = out.activeVersion;
export const publicUrls = out.publicUrls;
