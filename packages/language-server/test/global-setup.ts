import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Builds the server (and the analyzer it references) before any test file runs; `tsc -b` is incremental. */
export default function setup(): void {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-b", "packages/language-server"], {
    cwd: root,
    stdio: "inherit",
  });
  const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
  if (!existsSync(main)) throw new Error(`build did not produce ${main}`);
}
