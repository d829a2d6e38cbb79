/**
 * Hover on a shorthand rule (`"read" if "viewer" on "parent";`): the longhand rule Oso generates
 * from it, as Oso Cloud's Polar language server shows it. The rule is the one the load generated
 * (`LoadResult.rules`, marked `generated`), found by the span of the shorthand rule's head. In a
 * file with a syntax error the server hands it the load of the tolerant parse; a policy whose load
 * stops before the blocks even then has none to show.
 */
import { ruleToPolar, type LoadResult, type Rule } from "@polar-ide/analyzer";
import { MarkupKind, type Hover } from "vscode-languageserver";
import { contains, displayPolar, rangeOf, spanOf, type ParsedDocument, type Span } from "./features.js";

/** The generated rule's Polar text, laid out as a person writes it (`Actor{}` printed as `Actor`). */
export function longhand(rule: Rule): string {
  const text = displayPolar(ruleToPolar(rule));
  const at = text.indexOf(" if ");
  if (at < 0) return text;
  const body = text
    .slice(at + 4)
    .replace(/;$/, "")
    .split(" and ")
    .join(" and\n  ");
  return `${text.slice(0, at)} if\n  ${body};`;
}

/** The generated rules of a load by their head's file and offset. */
export function generatedAt(load: LoadResult, uri: string, start: number): Rule | null {
  for (const rules of load.rules.values()) {
    for (const r of rules) {
      if (
        r.generated === true &&
        r.source.kind === "parser" &&
        r.source.file.name === uri &&
        spanOf(r)?.start === start
      ) {
        return r;
      }
    }
  }
  return null;
}

export function shorthandHover(doc: ParsedDocument, load: () => LoadResult | null, offset: number): Hover | null {
  for (const line of doc.lines) {
    if (line.kind !== "resourceBlock" || !contains(spanOf(line.resource), offset)) continue;
    for (const p of line.productions) {
      if (p.kind !== "shorthand") continue;
      const head = spanOf(p.head);
      const last = spanOf(p.relation?.name ?? p.implier);
      if (head === null || last === null) continue;
      const span: Span = { start: head.start, end: last.end };
      if (!contains(span, offset)) continue;
      const loaded = load();
      const rule = loaded === null ? null : generatedAt(loaded, doc.uri, head.start);
      const value =
        rule === null
          ? "Shorthand rule: its longhand form is shown once the policy's resource blocks load without errors."
          : ["Oso generates this rule from the shorthand rule:", "", "```polar", longhand(rule), "```"].join("\n");
      return { contents: { kind: MarkupKind.Markdown, value }, range: rangeOf(doc.document, span) };
    }
    return null;
  }
  return null;
}
