/**
 * The JSON-RPC message encoder of the stream transports (`--stdio`, `--socket`, `--pipe`), which
 * reuses the bytes of an answer's previous version. An outline of a 50k-line file is 10k items,
 * 2.7 MB of JSON; after a keystroke all but one of its items are the objects of the previous answer
 * (the outline caches them, features.ts), so encoding the whole answer again (`JSON.stringify`, then
 * `Buffer.from` of the 2.7 MB string: ~19 ms of the ~40 ms the server spent per outline, issue 13)
 * repeats work done the time before. An answer marked with {@link immutableItems} names its
 * lineage (its document); its encoded message is kept with where each item's JSON lies in it, and
 * the next answer of the lineage is encoded from runs of items that were neighbours in the previous
 * one (a few copies of big slices: an edit breaks a run at the items it changed), plus the JSON of
 * the items that are new. The bytes are exactly what `JSON.stringify` makes
 * (`test/json-encoder.test.ts`). Every other message is encoded as vscode-jsonrpc encodes it.
 *
 * The `--node-ipc` transport is not a stream: Node's IPC channel serialises each message itself
 * (`process.send`), so this encoder does not apply there; the VS Code extension therefore starts
 * the server over stdio (`packages/vscode-extension/src/server-options.ts`).
 */
import { RAL, type ContentTypeEncoder, type Message } from "vscode-languageserver/node.js";

/** Answers whose items are never mutated once answered, with their lineage (what they are a version of). */
const lineages = new WeakMap<readonly unknown[], string>();

/**
 * Where a lineage's answers are written: a message's bytes and where each item's JSON lies in them.
 * Off the JavaScript heap (a Buffer's and a large typed array's memory is the C++ heap's), and
 * reused from answer to answer: encoding an outline allocates next to nothing young, so it neither
 * brings the next scavenge nearer nor pays for fresh pages (issue 13: `Buffer.concat` of a fresh
 * 2.7 MB buffer was ~7 of the ~10 ms an outline's encoding took in the 50k-line bench's profile).
 */
interface Arena {
  bytes: Buffer;
  starts: Uint32Array;
  ends: Uint32Array;
}

/** One encoded answer: its message's bytes and where each item's JSON lies in them (views of an arena). */
interface Encoded {
  readonly items: readonly unknown[];
  readonly bytes: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  /** The arena holding this answer. */
  readonly arena: Arena;
  /**
   * The lineage's other arena (the one its answer before this one was written in), where its next
   * answer is written. Reusing it is safe: vscode-jsonrpc's stream writer encodes a message only
   * once the previous message has been written (its write semaphore holds one), so that answer's
   * bytes have left the process by then; this one's, being the source of the next, are not touched.
   */
  readonly spare: Arena | null;
}

/** The last encoded answer of each of the latest lineages (least recently encoded first). */
const lastEncoded = new Map<string, Encoded>();
/** How many lineages keep their last answer (the documents whose outline was asked last). */
export const ENCODED_LINEAGES = 8;

/**
 * Marks `items` (an answer) as made of items that are never mutated from now on, the latest version
 * of `lineage` (e.g. the outline of one document), so that its encoding may reuse the bytes of the
 * lineage's previous answer for the items the two share. The array itself may be new every time.
 */
export function immutableItems<T>(items: T[], lineage: string): T[] {
  lineages.set(items, lineage);
  return items;
}

/** Stands for the result in the envelope's JSON (a string no message of ours holds). */
const RESULT_MARK = "\u0000polar-ide:result\u0000";
const RESULT_MARK_JSON = JSON.stringify(RESULT_MARK);

/**
 * A message as `JSON.stringify` + `Buffer.from(…, charset)` encodes it, reusing a marked answer's
 * previous bytes. The bytes of a marked answer are valid until the second message of its lineage
 * after it is encoded (they are written over then): what a stream writer that writes each message
 * before encoding the next needs.
 */
export function encodeMessage(msg: Message, charset: BufferEncoding = "utf-8"): Buffer {
  const result = (msg as { result?: unknown }).result;
  const utf8 = charset === "utf-8" || charset === "utf8";
  const lineage = utf8 && Array.isArray(result) ? lineages.get(result as unknown[]) : undefined;
  if (lineage === undefined) return Buffer.from(JSON.stringify(msg, undefined, 0), charset);
  const envelope = JSON.stringify({ ...msg, result: RESULT_MARK }, undefined, 0);
  const at = envelope.indexOf(RESULT_MARK_JSON);
  if (at < 0 || envelope.indexOf(RESULT_MARK_JSON, at + 1) >= 0) return Buffer.from(JSON.stringify(msg), charset);
  const previous = lastEncoded.get(lineage);
  const encoded = encodeItems(
    envelope.slice(0, at),
    result as unknown[],
    envelope.slice(at + RESULT_MARK_JSON.length),
    previous,
  );
  lastEncoded.delete(lineage);
  if (lastEncoded.size >= ENCODED_LINEAGES) {
    const oldest = lastEncoded.keys().next();
    if (oldest.done !== true) lastEncoded.delete(oldest.value);
  }
  lastEncoded.set(lineage, encoded);
  releaseWhenIdle();
  return encoded.bytes;
}

/** How long after the last marked answer the lineages' spare arenas are dropped ({@link releaseSpareArenas}). */
export const SPARE_ARENAS_IDLE_MS = 1_000;

let releaseTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Drops the spare arena of every lineage: an idle server keeps one copy of each last answer, not
 * two (the next answer of a lineage allocates its other arena again). Runs {@link SPARE_ARENAS_IDLE_MS}
 * after the last marked answer, before the idle collection that frees them (`idle-gc.ts`, 2 s after
 * the last load, which the outline follows).
 */
export function releaseSpareArenas(): void {
  for (const [lineage, encoded] of lastEncoded)
    if (encoded.spare !== null) lastEncoded.set(lineage, { ...encoded, spare: null });
}

function releaseWhenIdle(): void {
  if (releaseTimer !== null) {
    releaseTimer.refresh();
    return;
  }
  releaseTimer = setTimeout(() => {
    releaseTimer = null;
    releaseSpareArenas();
  }, SPARE_ARENAS_IDLE_MS);
  releaseTimer.unref();
}

/**
 * The segments of an answer being planned: a run of the previous answer's items (its first index,
 * then how many) or the JSON of a new item. Reused from answer to answer (a few runs after an edit).
 */
const runFirst: number[] = [];
const runLength: number[] = [];
const fresh: (string | null)[] = [];

/**
 * Whether a buffer of `capacity` units is the one for `need`: it holds them, and is not more than
 * four times too big (a lineage whose answers shrank does not keep their peak; small ones are kept).
 */
function fits(capacity: number, need: number): boolean {
  return need <= capacity && (capacity <= 4096 || need >= capacity >> 2);
}

/** Room for `n` units and some growth (an edit adds an item or a few characters). */
function room(n: number): number {
  return n + (n >> 4) + 64;
}

/** `arena` where it holds `bytes` bytes and `items` items, else new buffers for what it does not. */
function arenaFor(arena: Arena | null, bytes: number, items: number): Arena {
  if (arena !== null && fits(arena.bytes.length, bytes) && fits(arena.starts.length, items)) return arena;
  const keepItems = arena !== null && fits(arena.starts.length, items);
  return {
    bytes: arena !== null && fits(arena.bytes.length, bytes) ? arena.bytes : Buffer.allocUnsafeSlow(room(bytes)),
    starts: keepItems ? arena.starts : new Uint32Array(room(items)),
    ends: keepItems ? arena.ends : new Uint32Array(room(items)),
  };
}

/** `head` + the JSON array of `items` + `tail`, copying runs of items `previous` encoded side by side. */
function encodeItems(head: string, items: readonly unknown[], tail: string, previous: Encoded | undefined): Encoded {
  const n = items.length;
  // First the plan (the runs to copy, the new items' JSON) and the message's length…
  runFirst.length = 0;
  runLength.length = 0;
  fresh.length = 0;
  let length = Buffer.byteLength(head) + 1 + Math.max(0, n - 1) + 1 + Buffer.byteLength(tail);
  // Where the previous answer's next item is expected: the item after the last run copied.
  let expected = 0;
  for (let i = 0; i < n;) {
    const item = items[i];
    const j = previous === undefined ? undefined : find(previous.items, item, expected);
    if (previous === undefined || j === undefined) {
      // As JSON.stringify writes an array element: `null` for what has no JSON (undefined, functions).
      const json = JSON.stringify(item) ?? "null";
      runFirst.push(-1);
      runLength.push(1);
      fresh.push(json);
      length += Buffer.byteLength(json);
      i++;
      continue;
    }
    // The longest run of the previous answer's items, from item j on, that this answer repeats.
    let k = 1;
    while (i + k < n && j + k < previous.items.length && previous.items[j + k] === items[i + k]) k++;
    runFirst.push(j);
    runLength.push(k);
    fresh.push(null);
    // The items' JSON and the commas between them.
    length += (previous.ends[j + k - 1] as number) - (previous.starts[j] as number);
    i += k;
    expected = j + k;
  }
  // …then the bytes, into the lineage's spare arena (never the one `previous` lies in).
  const arena = arenaFor(previous?.spare ?? null, length, n);
  const out = arena.bytes;
  const starts = arena.starts;
  const ends = arena.ends;
  let pos = out.write(head, 0);
  out[pos++] = 0x5b; // [
  let i = 0;
  for (let r = 0; r < runFirst.length; r++) {
    if (i > 0) out[pos++] = 0x2c; // ,
    const json = fresh[r];
    if (json !== null && json !== undefined) {
      starts[i] = pos;
      pos += out.write(json, pos);
      ends[i] = pos;
      i++;
      continue;
    }
    const p = previous as Encoded;
    const j = runFirst[r] as number;
    const k = runLength[r] as number;
    const from = p.starts[j] as number;
    const to = p.ends[j + k - 1] as number;
    p.bytes.copy(out, pos, from, to);
    const shift = pos - from;
    for (let m = 0; m < k; m++) {
      starts[i + m] = (p.starts[j + m] as number) + shift;
      ends[i + m] = (p.ends[j + m] as number) + shift;
    }
    pos += to - from;
    i += k;
  }
  out[pos++] = 0x5d; // ]
  pos += out.write(tail, pos);
  fresh.length = 0;
  return {
    items,
    bytes: out.subarray(0, pos),
    starts: starts.subarray(0, n),
    ends: ends.subarray(0, n),
    arena,
    spare: previous?.arena ?? null,
  };
}

/** How far from where it is expected an item of the previous answer is looked for (items one edit added or removed). */
const SEARCH_WINDOW = 64;

/**
 * The index of `item` in `items` within {@link SEARCH_WINDOW} of `expected`, else undefined (an item
 * further away is encoded anew: correct, only slower, and rare after an edit).
 */
function find(items: readonly unknown[], item: unknown, expected: number): number | undefined {
  for (let d = 0; d <= SEARCH_WINDOW; d++) {
    if (expected + d < items.length && items[expected + d] === item) return expected + d;
    if (d > 0 && expected - d >= 0 && items[expected - d] === item) return expected - d;
  }
  return undefined;
}

/** vscode-jsonrpc's `application/json` encoder, with {@link encodeMessage}. */
export const cachingJsonEncoder: ContentTypeEncoder = {
  name: "application/json",
  encode: (msg, options) => {
    try {
      return Promise.resolve(encodeMessage(msg, options.charset));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  },
};

/**
 * Makes {@link cachingJsonEncoder} the encoder of every stream message writer created from now on
 * in this process (vscode-jsonrpc's runtime layer, `RAL`, holds the default encoder; the
 * transports `createConnection` builds from the command line take it from there). Called by the
 * binary (main.ts) before it creates its connection; decoding is unchanged.
 */
export function installCachingJsonEncoder(): void {
  const ral = RAL();
  RAL.install({ ...ral, applicationJson: { ...ral.applicationJson, encoder: cachingJsonEncoder } });
}
