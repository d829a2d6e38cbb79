/**
 * Random edits of a text, for the property tests that edit one big policy again and again
 * (issue 13: the analyzer's incremental re-parse, the language server's features on top of it).
 * An edit names its place as a fraction of the text's length, so one drawn edit lands inside
 * whatever the text has become after the edits before it.
 */
import fc from "fast-check";

/** One edit: at `at` × (length + 1), remove `remove` characters and insert `text`. */
export interface RandomEdit {
  /** Where, as a fraction of the text's length + 1, in [0, 1). */
  readonly at: number;
  /** How many characters to remove there (fewer when the text ends first). */
  readonly remove: number;
  /** What to insert there. */
  readonly text: string;
}

/**
 * Edits anywhere in a text that remove up to `maxRemove` characters (default 12) and insert one of
 * `snippets` or nothing.
 */
export function randomEdit(snippets: readonly string[], maxRemove = 12): fc.Arbitrary<RandomEdit> {
  if (snippets.length === 0) throw new Error("randomEdit needs at least one snippet");
  return fc.record({
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    remove: fc.integer({ min: 0, max: maxRemove }),
    text: fc.constantFrom(...snippets, ""),
  });
}

/** `text` with `edit` applied. */
export function applyEdit(text: string, edit: RandomEdit): string {
  const { start, end } = editOffsets(text, edit);
  return text.slice(0, start) + edit.text + text.slice(end);
}

/**
 * The offsets `edit` replaces in `text` (`[start, end)`) and the text it inserts there: the shape
 * of the change the language server hands to the analyzer (`Policy.set`).
 */
export function editOffsets(
  text: string,
  edit: RandomEdit,
): { readonly start: number; readonly end: number; readonly text: string } {
  if (!(edit.at >= 0 && edit.at < 1)) throw new Error(`an edit's place is a fraction in [0, 1), not ${edit.at}`);
  const start = Math.floor(edit.at * (text.length + 1));
  return { start, end: Math.min(text.length, start + edit.remove), text: edit.text };
}
