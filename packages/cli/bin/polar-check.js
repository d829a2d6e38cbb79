#!/usr/bin/env node
// Checked-in launcher so that npm can link the binary before the first build creates dist/.
// It runs the one-file bundle (src/bundle.ts: faster start-up) while that is up to date with
// dist/, and the modules in dist/ otherwise (see bundle-launcher.js: why this is CommonJS).
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
"use strict";
const { join } = require("node:path");
const { freshBundle } = require("./bundle-launcher.js");

const bundle = freshBundle(join(__dirname, "../dist"));
if (bundle !== null) require(bundle);
else void import("../dist/main.js");
