import { defineConfig } from "vitest/config";

// unit: pure logic; integration: the client against the local Ignite over real sockets;
// e2e: the real `pulumi` CLI against the local Ignite (slow, run one file at a time).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
