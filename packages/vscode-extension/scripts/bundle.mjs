// Bundles the extension and the language server into out/ (CommonJS, Node 20, `vscode` external):
// out/extension.js is the extension's `main`, out/server.js the server it starts (shipped in the .vsix).
// Needs the workspace packages built first (`npm run build` at the root, or `tsc -b` of this
// package, which references them): the server is the `@polar-ide/language-server/main` entry (the
// `polar-language-server` binary) of a declared dependency, bundled by package name from its dist/.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL("..", import.meta.url));
const production = process.argv.includes("--production");

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: production ? false : "linked",
  minify: production,
  logLevel: "warning",
  absWorkingDir: here,
};

const started = Date.now();
await Promise.all([
  build({ ...common, entryPoints: { extension: "src/extension.ts" }, outdir: "out", external: ["vscode"] }),
  build({ ...common, entryPoints: { server: "@polar-ide/language-server/main" }, outdir: "out" }),
]);
console.log(
  `bundled out/extension.js and out/server.js in ${Date.now() - started} ms${production ? " (production)" : ""}`,
);
