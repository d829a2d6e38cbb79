#!/usr/bin/env node
// Checked-in launcher so that npm can link the binary before the first build creates dist/.
// It runs the one-file bundle (src/bundle.ts: faster start-up) while that is up to date with
// dist/, and the modules in dist/ otherwise.
import { freshBundle } from "../dist/bundle-freshness.js";

await import(freshBundle(new URL("../dist/", import.meta.url)) ?? "../dist/main.js");
