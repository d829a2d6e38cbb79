/**
 * Parentheses for `ValidationWarning::AmbiguousPrecedence`, reported on the inner `and`/`or` term
 * (`x and y` in `x and y or z`). Polar (since 0.20) already reads the inner term as a group, so
 * parenthesising it keeps the rule's meaning and states it: `(x and y) or z`.
 *
 * Proven (not re-checked on a fork): the parse is the same term with the same spans inside, and
 * the warning's own check is the only one that reads the text before an operand.
 */
import type { Diagnostic } from "@polar-ide/analyzer";
import type { Fix, FixContext } from "./context.js";

/** At most this many characters of the term appear in the title. */
const TITLE_TERM = 40;

export function ambiguousPrecedenceFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  const c = diagnostic.context;
  if (c === null || c.file.name !== context.doc.uri || c.end <= c.start) return [];
  const term = context.doc.document.getText().slice(c.start, c.end).replace(/\s+/g, " ");
  const shown = term.length > TITLE_TERM ? `${term.slice(0, TITLE_TERM - 1)}…` : term;
  return [
    {
      title: `Add parentheses: (${shown})`,
      edits: [
        { uri: context.doc.uri, start: c.start, end: c.start, newText: "(" },
        { uri: context.doc.uri, start: c.end, end: c.end, newText: ")" },
      ],
      preferred: true,
      proven: true,
    },
  ];
}
