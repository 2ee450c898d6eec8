import { defineConfig } from "vitest/config";

// unit: pure logic; integration: the client against the local Ignite over real sockets;
// e2e: the real `pulumi` CLI against the local Ignite (slow, run one file at a time).
// `npm test` (scripts/test.js) picks projects per toolchain line (scripts/lines.js):
// `vitest run --project e2e` runs one of them.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"] } },
    ],
  },
});
