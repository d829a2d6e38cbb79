/**
 * Incremental re-parse of one file after an edit: only the top-level items the edit touched are
 * parsed again, the others are reused.
 *
 * Why it is exact: a top-level item ends at a `;` at depth 0 or at the `}` closing a resource
 * block, and there the lexer is in its normal state (not inside a string or a comment: `;` and `}`
 * are tokens) and the parser is back in its top-level loop, which keeps no state between items.
 * So with `p` the length of the common prefix of the old and new texts and `s` that of their
 * common suffix:
 * - an old item ending at or before `p` lexes and parses the same in the new text;
 * - parsing resumes at the end of the last such item, and stops after an item whose end `X` lies
 *   in the common suffix (`X ≥ newLength − s`) where the old parse also ended an item (at
 *   `X − delta`): from there the text is the same as the old one from a top-level boundary, so
 *   the old items from there on parse the same, shifted by `delta`.
 * A parse error in the re-parsed part is the file's first error (everything before it parsed), so
 * it is returned as is. When the old parse failed there is nothing to reuse: a full parse.
 *
 * Reused lines are not copied: their terms keep the file and offsets of the parse that made them
 * (see spans.ts), and the new snapshot's {@link FileSpans} says where each reused item now lies.
 * An edit therefore costs the re-parsed items plus a pass over the item ends, whatever the size
 * of the file; {@link materialize} turns a snapshot into what a fresh {@link parseFile} of its text
 * gives (for tests and tools that want absolute offsets).
 */
import {
  ParsedExpression,
  ParsedShorthand,
  ParsedTerm,
  type Fields,
  type Line,
  type Parameter,
  type Production,
  type Rule,
  type SourceFile,
  type SourceInfo,
  type Term,
  type Value,
} from "./ast.js";
import { ITEM_ENDS, parseFile, parseItems, type ParseResult } from "./parser.js";
import { commonEnds } from "./common-ends.js";
import { ok } from "./result.js";
import type { PieceText } from "./piece-text.js";
import { FILE_SPANS, FileSpans, spansOf } from "./spans.js";
import { lowerBound, upperBound } from "./sorted.js";

/**
 * What is known of an edit without reading the new text as a whole: a common prefix `p` and a
 * common suffix `s` of the old and new texts (any, not necessarily the longest), and the new text
 * as pieces, from which the re-parse reads only the window it parses.
 */
export interface KnownEdit {
  readonly p: number;
  readonly s: number;
  readonly text: PieceText;
}

/**
 * Parses `file`, reusing the items of `old` (a parse of `oldFile`) that the edit did not touch.
 * With `edit`, only the window of the new text from the first re-parsed item to the end of the
 * first old item in the common suffix is read (a window generation, see spans.ts): V8 never copies
 * the new text into one string for it. When the parse of that window does not come back to an old
 * item boundary (the edit merged items or broke one), the new text is parsed as a whole, as
 * without `edit`.
 */
export function reparseFile(oldFile: SourceFile, old: ParseResult, file: SourceFile, edit?: KnownEdit): ParseResult {
  const oldEnds = old.ok ? ITEM_ENDS.get(old.value) : undefined;
  if (!old.ok || oldEnds === undefined) return parseFile(file);
  const la = oldFile.text.length;
  const lb = file.text.length;
  const [p, s] = edit === undefined ? commonEnds(oldFile.text, file.text) : [edit.p, edit.s];
  const delta = lb - la;

  // Old items kept as they are: those ending at or before p.
  const kept = upperBound(oldEnds, p);
  const start = kept === 0 ? 0 : (oldEnds[kept - 1] ?? 0);
  const suffixStart = lb - s;
  let resume = -1;
  const stop = (end: number): boolean => {
    if (end < suffixStart) return false;
    const j = lowerBound(oldEnds, end - delta);
    if (j >= oldEnds.length || oldEnds[j] !== end - delta) return false;
    resume = j + 1;
    return true;
  };
  if (edit !== undefined) {
    // The window ends where the first old item in the common suffix now ends (or at the text's end).
    const j = lowerBound(oldEnds, la - s);
    const windowEnd = j < oldEnds.length ? (oldEnds[j] ?? 0) + delta : lb;
    const window: SourceFile = { name: file.name, text: edit.text.slice(start, windowEnd) };
    const windowEnds: number[] = [];
    const parsed = parseItems(window, 0, windowEnds, (end) => stop(end + start));
    if (parsed.ok && (resume >= 0 || windowEnd === lb)) {
      const ends = oldEnds.slice(0, kept);
      for (const end of windowEnds) ends.push(end + start);
      return assemble(oldFile, old.value, oldEnds, kept, file, ends, parsed.value, window, windowEnds, resume, delta);
    }
    resume = -1;
  }
  const ends = oldEnds.slice(0, kept);
  const middle = parseItems(file, start, ends, stop);
  if (!middle.ok) return middle;
  return assemble(oldFile, old.value, oldEnds, kept, file, ends, middle.value, file, ends.slice(kept), resume, delta);
}

/**
 * The new snapshot: the old lines before the edit (`kept` of them), the re-parsed ones (parsed from
 * `generation`, a window of the new text or the new file itself, where they end at `genEndsOfNew`),
 * and the old lines from `resume` on (-1: none), shifted by `delta`. `ends` holds the item ends in
 * the new text up to the re-parsed ones; the shifted old ones are added here.
 */
function assemble(
  oldFile: SourceFile,
  oldLines: readonly Line[],
  oldEnds: readonly number[],
  kept: number,
  file: SourceFile,
  ends: number[],
  reparsed: readonly Line[],
  generation: SourceFile,
  genEndsOfNew: readonly number[],
  resume: number,
  delta: number,
): ParseResult {
  // Where each line came from: the old snapshot's origins for reused lines, `generation` for the rest.
  // Arrays of their final size (a 50k-line file has ~10k items: grown by pushes, these tables were
  // over half of what an edit allocated), the generation ends in a typed array.
  const oldOrigins = spansOf(oldFile, oldLines).origins;
  const tail = resume >= 0 ? oldLines.length - resume : 0;
  const n = kept + reparsed.length + tail;
  const lines = new Array<Line>(n);
  const files = new Array<SourceFile>(n);
  const genEnds = new Uint32Array(n);
  const copyOld = (from: number, to: number, at: number): void => {
    for (let i = from; i < to; i++, at++) {
      lines[at] = oldLines[i] as Line;
      files[at] = oldOrigins === null ? oldFile : (oldOrigins.files[i] as SourceFile);
      genEnds[at] = oldOrigins === null ? (oldEnds[i] ?? 0) : (oldOrigins.ends[i] ?? 0);
    }
  };
  copyOld(0, kept, 0);
  for (let k = 0; k < reparsed.length; k++) {
    lines[kept + k] = reparsed[k] as Line;
    files[kept + k] = generation;
    genEnds[kept + k] = genEndsOfNew[k] ?? 0;
  }
  if (resume >= 0) {
    copyOld(resume, oldLines.length, kept + reparsed.length);
    const at = ends.length;
    ends.length = at + tail;
    for (let i = 0; i < tail; i++) ends[at + i] = (oldEnds[resume + i] ?? 0) + delta;
  }
  ITEM_ENDS.set(lines, ends);
  FILE_SPANS.set(lines, new FileSpans(file, { files, ends: genEnds }, ends));
  return ok(lines);
}

/**
 * A snapshot's lines with every offset in its own text (`file`): a deep copy of the reused items.
 * The result equals a fresh {@link parseFile} of `file`. Costs a copy of the whole file: for tests
 * and tools, not for the editor's per-keystroke path.
 */
export function materialize(file: SourceFile, lines: readonly Line[]): Line[] {
  const spans = spansOf(file, lines);
  const out = new Relocation(file, spans).lines(lines);
  ITEM_ENDS.set(out, ITEM_ENDS.get(lines) ?? []);
  return out;
}

/** Copies parsed lines into their snapshot's file, each offset placed by the snapshot's table. */
class Relocation {
  constructor(
    private readonly file: SourceFile,
    private readonly spans: FileSpans,
  ) {}

  lines(lines: readonly Line[]): Line[] {
    return lines.map((line) => this.line(line));
  }

  line(line: Line): Line {
    switch (line.kind) {
      case "rule":
      case "ruleType":
        return { kind: line.kind, rule: this.rule(line.rule) };
      case "query":
        return { kind: "query", term: this.term(line.term) };
      case "resourceBlock":
        return {
          kind: "resourceBlock",
          keyword: line.keyword === null ? null : this.term(line.keyword),
          resource: this.term(line.resource),
          nameStart: this.spans.offset(line.resource.source, line.nameStart),
          nameEnd: this.spans.offset(line.resource.source, line.nameEnd),
          productions: line.productions.map((p) => this.production(p)),
        };
    }
  }

  private production(p: Production): Production {
    if (p.kind === "declaration") return { kind: "declaration", name: this.term(p.name), value: this.term(p.value) };
    // As a fresh parse makes it: values and spans, terms built when read.
    if (p instanceof ParsedShorthand) return p.moved(this.file, this.spans.shift(p.file, p.headStart));
    return {
      kind: "shorthand",
      head: this.term(p.head),
      implier: this.term(p.implier),
      relation:
        p.relation === null ? null : { keyword: this.term(p.relation.keyword), name: this.term(p.relation.name) },
    };
  }

  private rule(rule: Rule): Rule {
    const copy: Rule = {
      name: rule.name,
      params: rule.params.map((p) => this.parameter(p)),
      body: this.term(rule.body),
      source: this.source(rule.source),
    };
    return rule.generated === undefined ? copy : { ...copy, generated: rule.generated };
  }

  private parameter(p: Parameter): Parameter {
    return { parameter: this.term(p.parameter), specializer: p.specializer === null ? null : this.term(p.specializer) };
  }

  private source(source: SourceInfo): SourceInfo {
    if (source.kind !== "parser") return source;
    const d = this.spans.shift(source.file, source.start);
    return { kind: "parser", file: this.file, start: source.start + d, end: source.end + d };
  }

  private term(term: Term): Term {
    if (term instanceof ParsedExpression) {
      const d = this.spans.shift(term.file, term.start);
      const args = term.args.map((t) => this.term(t));
      return new ParsedExpression(term.operator, args, this.file, term.start + d, term.end + d);
    }
    const value = this.value(term.value);
    const source = this.source(term.source);
    // A parsed term is its own source info, as a fresh parse makes it.
    return term instanceof ParsedTerm && source.kind === "parser"
      ? new ParsedTerm(value, source.file, source.start, source.end)
      : { value, source };
  }

  private fields(fields: Fields): Fields {
    const out = new Map<string, Term>();
    for (const [k, v] of fields) out.set(k, this.term(v));
    return out;
  }

  private value(v: Value): Value {
    switch (v.type) {
      case "Number":
      case "String":
      case "Boolean":
      case "Variable":
      case "RestVariable":
        return v;
      case "Dictionary":
      case "DictionaryPattern":
        return { type: v.type, fields: this.fields(v.fields) };
      case "InstancePattern":
        return { type: "InstancePattern", tag: v.tag, fields: this.fields(v.fields) };
      case "Call":
        return {
          type: "Call",
          name: v.name,
          args: v.args.map((t) => this.term(t)),
          kwargs: v.kwargs === null ? null : this.fields(v.kwargs),
        };
      case "List":
        return { type: "List", elements: v.elements.map((t) => this.term(t)) };
      case "Expression":
        return { type: "Expression", operator: v.operator, args: v.args.map((t) => this.term(t)) };
    }
  }
}
