/** Programmatic access to polar-check (the binary's entry point is main.js). */
export { run, EXIT_OK, EXIT_ERRORS, EXIT_USAGE, type CliIo } from "./cli.js";
export { USAGE, NO_FILE_LABEL, INLINE_QUERY_NOTE_CODE, refusedClassReason } from "./options.js";
export type { JsonReport, JsonErrorDocument, Note, LoadStage } from "./report.js";
export { checksNotRun } from "./report.js";
export { runFormat } from "./format-cli.js";
export { FORMAT_USAGE } from "./format-options.js";
