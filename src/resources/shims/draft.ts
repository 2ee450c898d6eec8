// The Draft's provider object is this module's exports (../shim.ts says why a module of its own).
import { makeShim } from "../shim.js";

const { configure, check, diff, create, read, update, delete: remove } = makeShim("draft");
export { configure, check, diff, create, read, update, remove as delete };
