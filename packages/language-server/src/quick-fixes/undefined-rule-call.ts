/**
 * Did you mean, for a call to a rule no rule defines (`ValidationError::UndefinedRuleCall`, reported
 * on the call term): the names of the rules the load holds — written ones and the ones generated
 * from shorthand rules (`has_role`, `has_permission`, …) — that take as many arguments as the
 * call passes, nearest in spelling first. The edit replaces the call's name only.
 */
import type { Diagnostic, Term } from "@polar-ide/analyzer";
import { spanOf, walk, type ParsedDocument } from "../features.js";
import { preferFirst, type Fix, type FixContext } from "./context.js";
import { hasObviousBest, suggestions } from "./did-you-mean.js";

/** The call term of `doc` that spans exactly `[start, end)`, inside a rule body. */
function callAt(doc: ParsedDocument, start: number, end: number): Extract<Term["value"], { type: "Call" }> | null {
  for (const line of doc.lines) {
    if (line.kind !== "rule") continue;
    const body = spanOf(line.rule.body);
    if (body === null || body.end < start || body.start > end) continue;
    let found: Extract<Term["value"], { type: "Call" }> | null = null;
    walk(line.rule.body, (t) => {
      const span = spanOf(t);
      if (found === null && t.value.type === "Call" && span !== null && span.start === start && span.end === end) {
        found = t.value;
      }
    });
    if (found !== null) return found;
  }
  return null;
}

export function undefinedRuleCallFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  const c = diagnostic.context;
  if (c === null || c.file.name !== context.doc.uri) return [];
  const call = callAt(context.doc, c.start, c.end);
  const text = context.doc.document.getText();
  if (call === null || text.slice(c.start, c.start + call.name.length) !== call.name) return [];
  const arity = call.args.length;
  const names: string[] = [];
  for (const [name, rules] of context.load.rules) {
    if (rules.some((r) => r.params.length === arity)) names.push(name);
  }
  const found = suggestions(call.name, names);
  const fixes = found.map((s) => ({
    title: `Change ${call.name} to ${s.name}`,
    edits: [{ uri: context.doc.uri, start: c.start, end: c.start + call.name.length, newText: s.name }],
    preferred: false,
  }));
  return preferFirst(fixes, hasObviousBest(found));
}
