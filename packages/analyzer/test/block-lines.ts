/**
 * Test-only reader for the resource-block subset of Polar: turns `actor`/`resource` blocks of a
 * source text into `resourceBlock` Lines (with the spans polar-core's grammar gives) and skips
 * every other top-level statement. Lets resource-block tests run on corpus files independently
 * of the real parser. Returns null when it meets something it does not understand.
 */
import type { Line, Production, SourceFile, Term, Value } from "../src/ast.js";

interface Token {
  kind: "sym" | "str" | "num" | "punct";
  text: string;
  start: number;
  end: number;
}

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"') {
      const start = i++;
      let value = "";
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\") i++;
        value += text[i] ?? "";
        i++;
      }
      if (i >= text.length) return null;
      i++;
      tokens.push({ kind: "str", text: value, start, end: i });
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      for (;;) {
        if (/[A-Za-z0-9_]/.test(text[i] ?? "")) i++;
        else if (text.startsWith("::", i)) i += 2;
        else break;
      }
      tokens.push({ kind: "sym", text: text.slice(start, i), start, end: i });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < text.length && /[0-9.]/.test(text[i] ?? "")) i++;
      tokens.push({ kind: "num", text: text.slice(start, i), start, end: i });
    } else {
      tokens.push({ kind: "punct", text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** Block lines of `file`, or null when the text is outside the supported subset. */
export function blockLines(file: SourceFile): Line[] | null {
  const tokens = tokenize(file.text);
  if (tokens === null) return null;
  const term = (value: Value, start: number, end: number): Term => ({
    value,
    source: { kind: "parser", file, start, end },
  });
  const lines: Line[] = [];
  let p = 0;
  const at = (k: number): Token | undefined => tokens[p + k];
  const isPunct = (t: Token | undefined, s: string): boolean =>
    t?.kind === "punct" && t.text === s;

  while (p < tokens.length) {
    const t0 = at(0);
    if (t0 === undefined) break;
    let keyword: Token | null = null;
    let name: Token | null = null;
    if (t0.kind === "sym" && at(1)?.kind === "sym" && isPunct(at(2), "{")) {
      keyword = t0;
      name = at(1) ?? null;
      p += 3;
    } else if (t0.kind === "sym" && isPunct(at(1), "{")) {
      name = t0;
      p += 2;
    }
    if (name === null) {
      // Skip a rule/type/query up to its `;` at nesting depth 0.
      let depth = 0;
      while (p < tokens.length) {
        const t = tokens[p++];
        if (t === undefined) break;
        if (t.kind === "punct" && "([{".includes(t.text)) depth++;
        else if (t.kind === "punct" && ")]}".includes(t.text)) depth--;
        else if (depth === 0 && isPunct(t, ";")) break;
      }
      continue;
    }
    const productions: Production[] = [];
    for (;;) {
      const t = at(0);
      if (t === undefined) return null;
      if (isPunct(t, "}")) break;
      if (t.kind === "sym" && isPunct(at(1), "=")) {
        const open = at(2);
        p += 2;
        if (isPunct(open, "[")) {
          p++;
          const elements: Term[] = [];
          while (!isPunct(at(0), "]")) {
            const s = at(0);
            if (s?.kind !== "str") return null;
            elements.push(
              term({ type: "String", value: s.text }, s.start, s.end),
            );
            p++;
            if (isPunct(at(0), ",")) p++;
          }
          const close = at(0);
          if (open === undefined || close === undefined || !isPunct(at(1), ";"))
            return null;
          p += 2;
          productions.push({
            kind: "declaration",
            name: term({ type: "Variable", name: t.text }, t.start, t.end),
            value: term({ type: "List", elements }, open.start, close.end),
          });
        } else if (isPunct(open, "{")) {
          p++;
          const fields = new Map<string, Term>();
          while (!isPunct(at(0), "}")) {
            const k = at(0);
            const v = at(2);
            if (k?.kind !== "sym" || !isPunct(at(1), ":") || v?.kind !== "sym")
              return null;
            if (fields.has(k.text)) return null;
            fields.set(
              k.text,
              term({ type: "Variable", name: v.text }, v.start, v.end),
            );
            p += 3;
            if (isPunct(at(0), ",")) p++;
          }
          const close = at(0);
          if (open === undefined || close === undefined || !isPunct(at(1), ";"))
            return null;
          p += 2;
          productions.push({
            kind: "declaration",
            name: term({ type: "Variable", name: t.text }, t.start, t.end),
            value: term({ type: "Dictionary", fields }, open.start, close.end),
          });
        } else {
          return null;
        }
      } else if (
        t.kind === "str" &&
        at(1)?.text === "if" &&
        at(2)?.kind === "str"
      ) {
        const implier = at(2);
        if (implier === undefined) return null;
        let relation: { keyword: Term; name: Term } | null = null;
        p += 3;
        const kw = at(0);
        const rel = at(1);
        if (kw?.kind === "sym" && rel?.kind === "str") {
          relation = {
            keyword: term(
              { type: "Variable", name: kw.text },
              kw.start,
              kw.end,
            ),
            name: term({ type: "String", value: rel.text }, rel.start, rel.end),
          };
          p += 2;
        }
        if (!isPunct(at(0), ";")) return null;
        p++;
        productions.push({
          kind: "shorthand",
          head: term({ type: "String", value: t.text }, t.start, t.end),
          implier: term(
            { type: "String", value: implier.text },
            implier.start,
            implier.end,
          ),
          relation,
        });
      } else {
        return null;
      }
    }
    const close = at(0);
    if (close === undefined) return null;
    p++;
    const start = (keyword ?? name).start;
    lines.push({
      kind: "resourceBlock",
      keyword:
        keyword === null
          ? null
          : term(
              { type: "Variable", name: keyword.text },
              keyword.start,
              keyword.end,
            ),
      resource: term({ type: "Variable", name: name.text }, start, close.end),
      nameStart: name.start,
      nameEnd: name.end,
      productions,
    });
  }
  return lines;
}
