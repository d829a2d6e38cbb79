/**
 * The lexer's cursor (`scan`: kind and span only) and what is decoded from the text on demand
 * (`stringAt`, `integerAt`, `floatAt`, keyword kinds), against `next()`'s token objects and
 * against values built independently of the lexer. The conformance corpus and the differential
 * test compare whole parses with Oso's engine; these pin the decoding the parser now does lazily.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lexer, T, isLexError, stringAt, tokenText, tokenTextAt, type Token } from "../src/lexer.js";
import { parseFile } from "../src/parser.js";

const SEED = 20261202;

function tokens(text: string): Token[] {
  const lexer = new Lexer(text);
  const out: Token[] = [];
  for (;;) {
    const t = lexer.next();
    if (isLexError(t)) throw new Error(`lex error ${t.kind} at ${t.loc}`);
    out.push(t);
    if (t.kind === T.EOF) return out;
  }
}

/** `value` as a Polar string literal: `"` and `\` escaped, and each character in `escaped` too. */
function literal(value: string, escaped: ReadonlySet<number>): string {
  let out = '"';
  let i = 0;
  for (const ch of value) {
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\0") out += "\\0";
    else if (escaped.has(i) && !"nrt0".includes(ch)) out += "\\" + ch;
    else out += ch;
    i++;
  }
  return out + '"';
}

describe("lexer: values decoded from the text", () => {
  it("decodes every string literal back to its value, escapes anywhere", () => {
    const value = fc.string({ unit: "binary", maxLength: 24 });
    fc.assert(
      fc.property(value, fc.array(fc.nat(24)), value, (v, escapes, other) => {
        const a = literal(v, new Set(escapes));
        const b = literal(other, new Set());
        // Two literals in one text: each token's span and value must be its own.
        const toks = tokens(`f(${a}, ${b});`);
        const strings = toks.filter((t) => t.kind === T.String);
        expect(strings.map((t) => t.text)).toEqual([v, other]);
        const lexer = new Lexer(`f(${a}, ${b});`);
        const scanned: string[] = [];
        while (lexer.scan() && lexer.kind !== T.EOF) {
          if (lexer.kind === T.String) scanned.push(stringAt(lexer.text, lexer.start, lexer.end));
        }
        expect(scanned).toEqual([v, other]);
        expect(strings[0]?.end).toBe(2 + a.length);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("parses string values the way the lexer decodes them", () => {
    const r = parseFile({ name: "p.polar", text: 'f(x) if x = "a\\tb\\"c\\\\d\\q\\😀e";' });
    expect(r.ok).toBe(true);
    const body = r.ok && r.value[0]?.kind === "rule" ? r.value[0].rule.body : null;
    const unify = body?.value.type === "Expression" ? body.value.args[0] : undefined;
    const right = unify?.value.type === "Expression" ? unify.value.args[1] : undefined;
    expect(right?.value).toEqual({ type: "String", value: 'a\tb"c\\dq😀e' });
  });

  it("tells keywords from symbols that start or end like them", () => {
    const words: [string, T][] = [
      ["new", T.New],
      ["in", T.In],
      ["cut", T.Cut],
      ["debug", T.Debug],
      ["print", T.Print],
      ["isa", T.Isa],
      ["forall", T.ForAll],
      ["if", T.If],
      ["and", T.And],
      ["or", T.Or],
      ["not", T.Not],
      ["matches", T.Matches],
      ["type", T.Type],
      ["mod", T.Mod],
      ["rem", T.Rem],
      ["true", T.Boolean],
      ["false", T.Boolean],
      ["inf", T.Float],
      ["nan", T.Float],
    ];
    for (const [word, kind] of words) {
      const [t, prefixed, suffixed, cut, eof] = tokens(`${word} _${word} ${word}_ ${word.slice(0, -1)}`);
      expect([t?.kind, t?.text, t?.start, t?.end]).toEqual([kind, word, 0, word.length]);
      expect([prefixed?.kind, prefixed?.text]).toEqual([T.Symbol, `_${word}`]);
      expect([suffixed?.kind, suffixed?.text]).toEqual([T.Symbol, `${word}_`]);
      // `inf` without its last letter is the keyword `in`: any other is a plain symbol.
      const shorter = word.slice(0, -1);
      expect([cut?.kind, cut?.text]).toEqual([words.find(([w]) => w === shorter)?.[1] ?? T.Symbol, shorter]);
      expect(eof?.kind).toBe(T.EOF);
    }
  });

  it("reads numbers: long integers, i64 bounds, floats, inf and nan", () => {
    const [a, b, c, d, e, f] = tokens("0000000000000000000042 9223372036854775807 1.5e3 1. inf nan");
    expect([a?.kind, a?.int, a?.text]).toEqual([T.Integer, 42n, "0000000000000000000042"]);
    expect(b?.int).toBe(9223372036854775807n);
    expect([c?.kind, c?.float, d?.float]).toEqual([T.Float, 1500, 1]);
    expect([e?.kind, e?.float, f?.kind, Number.isNaN(f?.float)]).toEqual([T.Float, Infinity, T.Float, true]);
    const overflow = new Lexer("00009223372036854775808").next();
    expect(isLexError(overflow) && overflow.kind).toBe("IntegerOverflow");
  });

  it("prints a token in place as its object prints", () => {
    const text = 'x 12 -3.5e-7 "a\\nb" true != ?= matches mod ( inf';
    const lexer = new Lexer(text);
    for (const t of tokens(text)) {
      expect(lexer.scan()).toBe(true);
      expect([lexer.kind, lexer.start, lexer.end]).toEqual([t.kind, t.start, t.end]);
      expect(tokenTextAt(text, lexer.kind, lexer.start, lexer.end)).toBe(tokenText(t));
    }
  });
});
