// The root program (Pulumi.yaml at the repository root): every example in one stack.
import { greet } from "./greet/greet";
import { greetDeno } from "./greet-deno/greet-deno";
import { greetGo } from "./greet-go/greet-go";
import { tabler } from "./tabler/tabler";
import { tiny } from "./tiny/tiny";

export const apps = { greet: greet(), tabler: tabler(), tiny: tiny(), "greet-deno": greetDeno(), "greet-go": greetGo() };
