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

/** One encoded answer: its message's bytes and where each item's JSON lies in them. */
interface Encoded {
  readonly items: readonly unknown[];
  readonly bytes: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
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

const COMMA = Buffer.from(",");
/** Stands for the result in the envelope's JSON (a string no message of ours holds). */
const RESULT_MARK = "\u0000polar-ide:result\u0000";
const RESULT_MARK_JSON = JSON.stringify(RESULT_MARK);

/** A message as `JSON.stringify` + `Buffer.from(…, charset)` encodes it, reusing a marked answer's previous bytes. */
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
  return encoded.bytes;
}

/** `head` + the JSON array of `items` + `tail`, copying runs of items `previous` encoded side by side. */
function encodeItems(head: string, items: readonly unknown[], tail: string, previous: Encoded | undefined): Encoded {
  const n = items.length;
  const parts: Buffer[] = [Buffer.from(`${head}[`)];
  let pos = (parts[0] as Buffer).length;
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  // Where the previous answer's next item is expected: the item after the last run copied.
  let expected = 0;
  for (let i = 0; i < n;) {
    if (i > 0) {
      parts.push(COMMA);
      pos += 1;
    }
    const item = items[i];
    const j = previous === undefined ? undefined : find(previous.items, item, expected);
    if (previous === undefined || j === undefined) {
      // As JSON.stringify writes an array element: `null` for what has no JSON (undefined, functions).
      const bytes = Buffer.from(JSON.stringify(item) ?? "null");
      parts.push(bytes);
      starts[i] = pos;
      pos += bytes.length;
      ends[i] = pos;
      i++;
      continue;
    }
    // The longest run of the previous answer's items, from item j on, that this answer repeats.
    let k = 1;
    while (i + k < n && j + k < previous.items.length && previous.items[j + k] === items[i + k]) k++;
    const from = previous.starts[j] as number;
    const to = previous.ends[j + k - 1] as number;
    parts.push(previous.bytes.subarray(from, to));
    const shift = pos - from;
    for (let m = 0; m < k; m++) {
      starts[i + m] = (previous.starts[j + m] as number) + shift;
      ends[i + m] = (previous.ends[j + m] as number) + shift;
    }
    pos += to - from;
    i += k;
    expected = j + k;
  }
  const close = Buffer.from(`]${tail}`);
  parts.push(close);
  return { items, bytes: Buffer.concat(parts, pos + close.length), starts, ends };
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
