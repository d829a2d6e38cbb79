/**
 * `on` for a shorthand rule's relation clause written with another word (`"admin" if "owner" of
 * "parent";`: `ValidationError::ResourceBlock` #8, "Unexpected relation keyword 'of'. Did you
 * mean 'on'?", reported on the keyword). The message names the one fix, so it is preferred.
 */
import type { Diagnostic } from "@polar-ide/analyzer";
import { spanOf, symbolOf } from "../features.js";
import type { Fix, FixContext } from "./context.js";

export function relationKeywordFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  const c = diagnostic.context;
  if (diagnostic.code !== "ValidationError::ResourceBlock" || c === null || c.file.name !== context.doc.uri) return [];
  for (const line of context.doc.lines) {
    if (line.kind !== "resourceBlock") continue;
    for (const p of line.productions) {
      if (p.kind !== "shorthand" || p.relation === null) continue;
      const span = spanOf(p.relation.keyword);
      const keyword = symbolOf(p.relation.keyword);
      if (span === null || keyword === null || keyword === "on" || span.start !== c.start || span.end !== c.end)
        continue;
      return [
        {
          title: `Change ${keyword} to on`,
          edits: [{ uri: context.doc.uri, start: c.start, end: c.end, newText: "on" }],
          preferred: true,
        },
      ];
    }
  }
  return [];
}
