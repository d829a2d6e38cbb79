#!/usr/bin/env -S node --max-semi-space-size=4 --expose-gc
// Checked-in launcher so that npm can link the binary before the first build creates dist/.
// The flags on the first line are SERVER_NODE_FLAGS (src/node-flags.ts; test/node-flags.test.ts).
import "../dist/main.js";
