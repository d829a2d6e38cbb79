/**
 * Hand-built terms for unit tests of the printer, rewriter and validations (independent of the
 * parser). Terms built here carry parser source info pointing into a dummy file unless a span is given.
 */
import type { Fields, Operator, Parameter, Rule, SourceFile, SourceInfo, Term, Value } from "../src/ast.js";

export const DUMMY_FILE: SourceFile = { name: "test.polar", text: "" };
const P: SourceInfo = { kind: "parser", file: DUMMY_FILE, start: 0, end: 0 };

export const term = (value: Value, source: SourceInfo = P): Term => ({ value, source });
export const int = (n: number | bigint): Term =>
  term({ type: "Number", number: { kind: "integer", value: BigInt(n) } });
export const float = (x: number): Term => term({ type: "Number", number: { kind: "float", value: x } });
export const str = (s: string): Term => term({ type: "String", value: s });
export const bool = (b: boolean): Term => term({ type: "Boolean", value: b });
export const v = (name: string): Term => term({ type: "Variable", name });
export const rest = (name: string): Term => term({ type: "RestVariable", name });
export const list = (...elements: Term[]): Term => term({ type: "List", elements });
export const fields = (o: Record<string, Term>): Fields => new Map(Object.entries(o));
export const dict = (o: Record<string, Term>): Term => term({ type: "Dictionary", fields: fields(o) });
export const dictPat = (o: Record<string, Term>): Term => term({ type: "DictionaryPattern", fields: fields(o) });
export const inst = (tag: string, o: Record<string, Term> = {}): Term =>
  term({ type: "InstancePattern", tag, fields: fields(o) });
export const call = (name: string, args: Term[], kwargs: Record<string, Term> | null = null): Term =>
  term({ type: "Call", name, args, kwargs: kwargs === null ? null : fields(kwargs) });
export const op = (operator: Operator, ...args: Term[]): Term => term({ type: "Expression", operator, args });
export const dot = (obj: Term, field: string | Term): Term =>
  op("Dot", obj, typeof field === "string" ? str(field) : field);

export const param = (parameter: Term, specializer: Term | null = null): Parameter => ({ parameter, specializer });
export const rule = (name: string, params: (Parameter | Term)[], ...body: Term[]): Rule => ({
  name,
  params: params.map((p) => ("parameter" in p ? p : param(p))),
  body: op("And", ...body),
  source: P,
});

/**
 * Give a hand-built term the span of the `nth` (0-based) occurrence of `needle` in `file.text`,
 * as the parser would.
 */
export function at(file: SourceFile, t: Term, needle: string, nth = 0): Term {
  let start = -1;
  for (let i = 0; i <= nth; i++) {
    start = file.text.indexOf(needle, start + 1);
    if (start < 0) throw new Error(`'${needle}' #${nth} not in test source`);
  }
  return { value: t.value, source: { kind: "parser", file, start, end: start + needle.length } };
}
