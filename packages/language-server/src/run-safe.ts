/**
 * Error containment for handlers, after VS Code's CSS server (`utils/runner.ts`): a handler that
 * throws is logged and answered with a default value; a cancelled request is answered with
 * `RequestCancelled`. Nothing a client sends can take the server down.
 */
import { LSPErrorCodes, ResponseError, type CancellationToken } from "vscode-languageserver";

/** Where failures are reported (the connection's console in the server). */
export interface Logger {
  error(message: string): void;
}

/** Message and stack of anything thrown, for the log. */
export function formatError(message: string, err: unknown): string {
  if (err instanceof Error) return `${message}: ${err.message}\n${err.stack ?? ""}`;
  if (typeof err === "string") return `${message}: ${err}`;
  return message;
}

function cancelled<E>(): ResponseError<E> {
  return new ResponseError<E>(LSPErrorCodes.RequestCancelled, "Request cancelled");
}

/**
 * Runs a request handler on the next tick (so a pending `$/cancelRequest` is seen first) and
 * resolves with its result, with `errorValue` when it throws, or with a cancellation error.
 */
export function runSafe<T, E = void>(
  logger: Logger,
  func: () => T,
  errorValue: T,
  errorMessage: string,
  token: CancellationToken,
): Promise<T | ResponseError<E>> {
  return new Promise((resolve) => {
    setImmediate(() => {
      if (token.isCancellationRequested) {
        resolve(cancelled());
        return;
      }
      try {
        const result = func();
        resolve(token.isCancellationRequested ? cancelled() : result);
      } catch (e) {
        logger.error(formatError(errorMessage, e));
        resolve(errorValue);
      }
    });
  });
}

/** Runs a notification handler; a throw is logged and swallowed (notifications have no answer). */
export function runSafeNotification(logger: Logger, func: () => void, errorMessage: string): void {
  try {
    func();
  } catch (e) {
    logger.error(formatError(errorMessage, e));
  }
}
