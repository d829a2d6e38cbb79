import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "language-server",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Builds the server once: the transport and editor tests run dist/main.js as a child process.
    globalSetup: ["test/global-setup.ts"],
  },
});
