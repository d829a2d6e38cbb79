#!/usr/bin/env node
// Checked-in launcher so that npm can link the binary before the first build creates dist/.
// CommonJS, as every file of bin/ (bin/package.json); the formatter itself is an ES module.
void import("../dist/format-main.js");
