/**
 * The main thread's side of the SQLite writer thread (`sqlite-writer-worker.ts`): every write of
 * a collector to an SQLite file goes through it, so that inserting, committing and fsyncing
 * (an acknowledged batch survives a crash of the machine: `wal-sync.ts`) happen off the
 * thread that answers HTTP. The main thread keeps its own connection for reads (WAL: readers
 * never wait for the writer).
 *
 * If the thread dies (a crash, or `terminate`), every request it held is rejected with
 * `StorageUnavailable` (the route answers 503: retry, retries are counted once) and the next
 * request starts a new thread. Nothing is stored half: a transaction the thread did not commit
 * is rolled back by SQLite.
 */
import { Worker } from "node:worker_threads";
import type { GroupStats, WriterAnswers, WriterData, WriterMessage, WriterRequest } from "./writer-protocol.js";

/** The storage could not answer (the writer thread stopped): the caller may retry. */
export class StorageUnavailable extends Error {
  override readonly name = "StorageUnavailable";
}

/** A database error the writer thread reported, with SQLite's code (`SQLITE_FULL`, …). */
export class WriterError extends Error {
  override readonly name = "WriterError";
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The compiled worker script: next to this module once built; when this module runs from its
 * TypeScript source (the tests), the built copy (`npx tsc -b packages/collector` first).
 */
function workerScript(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("../../dist/db/sqlite-writer-worker.js", import.meta.url)
    : new URL("./sqlite-writer-worker.js", import.meta.url);
}

type Request = WriterRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

interface Pending {
  readonly resolve: (value: number) => void;
  readonly reject: (error: Error) => void;
  /** The message that carried it (0: not posted yet). */
  message: number;
}

/**
 * Messages the writer may hold unanswered: while two are open (one group committing, one being
 * written), new requests wait here and go in one message when an answer arrives — about one
 * message per group instead of one per turn of the loop (each `postMessage` cost the main
 * thread ~0.1 ms under load: the largest item of its profile after the inbox).
 */
const OPEN_MESSAGES = 2;

/** Posts writes to the writer thread (started on first use) and resolves with its answers. */
export class SqliteWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests not posted yet: posted together at the end of this turn, or when an answer frees a slot. */
  private outbox: WriterRequest[] = [];
  /** Messages posted to the current thread and not wholly answered: message → requests unanswered. */
  private readonly open = new Map<number, number>();
  private nextMessage = 1;
  /** Resolves when the current (or last) thread has exited. */
  private exited: Promise<unknown> = Promise.resolve();
  /** Threads started so far (a restart after a crash adds one). */
  readonly stats = { started: 0 };
  /** The writer's group commits, as of its last answer (of the current thread). */
  groups: GroupStats = { groups: 0, batches: 0, fallbacks: 0 };
  /** fsyncs of the log the writer made, as of its last answer. */
  syncs = 0;
  /** Whether the writer's checkpointer thread was running, as of its last answer. */
  checkpointer = false;

  constructor(
    private readonly file: string,
    private readonly maxEvents: number,
    private readonly inboxHighWater: number,
    private readonly walRestartFrames: number,
  ) {}

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const data: WriterData = {
      file: this.file,
      maxEvents: this.maxEvents,
      inboxHighWater: this.inboxHighWater,
      walRestartFrames: this.walRestartFrames,
    };
    const w = new Worker(workerScript(), { workerData: data });
    this.stats.started++;
    this.exited = new Promise((r) => w.once("exit", r));
    w.on("message", (answers: WriterAnswers) => {
      this.groups = answers.groups;
      this.syncs = answers.syncs;
      this.checkpointer = answers.checkpointer;
      for (let i = 0; i < answers.ids.length; i++) this.settle(answers.ids[i]!)?.resolve(answers.values[i]!);
      for (const f of answers.failures) this.settle(f.id)?.reject(new WriterError(f.message, f.code));
      if (this.pending.size === 0) w.unref();
      this.post();
    });
    w.on("error", (e) => this.fail(w, `the SQLite writer thread failed (${e.message})`));
    w.on("exit", (code) => this.fail(w, `the SQLite writer thread stopped (exit code ${code})`));
    this.worker = w;
    if (this.pending.size === 0) w.unref();
    return w;
  }

  /** The thread `w` is gone: every request it held fails (a new thread serves the next ones). */
  private fail(w: Worker, message: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.open.clear();
    // Requests not posted yet go to the next thread; those it held fail.
    const unsent = new Set(this.outbox.map((r) => r.id));
    for (const [id, p] of [...this.pending]) {
      if (unsent.has(id)) continue;
      this.pending.delete(id);
      p.reject(new StorageUnavailable(`${message}; the write may or may not have been stored`));
    }
  }

  private call(request: Request): Promise<number> {
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, message: 0 });
      // The thread keeps the process alive only while it holds requests.
      if (this.pending.size === 1) this.worker?.ref();
      this.outbox.push({ ...request, id } as WriterRequest);
      // Every request read in this turn of the loop goes in one message (one group).
      if (this.outbox.length === 1) setImmediate(() => this.post());
    });
  }

  /** The pending request `id`, taken out (its message's count lowered); undefined if unknown. */
  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    this.answered(p.message);
    return p;
  }

  private post(): void {
    if (this.outbox.length === 0 || this.open.size >= OPEN_MESSAGES) return;
    const requests = this.outbox;
    this.outbox = [];
    const worker = this.start();
    const message = this.nextMessage++;
    // The inserts packed (`WriterMessage`), every other request as it is.
    const packed: WriterMessage = { ids: [], days: [], rows: [], events: [], other: [] };
    for (const r of requests) {
      this.pending.get(r.id)!.message = message;
      if (r.op === "insert") {
        (packed.ids as number[]).push(r.id);
        (packed.days as string[]).push(r.day);
        (packed.rows as string[]).push(r.rows);
        (packed.events as number[]).push(r.events);
      } else (packed.other as Exclude<WriterRequest, { op: "insert" }>[]).push(r);
    }
    this.open.set(message, requests.length);
    worker.postMessage(packed);
  }

  /** One request of `message` was answered. */
  private answered(message: number): void {
    const left = (this.open.get(message) ?? 0) - 1;
    if (left > 0) this.open.set(message, left);
    else this.open.delete(message);
  }

  /**
   * Stores a batch in the inbox (grouped with others); resolves after the commit holding it is
   * durable. `rows` is the batch's stored form (`encodeEvents`).
   */
  insert(day: string, rows: string, events: number): Promise<number> {
    return this.call({ op: "insert", day, rows, events });
  }

  /** One materialisation step of the inbox; resolves with the number of events taken (0: empty). */
  materialise(chunk: number): Promise<number> {
    return this.call({ op: "materialise", chunk });
  }

  /** One rollup step of a set; resolves with the number of events folded. */
  fold(set: "live" | "shared", chunk: number, before: string | null): Promise<number> {
    return this.call({ op: "fold", set, chunk, before });
  }

  /** Deletes the events of days before `cutoff`; resolves with how many. */
  purge(cutoff: string): Promise<number> {
    return this.call({ op: "purge", cutoff });
  }

  /** Checkpoints and truncates the write-ahead log. */
  async compact(): Promise<void> {
    await this.call({ op: "compact" });
  }

  /** Empties the rollups and queues every event again. */
  async requeue(): Promise<void> {
    await this.call({ op: "requeue" });
  }

  /** Rebuilds both rollup sets from the events, set-based; the shared set from the days before `before`. */
  async rebuild(before: string): Promise<void> {
    await this.call({ op: "rebuild", before });
  }

  /** Stops the thread at once, as a crash would (tests; what it held is rejected). */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
    await this.exited;
  }

  /** Waits for every request, closes the connection and ends the thread. */
  async close(): Promise<void> {
    if (this.worker === null && this.pending.size === 0) return;
    // Answered, or rejected when the thread exits: either way the thread is done.
    await this.call({ op: "close" }).catch(() => undefined);
    await this.exited;
  }
}
