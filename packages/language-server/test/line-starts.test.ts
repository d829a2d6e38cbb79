/**
 * The line starts kept across ranged changes (line-starts.ts) must equal a fresh scan of the
 * changed text after every change, and `offsetAt` must clamp exactly as `TextDocument.offsetAt`
 * does — across CRLF and lone CR line ends joined or parted by a change.
 */
import fc from "fast-check";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import { lineStartsOf, offsetAt, replaceLineStarts, spliceLineStarts, type LineStarts } from "../src/line-starts.js";

const piece = fc.constantFrom("f(1);", " ", "\n", "\r\n", "\r", "é", "😀", "x");
const text = fc.array(piece, { maxLength: 30 }).map((ps) => ps.join(""));

describe("line starts across changes", () => {
  it("equal a fresh scan after any sequence of splices, and place positions as TextDocument does", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.tuple(fc.nat(), fc.nat(), text), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: -1, max: 12 }), fc.integer({ min: -1, max: 12 })), { maxLength: 12 }),
        (initial, edits, positions) => {
          let lines: LineStarts = lineStartsOf(initial);
          for (const [a, b, insert] of edits) {
            const start = a % (lines.text.length + 1);
            const end = Math.max(start, b % (lines.text.length + 1));
            lines = spliceLineStarts(lines, start, end, insert);
            const fresh = lineStartsOf(lines.text);
            expect(lines.starts).toEqual(fresh.starts);
            const doc = TextDocument.create("file:///a.polar", "polar", 1, lines.text);
            expect(lines.starts.length).toBe(doc.lineCount);
            for (const [line, character] of positions) {
              expect(offsetAt(lines, { line, character })).toBe(doc.offsetAt({ line, character }));
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("equal a fresh scan after whole-text replacements mixed with splices", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.tuple(fc.nat(), fc.nat(), text, fc.boolean()), { minLength: 1, maxLength: 8 }),
        (initial, edits) => {
          let lines: LineStarts = lineStartsOf(initial);
          for (const [a, b, insert, whole] of edits) {
            const start = a % (lines.text.length + 1);
            const end = Math.max(start, b % (lines.text.length + 1));
            if (whole) {
              // The whole new text, as full-document sync sends it (a string of its own).
              const next = lines.text.slice(0, start) + insert + lines.text.slice(end);
              lines = replaceLineStarts(lines, next);
              expect(lines.text).toBe(next);
            } else lines = spliceLineStarts(lines, start, end, insert);
            expect(lines.pieces.toString()).toBe(lines.text);
            expect(lines.starts).toEqual(lineStartsOf(lines.text).starts);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("joins a CR and an LF inserted after it into one line end", () => {
    const lines = spliceLineStarts(lineStartsOf("a\rb"), 2, 2, "\n");
    expect(lines.text).toBe("a\r\nb");
    expect([...lines.starts]).toEqual([0, 3]);
  });
});
