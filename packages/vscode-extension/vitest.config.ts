import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "vscode-extension",
    // test/e2e runs a real VS Code (code-server in Chromium): `npm run test:e2e`, not the unit run.
    include: ["test/*.test.ts"],
    testTimeout: 60_000,
  },
});
