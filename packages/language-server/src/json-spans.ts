/**
 * JSON with source spans, for `polar.json`: the editor must put a problem on the value that causes
 * it, which `JSON.parse` cannot tell. Strict JSON (RFC 8259): what `JSON.parse` accepts, with the
 * same values (`json-spans.test.ts` checks both on generated and broken documents); a syntax error
 * is one message at one offset. Keys keep their spans, and duplicate keys are kept in order (the
 * caller decides; `JSON.parse` would silently keep the last).
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export type JsonNode =
  | (Span & { readonly kind: "object"; readonly entries: readonly JsonEntry[] })
  | (Span & { readonly kind: "array"; readonly items: readonly JsonNode[] })
  | (Span & { readonly kind: "string"; readonly value: string })
  | (Span & { readonly kind: "number"; readonly value: number })
  | (Span & { readonly kind: "boolean"; readonly value: boolean })
  | (Span & { readonly kind: "null" });

export interface JsonEntry {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: JsonNode;
}

export type JsonParse =
  | { readonly ok: true; readonly node: JsonNode }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/** Nesting limit: a hostile file must not overflow the stack (the parser recurses). */
export const MAX_JSON_DEPTH = 256;

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** Parses `text` as one JSON value (a leading byte-order mark is skipped, as editors write it). */
export function parseJson(text: string): JsonParse {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const describe = (at: number): string =>
    at >= text.length ? "the end of the file" : `'${text[at] === "\n" ? "\\n" : (text[at] ?? "")}'`;
  const fail = (expected: string, at = i): never => {
    throw new JsonSyntaxError(`expected ${expected}, found ${describe(at)}`, at);
  };
  const ws = (): void => {
    for (;;) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else return;
    }
  };

  const string = (): { value: string; span: Span } => {
    const start = i;
    i++; // the opening quote
    let out = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new JsonSyntaxError("unterminated string", start);
      if (c === '"') {
        i++;
        return { value: out, span: { start, end: i } };
      }
      if (c === "\\") {
        const e = text[i + 1] ?? "";
        if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError("invalid \\u escape in a string", i);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          const plain = ESCAPES[e];
          if (plain === undefined) throw new JsonSyntaxError(`invalid escape '\\${e}' in a string`, i);
          out += plain;
          i += 2;
        }
      } else if (c.charCodeAt(0) < 0x20) {
        throw new JsonSyntaxError("control character in a string (write it as an escape, e.g. \\n)", i);
      } else {
        out += c;
        i++;
      }
    }
  };

  const value = (depth: number): JsonNode => {
    if (depth > MAX_JSON_DEPTH) throw new JsonSyntaxError(`nested deeper than ${MAX_JSON_DEPTH} levels`, i);
    ws();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: JsonEntry[] = [];
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "object", entries, start, end: i };
      }
      for (;;) {
        ws();
        if (text[i] !== '"')
          fail(entries.length === 0 ? "a property name in double quotes or '}'" : "a property name in double quotes");
        const key = string();
        ws();
        if (text[i] !== ":") fail("':' after the property name");
        i++;
        entries.push({ key: key.value, keySpan: key.span, value: value(depth + 1) });
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return { kind: "object", entries, start, end: i };
        } else fail("',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { kind: "array", items, start, end: i };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return { kind: "array", items, start, end: i };
        } else fail("',' or ']'");
      }
    }
    if (c === '"') {
      const s = string();
      return { kind: "string", value: s.value, ...s.span };
    }
    for (const [word, node] of [
      ["true", { kind: "boolean", value: true }],
      ["false", { kind: "boolean", value: false }],
      ["null", { kind: "null" }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { ...node, start, end: i };
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m !== null) {
      i += m[0].length;
      return { kind: "number", value: Number(m[0]), start, end: i };
    }
    return fail("a value");
  };

  try {
    const node = value(0);
    ws();
    if (i < text.length) fail("the end of the file after the value");
    return { ok: true, node };
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, message: e.message, offset: e.offset };
    throw e;
  }
}

/** A JSON node for a value that came without text (an LSP setting): every span is 0–0. */
export function nodeOfValue(value: unknown, depth = 0): JsonNode | null {
  const at = { start: 0, end: 0 };
  if (depth > MAX_JSON_DEPTH) return null;
  if (value === null) return { kind: "null", ...at };
  if (typeof value === "string") return { kind: "string", value, ...at };
  if (typeof value === "number") return Number.isFinite(value) ? { kind: "number", value, ...at } : null;
  if (typeof value === "boolean") return { kind: "boolean", value, ...at };
  if (Array.isArray(value)) {
    const items: JsonNode[] = [];
    for (const v of value as unknown[]) {
      const n = nodeOfValue(v, depth + 1);
      if (n === null) return null;
      items.push(n);
    }
    return { kind: "array", items, ...at };
  }
  if (typeof value === "object") {
    const entries: JsonEntry[] = [];
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const n = nodeOfValue(v, depth + 1);
      if (n === null) return null;
      entries.push({ key, keySpan: at, value: n });
    }
    return { kind: "object", entries, ...at };
  }
  return null;
}

/** The plain value of a node (what `JSON.parse` returns; a duplicate key keeps its last value, as there). */
export function valueOf(node: JsonNode): unknown {
  switch (node.kind) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) {
        Object.defineProperty(out, e.key, {
          value: valueOf(e.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "array":
      return node.items.map(valueOf);
    case "null":
      return null;
    default:
      return node.value;
  }
}
