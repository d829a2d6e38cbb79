#!/usr/bin/env node
/** Entry point of the `polar-check` binary: process I/O only, the logic is in cli.ts. */
import { run } from "./cli.js";
import { exitWhenWritten } from "./exit.js";

let status: number;
try {
  status = run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
} catch (e) {
  // A bug, not a problem with the user's policy: report it and use the I/O failure status.
  process.stderr.write(`polar-check: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  status = 2;
}
exitWhenWritten(status);
