/** Programmatic access to polar-check (the binary's entry point is main.js). */
export { run, USAGE, NO_FILE_LABEL, EXIT_OK, EXIT_ERRORS, EXIT_USAGE, type CliIo } from "./cli.js";
