/**
 * Selection ranges (`textDocument/selectionRange`): from the cursor outwards, the word, every term
 * of the syntax tree holding it (a variable, `x.f`, `x.f = y`, …), the rule body, the rule (head to
 * `;`), or in a resource block the string, the declaration's value, the declaration or shorthand
 * rule, and the block. From the error-tolerant parse, so a syntax error elsewhere hides nothing.
 */
import type { Line, Term } from "@polar-ide/analyzer";
import type { Position, SelectionRange } from "vscode-languageserver";
import { rangeOf, ruleSpan, spanOf, walk, type ParsedDocument, type Span } from "./features.js";

const WORD = /[A-Za-z0-9_]/;

/** The identifier characters around `offset` (empty when there are none). */
function wordAt(text: string, offset: number): Span {
  let start = offset;
  let end = offset;
  while (start > 0 && WORD.test(text[start - 1] ?? "")) start--;
  while (end < text.length && WORD.test(text[end] ?? "")) end++;
  return { start, end };
}

/** The end of an item: just after the `;` that follows `end` (blanks and line breaks between), else `end`. */
function withSemicolon(text: string, end: number): number {
  let i = end;
  while (i < text.length && /\s/.test(text[i] ?? "")) i++;
  return text[i] === ";" ? i + 1 : end;
}

function termSpans(term: Term, out: Span[]): void {
  walk(term, (t) => {
    const span = spanOf(t);
    if (span !== null) out.push(span);
  });
}

/** Every span of `line` that may hold a cursor: terms, body, productions, the item. */
function spansOf(line: Line, text: string): Span[] {
  const out: Span[] = [];
  switch (line.kind) {
    case "rule":
    case "ruleType": {
      const rule = line.rule;
      for (const p of rule.params) {
        termSpans(p.parameter, out);
        if (p.specializer !== null) termSpans(p.specializer, out);
        const a = spanOf(p.parameter);
        const b = p.specializer === null ? null : spanOf(p.specializer);
        if (a !== null && b !== null) out.push({ start: a.start, end: b.end });
      }
      const head = spanOf(rule);
      if (head !== null) out.push(head);
      termSpans(rule.body, out);
      const whole = ruleSpan(rule);
      if (whole !== null) {
        // `type` precedes a rule type's head.
        const start = line.kind === "ruleType" ? text.lastIndexOf("type", whole.start) : whole.start;
        out.push({ start: start >= 0 ? start : whole.start, end: withSemicolon(text, whole.end) });
      }
      break;
    }
    case "query": {
      termSpans(line.term, out);
      const span = spanOf(line.term);
      if (span !== null) {
        const start = text.lastIndexOf("?=", span.start);
        out.push({ start: start >= 0 ? start : span.start, end: withSemicolon(text, span.end) });
      }
      break;
    }
    case "resourceBlock": {
      const block = spanOf(line.resource);
      if (block !== null) out.push(block);
      for (const p of line.productions) {
        if (p.kind === "declaration") {
          termSpans(p.name, out);
          termSpans(p.value, out);
          const a = spanOf(p.name);
          const b = spanOf(p.value);
          if (a !== null && b !== null) out.push({ start: a.start, end: withSemicolon(text, b.end) });
        } else {
          const parts = [p.head, p.implier, ...(p.relation === null ? [] : [p.relation.keyword, p.relation.name])];
          for (const t of parts) termSpans(t, out);
          const a = spanOf(p.head);
          const b = spanOf(parts[parts.length - 1] ?? p.implier);
          if (a !== null && b !== null) out.push({ start: a.start, end: withSemicolon(text, b.end) });
          if (p.relation !== null) {
            const on = spanOf(p.relation.keyword);
            if (on !== null && b !== null) out.push({ start: on.start, end: b.end });
          }
        }
      }
      break;
    }
  }
  return out;
}

/** A cheap outer bound of a line's spans, to skip the lines far from the cursor. */
function itemSpan(line: Line, text: string): Span | null {
  switch (line.kind) {
    case "rule":
    case "ruleType": {
      const whole = ruleSpan(line.rule);
      if (whole === null) return null;
      const start = line.kind === "ruleType" ? text.lastIndexOf("type", whole.start) : whole.start;
      return { start: start >= 0 ? start : whole.start, end: withSemicolon(text, whole.end) };
    }
    case "query": {
      const span = spanOf(line.term);
      if (span === null) return null;
      const start = text.lastIndexOf("?=", span.start);
      return { start: start >= 0 ? start : span.start, end: withSemicolon(text, span.end) };
    }
    case "resourceBlock":
      return spanOf(line.resource);
  }
}

/**
 * The nested spans around `offset`, innermost first: each contains the one before it, and differs
 * from it. The innermost is the word at the cursor (empty off any word).
 */
export function selectionSpans(doc: ParsedDocument, offset: number): Span[] {
  const text = doc.document.getText();
  const candidates: Span[] = [wordAt(text, offset)];
  for (const line of doc.lines) {
    const item = itemSpan(line, text);
    if (item === null || offset < item.start || offset > item.end) continue;
    candidates.push(...spansOf(line, text).filter((s) => s.start <= offset && offset <= s.end));
  }
  // Outermost first; keep a span only inside the one kept before it.
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Span[] = [];
  for (const s of candidates) {
    const outer = kept[kept.length - 1];
    if (
      outer === undefined ||
      (outer.start <= s.start && s.end <= outer.end && (s.start !== outer.start || s.end !== outer.end))
    ) {
      kept.push(s);
    }
  }
  return kept.reverse();
}

/** `textDocument/selectionRange`: one chain per position. */
export function selectionRanges(doc: ParsedDocument, positions: readonly Position[]): SelectionRange[] {
  return positions.map((position) => {
    const spans = selectionSpans(doc, doc.document.offsetAt(position));
    let range: SelectionRange | undefined;
    for (let i = spans.length - 1; i >= 0; i--) {
      const span = spans[i] as Span;
      range = { range: rangeOf(doc.document, span), ...(range === undefined ? {} : { parent: range }) };
    }
    return range ?? { range: { start: position, end: position } };
  });
}
