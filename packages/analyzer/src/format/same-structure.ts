/**
 * The structure of a parsed file, spans left out: two texts with the same fingerprint load the
 * same rules, rule types, queries and blocks. It also records, for every `and` directly inside an
 * `or` (and the reverse), whether `(` precedes it in the text, on which the engine's
 * AmbiguousPrecedence warning depends. The formatter refuses any output whose fingerprint differs
 * from its input's.
 */
import type { Fields, Line, Term } from "../ast.js";
import { precededByParen } from "../validations/ambiguous-precedence.js";

function fields(f: Fields, out: string[]): void {
  out.push(`{${f.size}`);
  for (const [k, v] of f) {
    out.push(JSON.stringify(k));
    term(v, out);
  }
  out.push("}");
}

function isChain(t: Term): "And" | "Or" | null {
  const v = t.value;
  return v.type === "Expression" && (v.operator === "And" || v.operator === "Or") ? v.operator : null;
}

function term(t: Term, out: string[]): void {
  const v = t.value;
  switch (v.type) {
    case "Number":
      out.push(
        v.number.kind === "integer"
          ? `i${v.number.value}`
          : `f${Object.is(v.number.value, -0) ? "-0" : String(v.number.value)}`,
      );
      return;
    case "String":
      out.push(`s${JSON.stringify(v.value)}`);
      return;
    case "Boolean":
      out.push(v.value ? "T" : "F");
      return;
    case "Variable":
      out.push(`v${v.name}`);
      return;
    case "RestVariable":
      out.push(`*${v.name}`);
      return;
    case "List":
      out.push(`[${v.elements.length}`);
      for (const e of v.elements) term(e, out);
      return;
    case "Dictionary":
      out.push("D");
      fields(v.fields, out);
      return;
    case "DictionaryPattern":
      out.push("P");
      fields(v.fields, out);
      return;
    case "InstancePattern":
      out.push(`I${v.tag}`);
      fields(v.fields, out);
      return;
    case "Call":
      out.push(`c${v.name}(${v.args.length}`);
      for (const a of v.args) term(a, out);
      if (v.kwargs === null) out.push("-");
      else fields(v.kwargs, out);
      return;
    case "Expression": {
      out.push(`e${v.operator}(${v.args.length}`);
      // As the validation does: a one-operand chain (a rule body's wrapper) is not checked.
      const outer = v.args.length > 1 ? isChain(t) : null;
      for (const a of v.args) {
        const inner = isChain(a);
        if (outer !== null && inner !== null && inner !== outer && a.source.kind === "parser") {
          out.push(precededByParen(a.source.file.text, a.source.start) ? "(" : "!");
        }
        term(a, out);
      }
      return;
    }
  }
}

/** The fingerprint of a file's lines. Throws RangeError on terms nested beyond the stack. */
export function fingerprint(lines: readonly Line[]): string {
  const out: string[] = [];
  for (const line of lines) {
    switch (line.kind) {
      case "rule":
      case "ruleType":
        out.push(`${line.kind} ${line.rule.name}(${line.rule.params.length}`);
        for (const p of line.rule.params) {
          term(p.parameter, out);
          if (p.specializer === null) out.push("-");
          else term(p.specializer, out);
        }
        term(line.rule.body, out);
        break;
      case "query":
        out.push("query");
        term(line.term, out);
        break;
      case "resourceBlock":
        out.push(`block ${line.keyword === null ? "-" : JSON.stringify(line.keyword.value)}`);
        term(line.resource, out);
        for (const p of line.productions) {
          if (p.kind === "declaration") {
            out.push("decl");
            term(p.name, out);
            term(p.value, out);
          } else {
            out.push("short");
            term(p.head, out);
            term(p.implier, out);
            if (p.relation !== null) {
              term(p.relation.keyword, out);
              term(p.relation.name, out);
            }
          }
        }
        break;
    }
  }
  return out.join(" ");
}
