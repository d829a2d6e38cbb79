#!/usr/bin/env node
/** Entry point of the `polar-format` binary: process I/O only, the logic is in format-cli.ts. */
import { runFormat } from "./format-cli.js";

// `polar-format … | head`: a closed pipe ends the run quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

let status: number;
try {
  status = runFormat(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
} catch (e) {
  process.stderr.write(`polar-format: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  status = 2;
}
process.exitCode = status;
