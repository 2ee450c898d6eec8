// The "tabler" example as its own Pulumi project: `cd examples/tabler && pulumi up`.
import { tabler } from "./tabler";

const out = tabler();
export const appId = out.appId;
export const activeVersion = out.activeVersion;
export const publicUrls = out.publicUrls;
