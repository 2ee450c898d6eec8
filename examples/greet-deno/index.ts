// The "greet-deno" example as its own Pulumi project: `cd examples/greet-deno && pulumi up`.
import { greetDeno } from "./greet-deno";

const out = greetDeno();
export const appId = out.appId;
export const activeVersion = out.activeVersion;
export const publicUrls = out.publicUrls;
