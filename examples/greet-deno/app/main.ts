// The "greet" handler on the Deno runtime: the default export of main.ts gets the raw body and
// the context, and returns what the runtime sends (an object is JSON).
interface Ctx {
  execution_id: string;
  function_id: string;
  organization_id: string;
}

export default function handler(payload: Uint8Array, ctx: Ctx) {
  let event: { name?: string } = {};
  try {
    event = payload.length ? JSON.parse(new TextDecoder().decode(payload)) : {};
  } catch {
    // not JSON: greet the world
  }
  const name = event.name ?? "world";
  return {
    greeting: `Hello, ${name}!`,
    runtime: "deno",
    execution_id: ctx.execution_id,
    function_id: ctx.function_id,
    received_at: new Date().toISOString(),
  };
}
