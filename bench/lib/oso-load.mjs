// Loads Polar files into Oso 0.27.3's engine, as an application would (`Oso.loadFiles` with the
// given classes registered), for the CLI benchmark: `node oso-load.mjs A,B,C file.polar…`. Exits 1
// (printing the error) when the engine rejects the policy.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Oso } = require("oso");

const [classes, ...files] = process.argv.slice(2);
const oso = new Oso();
for (const name of (classes ?? "").split(",").filter(Boolean)) oso.registerClass(class {}, { name });
try {
  await oso.loadFiles(files);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
