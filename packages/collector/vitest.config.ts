import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "collector",
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own servers (PostgreSQL cluster, collectors, Chromium): keep them apart.
    fileParallelism: false,
  },
});
