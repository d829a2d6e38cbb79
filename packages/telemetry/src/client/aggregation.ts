/**
 * Aggregation: each project root's latest `telemetry/event` payload waits `debounceMs` (Oso's
 * debounce: a burst of loads counts once, as the last one), then is merged into its workspace
 * folder's aggregate for the current UTC month, keyed by the folder's monthly id. A folder used
 * across a month boundary has one aggregate per month, so one event never mixes two months.
 */
import {
  addLoad,
  calendarMonth,
  cloneAggregate,
  emptyAggregate,
  hasLoads,
  workspaceFolderId,
  type FolderAggregate,
} from "./event.js";
import type { PendingFolder } from "./persistence.js";
import type { Clock, Logger } from "./types.js";

interface Debounced {
  readonly folder: string;
  readonly payload: unknown;
  readonly timer: unknown;
}

/** One folder's aggregate as it stands, under its monthly id. */
export interface FolderView extends PendingFolder {
  readonly id: string;
}

export class Aggregator {
  private readonly debounced = new Map<string, Debounced>();
  /**
   * `$insert_id`s promised by `preview()` to folders that have only a debounced payload yet, so
   * the preview shows the id that the folder's aggregate will then carry.
   */
  private readonly reservedIds = new Map<string, string>();

  constructor(
    private readonly pending: Map<string, PendingFolder>,
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly debounceMs: number,
    private readonly log: Logger,
    /** Called after a payload is merged (to persist the state). */
    private readonly onMerged: () => void,
  ) {}

  /** Keeps `payload` as `root`'s latest, merged (into `folder`'s aggregate) after the debounce. */
  record(root: string, payload: unknown, folder: string): void {
    const previous = this.debounced.get(root);
    if (previous !== undefined) this.clock.clearTimeout(previous.timer);
    const timer = this.clock.setTimeout(() => this.merge(root), this.debounceMs);
    this.debounced.set(root, { folder, payload, timer });
  }

  /** Merges the debounced payload of `root` (or of every root) now. */
  merge(root?: string): void {
    const roots = root === undefined ? [...this.debounced.keys()] : [root];
    for (const r of roots) {
      const entry = this.debounced.get(r);
      if (entry === undefined) continue;
      this.debounced.delete(r);
      this.clock.clearTimeout(entry.timer);
      const month = calendarMonth(this.clock.now());
      const id = workspaceFolderId(this.secret, month, entry.folder);
      const current = this.pending.get(id);
      const aggregate = current?.aggregate ?? emptyAggregate(this.reservedIds.get(id));
      this.reservedIds.delete(id);
      const problem = addLoad(aggregate, entry.payload);
      if (problem !== null) {
        this.log(`ignored a telemetry payload: ${problem}`);
        continue;
      }
      this.pending.set(id, { month, aggregate });
      this.onMerged();
    }
  }

  /** Every folder with loads, debounced payloads included, as if merged now (nothing changes). */
  preview(): FolderView[] {
    const preview = new Map<string, PendingFolder>();
    for (const [id, p] of this.pending) preview.set(id, { month: p.month, aggregate: cloneAggregate(p.aggregate) });
    const month = calendarMonth(this.clock.now());
    for (const entry of this.debounced.values()) {
      const id = workspaceFolderId(this.secret, month, entry.folder);
      let folder = preview.get(id);
      if (folder === undefined) {
        const aggregate: FolderAggregate = emptyAggregate(this.reservedIds.get(id));
        this.reservedIds.set(id, aggregate.insertId);
        folder = { month, aggregate };
      }
      if (addLoad(folder.aggregate, entry.payload) === null) preview.set(id, folder);
    }
    return [...preview].filter(([, p]) => hasLoads(p.aggregate)).map(([id, p]) => ({ id, ...p }));
  }

  /**
   * Removes and returns up to `n` folders (oldest first), all of one month — the month of the
   * oldest — so that one batch (one request, one arrival) never carries the ids of two months.
   * Folders without loads are dropped on the way.
   */
  take(n: number): FolderView[] {
    const taken: FolderView[] = [];
    let month: string | undefined;
    for (const [id, p] of this.pending) {
      if (taken.length >= n) break;
      if (!hasLoads(p.aggregate)) {
        this.pending.delete(id);
        continue;
      }
      month ??= p.month;
      if (p.month !== month) continue;
      this.pending.delete(id);
      taken.push({ id, ...p });
    }
    return taken;
  }

  /** Number of folders waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Forgets every debounced payload and every aggregate. */
  discard(): void {
    for (const entry of this.debounced.values()) this.clock.clearTimeout(entry.timer);
    this.debounced.clear();
    this.reservedIds.clear();
    this.pending.clear();
  }
}
