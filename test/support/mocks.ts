// Pulumi's mocks as the unit tests use them: the engine replaced by one that echoes every
// resource's inputs as its state, so resources can be made without a CLI. `onResource` sees
// each registration.
import * as pulumi from "@pulumi/pulumi";

export async function echoMocks(onResource?: (args: pulumi.runtime.MockResourceArgs) => void): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        onResource?.(args);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    "project",
    "stack",
    false,
  );
}
