// Builds the installable .vsix: a production bundle (extension + language server), staged with only
// what ships (package.json without the workspace's name/scripts/dependencies, out/, grammar,
// language configuration, telemetry.json, README, LICENSE), then `vsce package`, offline.
// Output: <repo>/.artifacts/polar-ide-<version>.vsix (path printed on the last line).
// Run `npm run build` at the repository root first (the root `npm run package` does).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL("..", import.meta.url));
const repo = join(here, "..", "..");
const require = createRequire(import.meta.url);
const started = Date.now();

execFileSync(process.execPath, [join(here, "scripts", "bundle.mjs"), "--production"], { stdio: "inherit" });

const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const stage = join(here, ".artifacts", "vsix");
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, "out"), { recursive: true });
for (const f of ["extension.js", "server.js"]) cpSync(join(here, "out", f), join(stage, "out", f));
for (const f of ["syntaxes", "schemas", "language-configuration.json", "telemetry.json", "README.md", "LICENSE"]) {
  cpSync(join(here, f), join(stage, f), { recursive: true });
}

// The marketplace name cannot be scoped; everything the bundle needs is inside out/.
const { scripts: _s, devDependencies: _d, dependencies: _deps, private: _p, ...manifest } = pkg;
manifest.name = "polar-ide";
writeFileSync(join(stage, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
writeFileSync(join(stage, ".vscodeignore"), "**/*.map\n");

const outDir = join(repo, ".artifacts");
mkdirSync(outDir, { recursive: true });
const vsix = join(outDir, `${manifest.name}-${manifest.version}.vsix`);
const vsce = join(dirname(require.resolve("@vscode/vsce/package.json")), "vsce");
execFileSync(
  process.execPath,
  [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--out", vsix],
  { cwd: stage, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, VSCE_TELEMETRY_OPTOUT: "1" } },
);
console.log(`packaged in ${Date.now() - started} ms`);
console.log(vsix);
