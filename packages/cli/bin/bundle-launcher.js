/**
 * How bin/polar-check.js starts polar-check: the one-file CommonJS bundle (src/bundle.ts) while it
 * is at least as new as every file it was built from, the ES modules of dist/ otherwise (after a
 * plain `tsc -b`, until the next bundling), so a stale bundle never answers for newer code.
 *
 * This file and the launchers are CommonJS (bin/package.json) and the bundle is too: a process
 * that loads no ES module never initialises Node's ES module loader, which is most of what a
 * polar-check run on a small policy costs beyond Node's own start-up (bench/cli.mjs).
 *
 * It runs on every start, so it only reads one small JSON file and stats the inputs (about fifty).
 */
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports */
"use strict";
const { readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

/** The bundle's file name, in the directory it was built into (src/bundle-freshness.ts). */
const BUNDLE_FILE = "polar-check.bundle.cjs";
/** Beside the bundle: `{ "inputs": [paths relative to that directory] }`. */
const BUNDLE_INPUTS_FILE = "polar-check.bundle.json";

/**
 * The path of the bundle in `dir` when it exists and no input is newer than it; `null` when it
 * is missing, stale, an input is gone, or the inputs list is missing or unreadable (then the
 * caller runs the modules, which is always correct).
 *
 * @param {string} dir
 * @returns {string | null}
 */
function freshBundle(dir) {
  try {
    const bundle = join(dir, BUNDLE_FILE);
    const built = statSync(bundle).mtimeMs;
    const list = JSON.parse(readFileSync(join(dir, BUNDLE_INPUTS_FILE), "utf8"));
    if (list === null || !Array.isArray(list.inputs)) return null;
    for (const input of list.inputs) {
      if (typeof input !== "string" || statSync(join(dir, input)).mtimeMs > built) return null;
    }
    return bundle;
  } catch {
    // Missing or unreadable: not fresh.
    return null;
  }
}

module.exports = { BUNDLE_FILE, BUNDLE_INPUTS_FILE, freshBundle };
