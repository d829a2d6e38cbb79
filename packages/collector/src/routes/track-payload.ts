/**
 * The payload of a `/track` request: Mixpanel's `data=<base64 JSON>` (a form body or a query
 * parameter) or a JSON body, decoded to a value, or an `HttpError` saying why not.
 *
 * Every client we know sends `data=` followed by canonical base64 (padded, standard alphabet),
 * and nothing else. For that body the fast path decodes the base64 once, straight from the body,
 * and checks it by encoding the bytes again: the result equals the text only for canonical
 * base64, which holds no `&`, `%`, `+`-as-space ambiguity, `-`, `_` or white space. Any other
 * body takes the general path: the form decoded by `URLSearchParams`, then the lenient base64 of
 * Mixpanel's clients (spaces for `+`, the URL-safe alphabet, white space). Both give the same
 * value for every body (`test/track-payload.test.ts` compares them over random bodies).
 */
import { HttpError } from "../http-error.js";

/** The base64 alphabet, by character code. */
const ALPHABET = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Mixpanel's lenient base64 made strict, in one pass: a space (a `+` that was not URL-encoded)
 * and `-` are `+`, `_` is `/`, white space (JavaScript's `\s`) is dropped; then the text must be
 * the alphabet followed by at most two `=`, and not one character past a multiple of four.
 * Returns the strict text, or null when it is not base64.
 */
function lenientBase64(data: string): string | null {
  const out = Buffer.allocUnsafe(data.length);
  let n = 0;
  let padding = 0;
  for (let i = 0; i < data.length; i++) {
    let c = data.charCodeAt(i);
    if (c === 32 || c === 45) c = 43;
    else if (c === 95) c = 47;
    else if (c >= 9 && c <= 13) continue;
    else if (c >= 128) {
      if (/\s/.test(data[i]!)) continue;
      return null;
    }
    if (c === 61) {
      if (++padding > 2) return null;
    } else if (padding > 0 || ALPHABET[c] !== 1) return null;
    out[n++] = c;
  }
  if (n === 0 || n % 4 === 1) return null;
  return out.toString("latin1", 0, n);
}

/** The value of canonical base64 text, or undefined when `text` is not canonical base64. */
function canonicalBase64(text: string): Buffer | undefined {
  if (text.length === 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

/** Decodes Mixpanel's base64 `data` (standard or URL-safe alphabet) strictly, then its JSON. */
export function decodeData(data: string): unknown {
  const canonical = canonicalBase64(data);
  if (canonical !== undefined) return parseJson(canonical.toString("utf8"), "data");
  // A form body that was not URL-encoded turns '+' into ' ' (Mixpanel's clients do not encode).
  const b64 = lenientBase64(data);
  if (b64 === null) throw new HttpError(400, "data is not valid base64");
  return parseJson(Buffer.from(b64, "base64").toString("utf8"), "data");
}

/** JSON text to a value; a 400 naming `what` when it is not JSON. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, `${what} is not valid JSON`);
  }
}

const FIELD = "data=";

/** The payload of an `application/x-www-form-urlencoded` body: its `data` field, decoded. */
export function decodeFormBody(body: string): unknown {
  if (body.startsWith(FIELD)) {
    const canonical = canonicalBase64(body.slice(FIELD.length));
    if (canonical !== undefined) return parseJson(canonical.toString("utf8"), "data");
  }
  return decodeData(formField(body));
}

/** The first `data` field of a form body, as `URLSearchParams` decodes it. */
function formField(body: string): string {
  let data: string | null;
  try {
    data = new URLSearchParams(body).get("data");
  } catch {
    throw new HttpError(400, "the form body is malformed");
  }
  if (data === null) throw new HttpError(400, "the form body has no data field");
  return data;
}
