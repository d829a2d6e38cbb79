/**
 * The existence check: folders removed outside the editor (`rm -r` in a terminal) send no event
 * the client forwards, so the server checks now and then that tracked `file:` documents still
 * exist. A document never seen on disk (an unsaved buffer) is kept; one must be missing in
 * MISSING_CHECKS_BEFORE_REMOVAL consecutive checks before it is dropped (editors save by rename).
 */
import type { Documents } from "./documents.js";
import { formatError, type Logger } from "./run-safe.js";

/** Default interval of the check (`initializationOptions.existenceCheckIntervalMs`). */
export const DEFAULT_EXISTENCE_CHECK_MS = 2000;
/** A document must be missing in this many consecutive checks before it is dropped. */
export const MISSING_CHECKS_BEFORE_REMOVAL = 2;

export class ExistenceCheck {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  /**
   * @param fileExists whether a `file:` URI still exists on disk.
   * @param onRemoved called with the documents the check removed (none when it removed nothing).
   */
  constructor(
    private readonly documents: Documents,
    private readonly fileExists: (uri: string) => Promise<boolean>,
    private readonly onRemoved: (uris: string[]) => void,
    private readonly logger: Logger,
  ) {}

  /** Checks every `intervalMs` (0: never); the timer does not keep the process alive. */
  start(intervalMs: number): void {
    this.stop();
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.check().catch((e: unknown) => this.logger.error(formatError("existence check failed", e)));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Notes whether a newly tracked document is on disk (only such documents are ever dropped). */
  async noteOnDisk(uri: string): Promise<void> {
    if (!uri.startsWith("file:")) return;
    try {
      const exists = await this.fileExists(uri);
      const doc = this.documents.get(uri);
      if (exists && doc !== undefined) doc.seenOnDisk = true;
    } catch (e) {
      this.logger.error(formatError(`existence check of ${uri} failed`, e));
    }
  }

  /**
   * Checks every tracked `file:` document. A document that was seen on disk and has been missing
   * for MISSING_CHECKS_BEFORE_REMOVAL consecutive checks is removed; one never seen on disk (a
   * new, unsaved buffer) is kept. A document changed while the check ran is left alone.
   */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const snapshot = this.documents
        .all()
        .filter((d) => d.uri.startsWith("file:"))
        .map((d) => ({ doc: d, revision: d.revision }));
      const results = await Promise.all(
        snapshot.map(async (s) => ({ ...s, exists: await this.fileExists(s.doc.uri).catch(() => true) })),
      );
      const gone: string[] = [];
      for (const { doc, revision, exists } of results) {
        if (this.documents.get(doc.uri) !== doc || doc.revision !== revision) continue;
        if (exists) {
          doc.seenOnDisk = true;
          doc.missingChecks = 0;
        } else if (doc.seenOnDisk && ++doc.missingChecks >= MISSING_CHECKS_BEFORE_REMOVAL) {
          if (this.documents.remove(doc.uri)) gone.push(doc.uri);
        }
      }
      if (gone.length > 0) this.onRemoved(gone);
    } finally {
      this.checking = false;
    }
  }
}
