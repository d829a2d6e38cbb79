/**
 * Did you mean, for a call to a rule no rule defines (`ValidationError::UndefinedRuleCall`, reported
 * on the call term): the names of the rules the load holds — written ones and the ones generated
 * from shorthand rules (`has_role`, `has_permission`, …) — that take as many arguments as the
 * call passes, nearest in spelling first. The edit replaces the call's name only.
 *
 * Proven (not re-checked on a fork): the edit changes no rule head, rule type, block or variable,
 * only the name of one call, to a name some rule defines. Of the diagnostics, only UndefinedRuleCall
 * (one fewer) and MissingHasPermissionRule (gone if the new name is `has_permission`) read call names.
 */
import type { Diagnostic, LoadResult, Term } from "@polar-ide/analyzer";
import { spanOf, walk, type ParsedDocument } from "../features.js";
import { preferFirst, type Fix, type FixContext } from "./context.js";
import { hasObviousBest, suggestions, type Suggestion } from "./did-you-mean.js";

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

/**
 * The suggestions for a call of `name` with `arity` arguments, memoised per load: a request over a
 * whole file may meet the same misspelt call many times, and a workspace has thousands of rules.
 */
const memo = new WeakMap<LoadResult, Map<string, Suggestion[]>>();

function suggestionsFor(load: LoadResult, name: string, arity: number): Suggestion[] {
  let byCall = memo.get(load);
  if (byCall === undefined) memo.set(load, (byCall = new Map()));
  const key = `${arity}/${name}`;
  let found = byCall.get(key);
  if (found === undefined) {
    const names: string[] = [];
    for (const [rule, rules] of load.rules) if (rules.some((r) => r.params.length === arity)) names.push(rule);
    found = suggestions(name, names);
    byCall.set(key, found);
  }
  return found;
}

export function undefinedRuleCallFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  const c = diagnostic.context;
  if (c === null || c.file.name !== context.doc.uri) return [];
  const call = callAt(context.doc, c.start, c.end);
  const text = context.doc.document.getText();
  if (call === null || text.slice(c.start, c.start + call.name.length) !== call.name) return [];
  const found = suggestionsFor(context.load, call.name, call.args.length);
  const fixes = found.map((s) => ({
    title: `Change ${call.name} to ${s.name}`,
    edits: [{ uri: context.doc.uri, start: c.start, end: c.start + call.name.length, newText: s.name }],
    preferred: false,
    proven: true,
  }));
  return preferFirst(fixes, hasObviousBest(found));
}
