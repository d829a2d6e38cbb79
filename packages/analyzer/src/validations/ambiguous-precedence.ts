/**
 * AmbiguousPrecedence warnings (polar-core validations.rs `check_ambiguous_precedence`), run on
 * each rule as parsed: an `and` directly containing an `or` (or vice versa) whose source is not
 * immediately preceded by `(`.
 *
 * The engine's test is textual: it trims the *whole file text* before the inner term and checks
 * whether it ends with `(`. So `(a and b or c)` does not warn (the inner `and` starts right after
 * the parenthesis) while `( # comment\n a and b) or c` does. We reproduce that quirk.
 */
import type { Rule, Term } from "../ast.js";
import { contextOf, warning, type Diagnostic } from "../diagnostics.js";
import { pushChildrenReversed, pushRuleTerms } from "../walk.js";

export const AMBIGUOUS_PRECEDENCE_MESSAGE =
  "Expression without parentheses could be ambiguous.\n" +
  "Prior to 0.20, `x and y or z` would parse as `x and (y or z)`.\n" +
  "As of 0.20, it parses as `(x and y) or z`, matching other languages.";

/** Rust `char::is_whitespace` (Unicode White_Space), which differs from JS `trim` (U+0085, U+FEFF). */
function isRustWhitespace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Whether `text[..end]`, trimmed, ends with `(`. */
export function precededByParen(text: string, end: number): boolean {
  let i = Math.min(end, text.length) - 1;
  while (i >= 0 && isRustWhitespace(text.charCodeAt(i))) i--;
  return i >= 0 && text.charCodeAt(i) === 0x28;
}

/** The walk's stack, reused by every call (it runs on every rule of a load; empty between calls). */
const stack: Term[] = [];

const NONE: readonly Diagnostic[] = Object.freeze([]);

/** AmbiguousPrecedence warnings of one rule, in the engine's (pre-order) visiting order. */
export function checkAmbiguousPrecedence(rule: Rule): readonly Diagnostic[] {
  let out: Diagnostic[] | null = null;
  // Explicit stack, children pushed in reverse so that they pop in order (pre-order).
  // Empty unless a walk threw; emptied only then (setting the length drops the backing store).
  if (stack.length !== 0) stack.length = 0;
  pushRuleTerms(stack, rule);

  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    out = ambiguousPrecedenceAt(t, out);
    pushChildrenReversed(stack, t.value);
  }
  return out ?? NONE;
}

/**
 * The AmbiguousPrecedence warnings of one term's own operation (not of its sub-terms), appended
 * to `out` (made when the first one is found): {@link checkAmbiguousPrecedence} calls it on every
 * term in pre-order, and so does the loader's one walk per rule (validations/rule-walk.ts).
 */
export function ambiguousPrecedenceAt(t: Term, out: Diagnostic[] | null): Diagnostic[] | null {
  const v = t.value;
  if (v.type !== "Expression" || (v.operator !== "And" && v.operator !== "Or") || v.args.length <= 1) return out;
  for (const arg of v.args) {
    const a = arg.value;
    if (a.type !== "Expression" || (a.operator !== "And" && a.operator !== "Or")) continue;
    if (a.operator === v.operator) continue;
    const s = arg.source;
    if (s.kind !== "parser") continue;
    if (!precededByParen(s.file.text, s.start)) {
      out ??= [];
      out.push(warning("ValidationWarning::AmbiguousPrecedence", AMBIGUOUS_PRECEDENCE_MESSAGE, contextOf(arg)));
    }
  }
  return out;
}
