/**
 * The payload of a `/track` request: Mixpanel's `data=<base64 JSON>` (a form body or a query
 * parameter) or a JSON body, decoded to a value, or an `HttpError` saying why not.
 *
 * Two bodies are common: `data=<canonical base64>` (Mixpanel's libraries send base64 without
 * URL-encoding it) and `data=<URL-encoded base64>&verbose=1&ip=0` (this project's client, through
 * `URLSearchParams`). The first is decoded once, straight from the body, and checked by encoding
 * the bytes again: they give back the text only for canonical base64 (padded, standard
 * alphabet), which has no `&`, `%`, `+`-as-space, URL-safe or white-space ambiguity. Any other
 * form body is read by `formValue`, which answers what `URLSearchParams` answers without its
 * character-by-character parse (the escapes of `+`, `/` and `=` are decoded by a split), then
 * its `data` by the same canonical check, or else by the lenient base64 of Mixpanel's clients
 * (spaces for `+`, the URL-safe alphabet, white space). `test/track-payload.test.ts` compares
 * each path with `URLSearchParams` and the reference decoding over random bodies.
 */
import { unescape } from "node:querystring";
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
  // (Canonical base64 has no '&' or '%': two quick scans spare other bodies a decode.)
  if (body.startsWith(FIELD) && !body.includes("&") && !body.includes("%")) {
    const canonical = canonicalBase64(body.slice(FIELD.length));
    if (canonical !== undefined) return parseJson(canonical.toString("utf8"), "data");
  }
  const data = formValue(body, "data");
  if (data === null) throw new HttpError(400, "the form body has no data field");
  return decodeData(data);
}

/** ES2024's well-formedness methods (Node 20 has them; the project's lib is ES2022). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * The value of the first field called `name` in a form body: exactly what
 * `new URLSearchParams(body).get(name)` answers (Node's parser: the body made well-formed, one
 * leading `?` dropped, fields split at `&`, empty ones skipped, name and value split at the first
 * `=`, `+` read as a space, then `querystring.unescape` when the text holds a valid `%XX`), without
 * building the pairs after the one asked for. Linear in the body.
 */
export function formValue(body: string, name: string): string | null {
  const text = (body as unknown as WellFormed).isWellFormed() ? body : (body as unknown as WellFormed).toWellFormed();
  let start = text.charCodeAt(0) === 63 ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf("&", start);
    if (end < 0) end = text.length;
    if (end > start) {
      const field = text.slice(start, end);
      const eq = field.indexOf("=");
      if (formComponent(eq < 0 ? field : field.slice(0, eq)) === name)
        return eq < 0 ? "" : formComponent(field.slice(eq + 1));
    }
    start = end + 1;
  }
  return null;
}

/** What Node's form parser checks before unescaping: a `%` then two hex digits (it skips `+` between them). */
const ESCAPE = /%\+*[0-9A-Fa-f]\+*[0-9A-Fa-f]/;

/** One name or value of a form body, decoded as Node's `URLSearchParams` decodes it. */
function formComponent(raw: string): string {
  const spaced = plusAsSpace(raw);
  if (!spaced.includes("%")) return spaced;
  return base64Escapes(spaced) ?? (ESCAPE.test(raw) ? unescape(spaced) : spaced);
}

/** The escapes of base64's `+`, `/` and `=` (what `URLSearchParams.toString()` writes for them). */
const BASE64_ESCAPES: ReadonlyMap<string, string> = new Map([
  ["2B", "+"],
  ["2b", "+"],
  ["2F", "/"],
  ["2f", "/"],
  ["3D", "="],
  ["3d", "="],
]);

/**
 * Text whose every `%` starts one of `BASE64_ESCAPES`, decoded (what `decodeURIComponent` gives
 * for it, without its byte-by-byte decoding); null for any other `%`.
 */
function base64Escapes(text: string): string | null {
  let out = "";
  let from = 0;
  for (let at = text.indexOf("%"); at >= 0; at = text.indexOf("%", from)) {
    const c = BASE64_ESCAPES.get(text.slice(at + 1, at + 3));
    if (c === undefined) return null;
    out += text.slice(from, at) + c;
    from = at + 3;
  }
  return out + text.slice(from);
}

/**
 * `text` with every `+` a space, in one pass over its UTF-16 code units (replacing millions of
 * matches one by one is slow even when linear).
 */
function plusAsSpace(text: string): string {
  if (!text.includes("+")) return text;
  const units = Buffer.from(text, "utf16le");
  for (let i = 0; i < units.length; i += 2) {
    if (units[i] === 43 && units[i + 1] === 0) units[i] = 32;
  }
  return units.toString("utf16le");
}
