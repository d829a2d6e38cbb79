/**
 * The JSON-RPC message encoder of the stream transports (`--stdio`, `--socket`, `--pipe`), with the
 * JSON of an answer's items cached per item. An outline of a 50k-line file is 10k items, 2.7 MB of
 * JSON; after a keystroke all but one of its items are the objects of the previous answer (the
 * outline caches them, features.ts), so encoding the whole answer again (`JSON.stringify`, then
 * `Buffer.from` of the 2.7 MB string: ~19 ms of the ~40 ms the server spent per outline, issue 13)
 * repeats work done the time before. Here the items of an answer marked with {@link immutableItems}
 * keep their UTF-8 JSON, and a message holding such an answer is the concatenation of its envelope
 * and the items' bytes: byte for byte what `JSON.stringify` makes (`test/json-encoder.test.ts`).
 * Every other message is encoded as vscode-jsonrpc encodes it.
 *
 * The `--node-ipc` transport (VS Code's) is not a stream: Node's IPC channel serialises each
 * message itself (`process.send`), so this encoder does not apply there.
 */
import { RAL, type ContentTypeEncoder, type Message } from "vscode-languageserver/node.js";

/** Answers whose items are never mutated once answered, so their JSON can be kept. */
const immutableAnswers = new WeakSet<readonly unknown[]>();
/** The UTF-8 JSON of each item of such an answer (gone with the item). */
const itemJson = new WeakMap<object, Buffer>();

/**
 * Marks `items` (an answer) as made of items that are never mutated from now on, so that their JSON
 * may be cached per item. The array itself may be new for every answer.
 */
export function immutableItems<T>(items: T[]): T[] {
  immutableAnswers.add(items);
  return items;
}

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");
/** Stands for the result in the envelope's JSON (a string no message of ours holds). */
const RESULT_MARK = "\u0000polar-ide:result\u0000";
const RESULT_MARK_JSON = JSON.stringify(RESULT_MARK);

/** A message as `JSON.stringify` + `Buffer.from(…, charset)` encodes it, with cached items' JSON. */
export function encodeMessage(msg: Message, charset: BufferEncoding = "utf-8"): Buffer {
  const result = (msg as { result?: unknown }).result;
  const utf8 = charset === "utf-8" || charset === "utf8";
  if (!utf8 || !Array.isArray(result) || !immutableAnswers.has(result))
    return Buffer.from(JSON.stringify(msg, undefined, 0), charset);
  const envelope = JSON.stringify({ ...msg, result: RESULT_MARK }, undefined, 0);
  const at = envelope.indexOf(RESULT_MARK_JSON);
  if (at < 0 || envelope.indexOf(RESULT_MARK_JSON, at + 1) >= 0) return Buffer.from(JSON.stringify(msg), charset);
  const parts: Buffer[] = [Buffer.from(envelope.slice(0, at)), OPEN];
  for (let i = 0; i < result.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(itemBytes(result[i]));
  }
  parts.push(CLOSE, Buffer.from(envelope.slice(at + RESULT_MARK_JSON.length)));
  return Buffer.concat(parts);
}

function itemBytes(item: unknown): Buffer {
  // As JSON.stringify writes an array element: `null` for what has no JSON (undefined, functions).
  if (item === null || typeof item !== "object") return Buffer.from(JSON.stringify(item) ?? "null");
  let bytes = itemJson.get(item);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(item) ?? "null");
    itemJson.set(item, bytes);
  }
  return bytes;
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
