/**
 * The tracked documents' `TextDocument` after a ranged change (line-table-document.ts) reads the
 * line starts the change kept instead of scanning the text: every position, offset, range text and
 * line count must be exactly a fresh `TextDocument`'s, across CRLF and lone CR line ends joined or
 * parted by changes, and the documents a `didChange` leaves must be such documents.
 */
import fc from "fast-check";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import { applyContentChanges, Documents } from "../src/documents.js";
import { LineTableDocument } from "../src/line-table-document.js";
import { lineStartsOf, spliceLineStarts, type LineStarts } from "../src/line-starts.js";

const piece = fc.constantFrom("f(1);", " ", "\n", "\r\n", "\r", "é", "😀", "x");
const text = fc.array(piece, { maxLength: 30 }).map((ps) => ps.join(""));
const coordinate = fc.integer({ min: -2, max: 14 });

function expectSameDocument(ours: TextDocument, fresh: TextDocument, probes: readonly [number, number][]): void {
  expect(ours.getText()).toBe(fresh.getText());
  expect(ours.lineCount).toBe(fresh.lineCount);
  const length = fresh.getText().length;
  const into = { line: -1, character: -1 };
  for (let offset = -1; offset <= length + 1; offset++) {
    expect(ours.positionAt(offset)).toEqual(fresh.positionAt(offset));
    // The outline's allocation-free form, into one object reused across offsets.
    if (ours instanceof LineTableDocument) {
      ours.positionInto(offset, into);
      expect(into).toEqual(fresh.positionAt(offset));
    }
  }
  for (const [line, character] of probes) {
    const position = { line, character };
    expect(ours.offsetAt(position)).toBe(fresh.offsetAt(position));
    const range = { start: { line: 0, character: 1 }, end: position };
    expect(ours.getText(range)).toBe(fresh.getText(range));
  }
}

describe("the line-table document", () => {
  it("places positions and offsets exactly as a fresh TextDocument after any sequence of splices", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.tuple(fc.nat(), fc.nat(), text), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(coordinate, coordinate), { maxLength: 12 }),
        (initial, edits, probes) => {
          let lines: LineStarts = lineStartsOf(initial);
          for (const [a, b, insert] of edits) {
            const start = a % (lines.text.length + 1);
            const end = Math.max(start, b % (lines.text.length + 1));
            lines = spliceLineStarts(lines, start, end, insert);
            const ours = new LineTableDocument("file:///a.polar", "polar", 1, lines);
            expectSameDocument(ours, TextDocument.create("file:///a.polar", "polar", 1, lines.text), probes);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is the document a tracked file gets from ranged and whole-text didChange notifications", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.tuple(coordinate, coordinate, coordinate, coordinate, text, fc.boolean()), {
          minLength: 1,
          maxLength: 6,
        }),
        (initial, changes) => {
          const uri = "file:///b.polar";
          const documents = new Documents();
          documents.upsert(uri, 1, initial);
          let version = 1;
          for (const [l1, c1, l2, c2, insert, whole] of changes) {
            const range = { start: { line: l1, character: c1 }, end: { line: l2, character: c2 } };
            const tracked = documents.get(uri);
            if (tracked === undefined) throw new Error("not tracked");
            // A whole-text change (full-document sync) sends the text the ranged change makes.
            const before = TextDocument.create(uri, "polar", version, tracked.document.getText());
            const change = whole
              ? { text: TextDocument.applyEdits(before, [{ range, newText: insert }]) }
              : { range, text: insert };
            const changed = applyContentChanges(tracked.document, [change]);
            if (changed === null) throw new Error("malformed change");
            documents.upsert(uri, ++version, changed.text, changed.edit);
            const ours = documents.get(uri)?.document;
            expect(ours).toBeInstanceOf(LineTableDocument);
            if (ours === undefined) return;
            expect(ours.version).toBe(version);
            expectSameDocument(ours, TextDocument.create(uri, "polar", version, changed.text), [
              [l1, c1],
              [l2, c2],
            ]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
