#!/usr/bin/env node
// Checked-in launcher so that npm can link the binary before the first build creates dist/.
import "../dist/format-main.js";
