// The "greet-go" example as its own Pulumi project: `cd examples/greet-go && pulumi up`.
import { greetGo } from "./greet-go";

const out = greetGo();
export const appId = out.appId;
export const activeVersion = out.activeVersion;
export const publicUrls = out.publicUrls;
