// The "tiny" example as its own Pulumi project: `cd examples/tiny && pulumi up`.
import { tiny } from "./tiny";

const out = tiny();
export const appId = out.appId;
export const activeVersion = out.activeVersion;
export const publicUrls = out.publicUrls;
