import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";

export default defineProject({
  resolve: {
    // In-process tests run against the analyzer's sources, not a possibly stale dist/; the
    // binary tests build and spawn dist/main.js.
    alias: { "@polar-ide/analyzer": fileURLToPath(new URL("../analyzer/src/index.ts", import.meta.url)) },
  },
  test: {
    name: "cli",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
