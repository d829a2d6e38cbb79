/**
 * Term printing exactly as polar-core does it.
 *
 * Two printers are needed because Oso's messages use both:
 * - {@link toPolar} / {@link ruleToPolar}: polar-core's `to_polar` (formatting.rs), the
 *   "reverse parser" used by `Display` of terms and rules;
 * - `debug*`: Rust's derived `Debug` output (`{:#?}` pretty or `{:?}` compact) of polar-core's
 *   Rust types, which some InvalidRule reasons embed verbatim.
 */
import { sortedFields, type Fields, type NumberValue, type Operator, type Rule, type Term, type Value } from "./ast.js";
import { formatFloat, formatInteger } from "./numbers.js";

// ---------------------------------------------------------------------------------------------
// to_polar
// ---------------------------------------------------------------------------------------------

/** polar-core `precedence()`: higher binds tighter. */
const PRECEDENCE: Readonly<Record<Operator, number>> = {
  Print: 11,
  Debug: 11,
  New: 10,
  Cut: 10,
  ForAll: 10,
  Dot: 9,
  In: 8,
  Isa: 8,
  Mul: 7,
  Div: 7,
  Mod: 7,
  Rem: 7,
  Add: 6,
  Sub: 6,
  Eq: 5,
  Geq: 5,
  Leq: 5,
  Neq: 5,
  Gt: 5,
  Lt: 5,
  Unify: 4,
  Assign: 4,
  Not: 3,
  And: 2,
  Or: 1,
};

/** Operator spelling in Polar syntax (`Operator::to_polar`). */
export const OPERATOR_SYMBOL: Readonly<Record<Operator, string>> = {
  Not: "not",
  Mul: "*",
  Div: "/",
  Mod: "mod",
  Rem: "rem",
  Add: "+",
  Sub: "-",
  Eq: "==",
  Geq: ">=",
  Leq: "<=",
  Neq: "!=",
  Gt: ">",
  Lt: "<",
  Or: "or",
  And: "and",
  New: "new",
  Dot: ".",
  Unify: "=",
  Assign: ":=",
  In: "in",
  Cut: "cut",
  ForAll: "forall",
  Debug: "debug",
  Print: "print",
  Isa: "matches",
};

/** Rust `Display` of a `Numeric`. */
export function numberToString(n: NumberValue): string {
  return n.kind === "integer" ? formatInteger(n.value) : formatFloat(n.value);
}

/** Parenthesise `t` only when it is an expression binding more loosely than `op` (`to_polar_parens`). */
function withParens(op: Operator, t: Term): string {
  const v = t.value;
  if (v.type === "Expression" && PRECEDENCE[op] > PRECEDENCE[v.operator]) return `(${printTerm(t)})`;
  return printTerm(t);
}

function formatArgs(op: Operator, args: readonly Term[], sep: string): string {
  return args.map((a) => withParens(op, a)).join(sep);
}

function fieldsToPolar(fields: Fields): string {
  return `{${sortedFields(fields)
    .map(([k, v]) => `${k}: ${printTerm(v)}`)
    .join(", ")}}`;
}

function argAt(args: readonly Term[], i: number): string {
  const t = args[i];
  return t === undefined ? "" : printTerm(t);
}

function operationToPolar(operator: Operator, args: readonly Term[]): string {
  switch (operator) {
    case "Debug":
      return "debug()";
    case "Print":
      return `print(${formatArgs(operator, args, ", ")})`;
    case "Cut":
      return "cut";
    case "ForAll":
      return `forall(${argAt(args, 0)}, ${argAt(args, 1)})`;
    case "New": {
      const first = args[0];
      const head = first === undefined ? "" : withParens(operator, first);
      return args.length === 1 ? `new ${head}` : `new (${head}, ${argAt(args, 1)})`;
    }
    case "Dot": {
      const field = args[1];
      // A field name is stored as a string but printed bare.
      const callTerm = field === undefined ? "" : field.value.type === "String" ? field.value.value : printTerm(field);
      if (args.length === 2) return `${argAt(args, 0)}.${callTerm}`;
      if (args.length === 3) return `${argAt(args, 0)}.${callTerm} = ${argAt(args, 2)}`;
      return `.(${formatArgs(operator, args, ", ")})`;
    }
    case "Not": {
      const first = args[0];
      return `not ${first === undefined ? "" : withParens(operator, first)}`;
    }
    case "And":
    case "Or":
      if (args.length === 0) return operator === "And" ? "(true)" : "(false)";
      return formatArgs(operator, args, ` ${OPERATOR_SYMBOL[operator]} `);
    default: {
      const sym = OPERATOR_SYMBOL[operator];
      const [a, b, c] = args;
      if (args.length === 2 && a && b) return `${withParens(operator, a)} ${sym} ${withParens(operator, b)}`;
      if (args.length === 3 && a && b && c)
        return `${withParens(operator, a)} ${sym} ${withParens(operator, b)} = ${withParens(operator, c)}`;
      return `${sym}(${formatArgs(operator, args, ", ")})`;
    }
  }
}

function printValue(v: Value): string {
  switch (v.type) {
    case "Number":
      return numberToString(v.number);
    case "String":
      // polar-core does not escape strings when printing them back.
      return `"${v.value}"`;
    case "Boolean":
      return v.value ? "true" : "false";
    case "Dictionary":
    case "DictionaryPattern":
      return fieldsToPolar(v.fields);
    case "InstancePattern":
      return `${v.tag}${fieldsToPolar(v.fields)}`;
    case "Call": {
      const args = formatArgs("And", v.args, ", ");
      if (v.kwargs === null) return `${v.name}(${args})`;
      const kwargs = sortedFields(v.kwargs)
        .map(([k, t]) => `${k}: ${printTerm(t)}`)
        .join(", ");
      return `${v.name}(${args === "" ? kwargs : `${args}, ${kwargs}`})`;
    }
    case "List":
      return `[${formatArgs("And", v.elements, ", ")}]`;
    case "Variable":
      return v.name;
    case "RestVariable":
      return `*${v.name}`;
    case "Expression":
      return operationToPolar(v.operator, v.args);
  }
}

function printTerm(term: Term): string {
  return printValue(term.value);
}

/**
 * Runs a printer; on a stack overflow (expressions nested thousands deep, where the engine's own
 * recursive printer overflows too) falls back to the term's source text instead of throwing.
 */
function guarded(print: () => string, fallback: () => string): string {
  try {
    return print();
  } catch (e) {
    if (e instanceof RangeError) return fallback();
    throw e;
  }
}

function sourceText(term: Term): string {
  const s = term.source;
  return s.kind === "parser" ? s.file.text.slice(s.start, s.end) : "…";
}

/** polar-core `Value::to_polar`. */
export function valueToPolar(v: Value): string {
  return guarded(
    () => printValue(v),
    () => "…",
  );
}

/** polar-core `Term::to_polar` (also its `Display`). */
export function toPolar(term: Term): string {
  return guarded(
    () => printTerm(term),
    () => sourceText(term),
  );
}

/** A rule parameter: `x` or `x: Foo{}`. */
export function parameterToPolar(p: Rule["params"][number]): string {
  return p.specializer === null ? toPolar(p.parameter) : `${toPolar(p.parameter)}: ${toPolar(p.specializer)}`;
}

/** `Rule::head_as_string`: `name(params)`. */
export function ruleHeadToPolar(rule: Rule): string {
  return `${rule.name}(${rule.params.map(parameterToPolar).join(", ")})`;
}

/** polar-core `Rule::to_polar` (also its `Display`): `name(params) if body;` or `name(params);`. */
export function ruleToPolar(rule: Rule): string {
  const head = ruleHeadToPolar(rule);
  const value = rule.body.value;
  // The body is always an And; anything else would be a bug upstream, print it anyway.
  const args = value.type === "Expression" && value.operator === "And" ? value.args : [rule.body];
  if (args.length === 0) return `${head};`;
  const body = guarded(
    () => formatArgs("And", args, " and "),
    () => sourceText(rule.body),
  );
  return `${head} if ${body};`;
}

// ---------------------------------------------------------------------------------------------
// Rust Debug
// ---------------------------------------------------------------------------------------------

/** Minimal model of Rust's `fmt::Debug` builders (debug_tuple, debug_struct, debug_list, debug_map). */
type Dbg =
  | { readonly k: "raw"; readonly text: string }
  | { readonly k: "tuple"; readonly name: string; readonly items: readonly Dbg[] }
  | { readonly k: "struct"; readonly name: string; readonly fields: readonly (readonly [string, Dbg])[] }
  | { readonly k: "list"; readonly items: readonly Dbg[] }
  | { readonly k: "map"; readonly entries: readonly (readonly [Dbg, Dbg])[] };

const raw = (text: string): Dbg => ({ k: "raw", text });
const tuple = (name: string, ...items: Dbg[]): Dbg => ({ k: "tuple", name, items });

/** PadAdapter: four spaces at the start of every line. */
function indent(s: string): string {
  return "    " + s.replace(/\n/g, "\n    ");
}

function renderPretty(d: Dbg): string {
  switch (d.k) {
    case "raw":
      return d.text;
    case "tuple":
      if (d.items.length === 0) return d.name;
      return `${d.name}(\n${d.items.map((i) => indent(renderPretty(i)) + ",\n").join("")})`;
    case "struct":
      if (d.fields.length === 0) return d.name;
      return `${d.name} {\n${d.fields.map(([n, v]) => indent(`${n}: ${renderPretty(v)}`) + ",\n").join("")}}`;
    case "list":
      if (d.items.length === 0) return "[]";
      return `[\n${d.items.map((i) => indent(renderPretty(i)) + ",\n").join("")}]`;
    case "map":
      if (d.entries.length === 0) return "{}";
      return `{\n${d.entries.map(([k, v]) => indent(`${renderPretty(k)}: ${renderPretty(v)}`) + ",\n").join("")}}`;
  }
}

function renderCompact(d: Dbg): string {
  switch (d.k) {
    case "raw":
      return d.text;
    case "tuple":
      return d.items.length === 0 ? d.name : `${d.name}(${d.items.map(renderCompact).join(", ")})`;
    case "struct":
      return d.fields.length === 0
        ? d.name
        : `${d.name} { ${d.fields.map(([n, v]) => `${n}: ${renderCompact(v)}`).join(", ")} }`;
    case "list":
      return `[${d.items.map(renderCompact).join(", ")}]`;
    case "map":
      return `{${d.entries.map(([k, v]) => `${renderCompact(k)}: ${renderCompact(v)}`).join(", ")}}`;
  }
}

function render(build: () => Dbg, pretty: boolean): string {
  return guarded(
    () => {
      const d = build();
      return pretty ? renderPretty(d) : renderCompact(d);
    },
    () => "…",
  );
}

// Rust's `char::escape_debug` treats these as needing a `\u{…}` escape: general categories
// Cc Cf Cs Co Cn Zl Zp Zs (except the ASCII space), plus grapheme-extending characters.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Grapheme_Extend}]/u;

/** Rust `{:?}` of a `str`: double-quoted, with `escape_debug` escapes (single quotes are not escaped). */
export function rustDebugString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case "\0":
        out += "\\0";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      default:
        if (ch !== " " && NON_PRINTABLE.test(ch)) {
          out += `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
        } else {
          out += ch;
        }
    }
  }
  return out + '"';
}

/**
 * Rust `{:?}` of an `f64`: like Display but always with a fractional part, and in exponential
 * form when the magnitude is `>= 1e16` or `< 1e-4` (non-zero).
 */
export function rustDebugFloat(x: number): string {
  if (!Number.isFinite(x)) return formatFloat(x);
  const abs = Math.abs(x);
  if (abs >= 1e16 || (abs !== 0 && abs < 1e-4)) {
    // JS picks the same shortest round-trip digits; only the exponent spelling differs.
    return x.toExponential().replace("e+", "e");
  }
  const s = formatFloat(x);
  return s.includes(".") ? s : `${s}.0`;
}

const symbolDbg = (name: string): Dbg => tuple("Symbol", raw(rustDebugString(name)));

function fieldsDbg(fields: Fields): Dbg {
  return { k: "map", entries: sortedFields(fields).map(([k, v]) => [symbolDbg(k), termDbg(v)] as const) };
}

function dictionaryDbg(fields: Fields): Dbg {
  return { k: "struct", name: "Dictionary", fields: [["fields", fieldsDbg(fields)]] };
}

function numberDbg(n: NumberValue): Dbg {
  return n.kind === "integer"
    ? tuple("Integer", raw(formatInteger(n.value)))
    : tuple("Float", raw(rustDebugFloat(n.value)));
}

/** `Pattern` enum of a pattern value, or null for non-patterns. */
function patternDbg(v: Value): Dbg | null {
  if (v.type === "DictionaryPattern") return tuple("Dictionary", dictionaryDbg(v.fields));
  if (v.type === "InstancePattern") {
    return tuple("Instance", {
      k: "struct",
      name: "InstanceLiteral",
      fields: [
        ["tag", symbolDbg(v.tag)],
        ["fields", dictionaryDbg(v.fields)],
      ],
    });
  }
  return null;
}

function valueDbg(v: Value): Dbg {
  switch (v.type) {
    case "Number":
      return tuple("Number", numberDbg(v.number));
    case "String":
      return tuple("String", raw(rustDebugString(v.value)));
    case "Boolean":
      return tuple("Boolean", raw(v.value ? "true" : "false"));
    case "Dictionary":
      return tuple("Dictionary", dictionaryDbg(v.fields));
    case "DictionaryPattern":
    case "InstancePattern":
      return tuple("Pattern", patternDbg(v) ?? raw(""));
    case "Call":
      return tuple("Call", {
        k: "struct",
        name: "Call",
        fields: [
          ["name", symbolDbg(v.name)],
          ["args", { k: "list", items: v.args.map(termDbg) }],
          ["kwargs", v.kwargs === null ? raw("None") : tuple("Some", fieldsDbg(v.kwargs))],
        ],
      });
    case "List":
      return tuple("List", { k: "list", items: v.elements.map(termDbg) });
    case "Variable":
      return tuple("Variable", symbolDbg(v.name));
    case "RestVariable":
      return tuple("RestVariable", symbolDbg(v.name));
    case "Expression":
      return tuple("Expression", {
        k: "struct",
        name: "Operation",
        fields: [
          ["operator", raw(v.operator)],
          ["args", { k: "list", items: v.args.map(termDbg) }],
        ],
      });
  }
}

function termDbg(t: Term): Dbg {
  const source = t.source.kind === "parser" ? "SourceInfo::Parser" : "SourceInfo::TemporaryVariable";
  return {
    k: "struct",
    name: "Term",
    fields: [
      ["source_info", raw(source)],
      ["value", valueDbg(t.value)],
    ],
  };
}

/** Rust Debug of a `Term` (`{:#?}` when `pretty`, the default; `{:?}` otherwise). */
export function debugTerm(term: Term, pretty = true): string {
  return render(() => termDbg(term), pretty);
}

/** Rust Debug of a `Value`. Note that polar-core's `Display` for `Value` is its compact Debug. */
export function debugValue(value: Value, pretty = true): string {
  return render(() => valueDbg(value), pretty);
}

/** Rust Debug of a `Vec<Term>` (`TermList`). */
export function debugTermList(terms: readonly Term[], pretty = true): string {
  return render(() => ({ k: "list", items: terms.map(termDbg) }), pretty);
}

/** Rust Debug of a `Dictionary` struct (`Dictionary { fields: {…} }`). */
export function debugDictionary(fields: Fields, pretty = true): string {
  return render(() => dictionaryDbg(fields), pretty);
}

/**
 * Rust Debug of a `Pattern` (`Instance(InstanceLiteral {…})` / `Dictionary(Dictionary {…})`),
 * for a value that is an instance or dictionary pattern; other values print as their Value Debug.
 */
export function debugPattern(value: Value, pretty = true): string {
  return render(() => patternDbg(value) ?? valueDbg(value), pretty);
}
