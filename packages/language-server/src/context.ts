/**
 * What every protocol handler works with: the connection, the tracked documents, the load
 * scheduler, the existence check and the logs. `startServer` builds one per connection.
 */
import type { Connection } from "vscode-languageserver";
import type { Documents } from "./documents.js";
import type { ExistenceCheck } from "./existence-check.js";
import type { LoadScheduler } from "./load-scheduler.js";
import type { ProjectClasses } from "./project-classes.js";
import type { Logger } from "./run-safe.js";

export interface ServerContext {
  readonly connection: Connection;
  readonly documents: Documents;
  readonly loads: LoadScheduler;
  readonly existence: ExistenceCheck;
  /** The application's classes (polar.json, the classes setting). */
  readonly classes: ProjectClasses;
  /** Failures (handlers that threw); never throws itself. */
  readonly logger: Logger;
  /** What the server did, as `[pls] …` log messages; never throws. */
  readonly log: (message: string) => void;
}

/** The connection's console as an error logger and a `[pls]` log; logging never throws (a closed connection throws on send). */
export function connectionLogs(connection: Connection): { logger: Logger; log: (message: string) => void } {
  const logger: Logger = {
    error: (message) => {
      try {
        connection.console.error(message);
      } catch {
        // Nowhere left to report to.
      }
    },
  };
  const log = (message: string): void => {
    try {
      connection.console.log(`[pls] ${message}`);
    } catch {
      // Nowhere left to report to.
    }
  };
  return { logger, log };
}
