import { defineConfig } from "vitest/config";

// One test runner for every package: each package is a project, run together by `npm test`.
export default defineConfig({
  test: {
    projects: ["packages/*"],
  },
});
