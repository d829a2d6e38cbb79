/**
 * How polar-check's process ends once its output is written. Left to end by itself, Node waits
 * for the background work V8 still has queued (optimising compilations and concurrent marking
 * started during the analysis, for a program about to exit) and then tears the heap down; a
 * process that has written all its output has nothing left to do, so it exits at once. Output
 * still queued in a stream (a pipe is asynchronous on macOS, say) must not be cut off, so then
 * the process ends by itself, as it always did.
 */

/** What is checked of an output stream (`process.stdout`, `process.stderr`). */
export interface OutputStream {
  /** Bytes written but not yet handed to the system. */
  readonly writableLength: number;
}

/**
 * Sets the exit status, then exits with it at once when nothing is waiting to be written to any
 * of `streams`; otherwise returns and lets the process end when the streams have drained.
 */
export function exitWhenWritten(
  status: number,
  streams: readonly OutputStream[] = [process.stdout, process.stderr],
  exit: (status: number) => void = (code) => process.exit(code),
): void {
  process.exitCode = status;
  if (streams.every((stream) => stream.writableLength === 0)) exit(status);
}
