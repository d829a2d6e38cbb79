/**
 * Incremental sync: the server asks clients for ranged changes, so the tracked text after any
 * sequence of them must be exactly the text the editor holds — across CRLF and lone-CR line ends,
 * surrogate pairs, several changes in one notification, and ranges at the end of the text.
 */
import { LineIndex } from "@polar-ide/analyzer";
import fc from "fast-check";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import { applyChanges, applyContentChanges } from "../src/documents.js";

/** Text made of Polar-ish pieces and every kind of line end, with astral characters. */
const piece = fc.constantFrom("f(1);", "allow(a, b) if", " ", "\n", "\r\n", "\r", "é", "😀", '"s"', "#c", "x");
const text = fc.array(piece, { maxLength: 40 }).map((ps) => ps.join(""));

/** Moves an offset off the middle of a CRLF (an LSP position cannot point between \r and \n). */
function snap(s: string, offset: number): number {
  return offset > 0 && s.charCodeAt(offset - 1) === 13 && s.charCodeAt(offset) === 10 ? offset - 1 : offset;
}

describe("incremental sync", () => {
  it("any sequence of ranged changes gives the editor's text", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.tuple(fc.nat(), fc.nat(), text), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (initial, edits, oneNotification) => {
          let expected = initial;
          let doc: TextDocument | null = TextDocument.create("file:///p/a.polar", "polar", 1, initial);
          const pending: unknown[] = [];
          for (const [a, b, insert] of edits) {
            const start = snap(expected, a % (expected.length + 1));
            const end = snap(expected, Math.max(start, b % (expected.length + 1)));
            const index = new LineIndex(expected);
            const change = { range: index.range(start, end), text: insert };
            const before = expected;
            expected = expected.slice(0, start) + insert + expected.slice(end);
            if (oneNotification) pending.push(change);
            else {
              const next = applyChanges(doc, [change]);
              expect(next).toBe(expected);
              // The offsets handed to the analyzer (Policy.set) make the same text of the one before.
              const edit = applyContentChanges(doc, [change])?.edit;
              expect(edit === null || edit === undefined).toBe(false);
              if (edit !== null && edit !== undefined) {
                expect(before.slice(0, edit.start) + edit.text + before.slice(edit.end)).toBe(expected);
              }
              doc = TextDocument.create("file:///p/a.polar", "polar", 1, next ?? "");
            }
          }
          if (oneNotification) expect(applyChanges(doc, pending)).toBe(expected);
        },
      ),
      {
        numRuns: 1000,
        // Found by this test: "\n" inserted after a lone "\r", then a change at the end, in one
        // notification (TextDocument.update's line table saw two line ends).
        examples: [
          [
            "\r",
            [
              [9, 0, "\n"],
              [1677721580, 0, "f(1);"],
            ],
            true,
          ],
        ],
      },
    );
  });
});
