// `node scripts/bundle.mjs`: bundles the built polar-check into dist/polar-check.bundle.js (run after tsc -b; see src/bundle.ts).
import { bundleCli } from "../dist/bundle.js";

const { bundle, inputs } = await bundleCli();
console.log(`polar-check bundled: ${bundle} (${inputs.length} modules)`);
