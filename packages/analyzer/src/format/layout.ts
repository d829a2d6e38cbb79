/**
 * The formatter's layout: top-level items, resource blocks and their productions, rule bodies,
 * and where every comment goes. docs/formatting.md describes the result.
 *
 * A unit (a top-level item or a production) is laid out from its syntax tree. Comments around
 * units keep their place (own line, or end of the unit's last line); blank lines between units
 * are kept, at most one. Inside a unit, comments are placed at the points the layout knows about:
 * between the operands of a rule body's `and`/`or` chain (the body is then broken, one operand
 * per line), and between the entries of a declaration's list or dictionary. A unit holding a
 * comment anywhere else is copied as written (re-indented on its first line only): the formatter
 * never drops or moves a comment into a different expression.
 */
import type { Line, Production, Rule, Term } from "../ast.js";
import { T, type Token } from "../lexer.js";
import type { Comment, Scan } from "./tokens.js";
import { TermPrinter } from "./terms.js";

/** Columns a line may take before a rule body or a declaration list is broken. */
export const FORMAT_WIDTH = 100;

const INDENT = "  ";

/** One top-level element (an item with its end-of-line comment, or an own-line comment) in both texts. */
export interface FormattedElement {
  /** Offsets of the element in the original text. */
  readonly sourceStart: number;
  readonly sourceEnd: number;
  /** Offsets of its formatted text in the output. */
  readonly outputStart: number;
  readonly outputEnd: number;
}

/** A laid-out file: the text (with `\n` line breaks) and where each top-level element went. */
export interface Layout {
  readonly lines: readonly string[];
  /** Per top-level element: source span, first and last output line. */
  readonly elements: readonly { sourceStart: number; sourceEnd: number; first: number; last: number }[];
}

interface Unit {
  /** First token start .. last token end. */
  readonly start: number;
  readonly end: number;
  /** The unit's lines at `indent`, or null when a comment sits where the layout has no place for it. */
  readonly render: (indent: string) => string[] | null;
}

interface Span {
  start: number;
  end: number;
}

export class Layouter {
  private readonly p: TermPrinter;

  constructor(private readonly scan: Scan) {
    this.p = new TermPrinter(scan);
  }

  private tok(i: number): Token {
    const t = this.scan.token(i);
    if (t === undefined) throw new Error("formatter: token index out of range");
    return t;
  }

  private span(t: Term): Span {
    const s = t.source;
    if (s.kind !== "parser") throw new Error("formatter: a term without source");
    return { start: s.start, end: s.end };
  }

  // ---- units ------------------------------------------------------------------------------

  /**
   * Token index ranges of consecutive units from token `from`: each ends at a `;` outside brackets,
   * or (a resource block) at the `}` closing its first `{`.
   */
  private unitEnd(from: number, block: boolean): number {
    let depth = 0;
    for (let i = from; ; i++) {
      const k = this.tok(i).kind;
      if (k === T.LP || k === T.LB || k === T.LCB) depth++;
      else if (k === T.RP || k === T.RB || k === T.RCB) {
        depth--;
        if (block && depth === 0 && k === T.RCB) return i;
      } else if (!block && depth === 0 && k === T.SemiColon) return i;
    }
  }

  /** Lays out a whole parsed file. */
  file(lines: readonly Line[]): Layout {
    const units: Unit[] = [];
    let i = 0;
    for (const line of lines) {
      const last = this.unitEnd(i, line.kind === "resourceBlock");
      const span = { start: this.tok(i).start, end: this.tok(last).end };
      units.push(this.lineUnit(line, span, i, last));
      i = last + 1;
    }
    const out: string[] = [];
    const elements: { sourceStart: number; sourceEnd: number; first: number; last: number }[] = [];
    this.sequence(units, this.scan.comments, 0, "", out, elements);
    return { lines: out, elements };
  }

  private lineUnit(line: Line, span: Span, first: number, last: number): Unit {
    switch (line.kind) {
      case "rule":
        return { ...span, render: (ind) => this.rule(line.rule, false, span, ind) };
      case "ruleType":
        return { ...span, render: (ind) => this.rule(line.rule, true, span, ind) };
      case "query":
        return {
          ...span,
          render: (ind) => (this.hasComments(span) ? null : [`${ind}?= ${this.p.term(line.term, 1)};`]),
        };
      case "resourceBlock":
        return { ...span, render: (ind) => this.block(line, first, last, ind) };
    }
  }

  private hasComments(span: Span): boolean {
    return this.scan.commentsIn(span.start, span.end).length > 0;
  }

  /**
   * Units and the comments between them, at `indent`: own-line comments on their own lines, a
   * comment on a unit's last line at the end of that line, blank lines kept (at most one).
   */
  private sequence(
    units: readonly Unit[],
    comments: readonly Comment[],
    regionStart: number,
    indent: string,
    out: string[],
    elements?: { sourceStart: number; sourceEnd: number; first: number; last: number }[],
  ): void {
    type El = { kind: "unit"; unit: Unit } | { kind: "comment"; comment: Comment };
    const els: El[] = [];
    let u = 0;
    for (const c of comments) {
      while (u < units.length && (units[u] as Unit).start < c.start)
        els.push({ kind: "unit", unit: units[u++] as Unit });
      const owner = units[u - 1];
      if (owner !== undefined && c.start < owner.end) continue; // inside a unit: the unit's business
      els.push({ kind: "comment", comment: c });
    }
    while (u < units.length) els.push({ kind: "unit", unit: units[u++] as Unit });

    let prevEnd = regionStart;
    let prevUnit = false;
    for (const el of els) {
      const start = el.kind === "unit" ? el.unit.start : el.comment.start;
      if (el.kind === "comment" && prevUnit && !this.scan.hasNewline(prevEnd, start)) {
        out[out.length - 1] += ` ${el.comment.text}`;
        const last = elements?.[elements.length - 1];
        if (last !== undefined) last.sourceEnd = el.comment.end;
        prevEnd = el.comment.end;
        prevUnit = false;
        continue;
      }
      if (out.length > 0 && this.scan.newlines(prevEnd, start) >= 2 && out[out.length - 1] !== "") out.push("");
      const first = out.length;
      if (el.kind === "comment") {
        out.push(indent + el.comment.text);
        prevEnd = el.comment.end;
      } else {
        out.push(...(el.unit.render(indent) ?? this.verbatim(el.unit, indent)));
        prevEnd = el.unit.end;
      }
      elements?.push({ sourceStart: start, sourceEnd: prevEnd, first, last: out.length - 1 });
      prevUnit = el.kind === "unit";
    }
  }

  /** A unit copied as written, its first line at `indent`. */
  private verbatim(unit: Unit, indent: string): string[] {
    const lines = this.scan.text.slice(unit.start, unit.end).split(/\r?\n/);
    lines[0] = indent + (lines[0] ?? "");
    return lines;
  }

  // ---- rules ------------------------------------------------------------------------------

  private head(rule: Rule, isType: boolean): string {
    const params = rule.params.map((p) =>
      p.specializer === null
        ? this.p.term(p.parameter, 6)
        : `${this.p.term(p.parameter, 6)}: ${this.p.pattern(p.specializer)}`,
    );
    return `${isType ? "type " : ""}${rule.name}(${params.join(", ")})`;
  }

  /** Outer span of a chain operand: its term span widened over the parentheses that enclose only it. */
  private outer(t: Term): Span {
    const s = this.span(t);
    let i = this.scan.tokenIndexFrom(s.start);
    let j = this.scan.tokenIndexBefore(s.end);
    while (this.scan.kindAt(i - 1) === T.LP && this.scan.kindAt(j + 1) === T.RP) {
      i--;
      j++;
    }
    return { start: this.tok(i).start, end: this.tok(j).end };
  }

  /** The operands of a rule body as laid out one per line, with the operator ending each line. */
  private operands(body: readonly Term[]): { term: Term; text: string; op: string }[] {
    const ops: { term: Term; text: string; op: string }[] = [];
    const only = body.length === 1 ? body[0] : undefined;
    if (only !== undefined) {
      const v = only.value;
      if (v.type === "Expression" && v.operator === "Or") {
        for (const g of v.args) {
          const gv = g.value;
          if (gv.type === "Expression" && gv.operator === "And" && !this.p.sourceParen(g)) {
            for (const a of gv.args) ops.push({ term: a, text: this.p.chainOperand(a, "And"), op: "and" });
            (ops[ops.length - 1] as { op: string }).op = "or";
          } else {
            ops.push({ term: g, text: this.p.chainOperand(g, "Or"), op: "or" });
          }
        }
      } else {
        ops.push({ term: only, text: this.p.term(only, 1), op: "" });
      }
    } else {
      for (const a of body) ops.push({ term: a, text: this.p.chainOperand(a, "And"), op: "and" });
    }
    return ops;
  }

  private rule(rule: Rule, isType: boolean, span: Span, indent: string): string[] | null {
    const head = indent + this.head(rule, isType);
    const bv = rule.body.value;
    const body = bv.type === "Expression" && bv.operator === "And" ? bv.args : [rule.body];
    if (body.length === 0) return this.hasComments(span) ? null : [`${head};`];

    const comments = this.scan.commentsIn(span.start, span.end);
    const headEnd = rule.source.kind === "parser" ? rule.source.end : span.start;
    const ifTok = this.tok(this.scan.tokenIndexFrom(headEnd));
    if (ifTok.kind !== T.If) return null;
    const ops = this.operands(body);
    const n = ops.length;
    const leading: string[][] = ops.map(() => []);
    const trailing: (string | null)[] = ops.map(() => null);
    let ifTrailer: string | null = null;
    let consumed = 0;
    let prevEnd = ifTok.end;
    for (let k = 0; k <= n; k++) {
      const gapEnd = k < n ? this.outer((ops[k] as { term: Term }).term).start : span.end;
      let first = true;
      for (const c of this.scan.commentsIn(prevEnd, gapEnd)) {
        const sameLine = first && !this.scan.hasNewline(prevEnd, c.start);
        first = false;
        consumed++;
        if (k === 0 && sameLine) ifTrailer = c.text;
        else if (sameLine) trailing[k - 1] = c.text;
        else if (k < n) (leading[k] as string[]).push(c.text);
        else return null; // an own-line comment between the last operand and `;`
      }
      if (k < n) prevEnd = this.outer((ops[k] as { term: Term }).term).end;
    }
    if (consumed !== comments.length) return null;

    const lastTrailer = trailing[n - 1] ?? null;
    const broken =
      ifTrailer !== null || leading.some((l) => l.length > 0) || trailing.slice(0, -1).some((t) => t !== null);
    const inline = ops.map((o, k) => (k < n - 1 ? `${o.text} ${o.op}` : o.text)).join(" ");
    const oneLine = `${head} if ${inline};`;
    if (!broken && oneLine.length <= FORMAT_WIDTH)
      return [lastTrailer === null ? oneLine : `${oneLine} ${lastTrailer}`];

    const inner = indent + INDENT;
    const out = [ifTrailer === null ? `${head} if` : `${head} if ${ifTrailer}`];
    ops.forEach((o, k) => {
      for (const c of leading[k] as string[]) out.push(inner + c);
      const line = `${inner}${o.text}${k < n - 1 ? ` ${o.op}` : ";"}`;
      const t = trailing[k];
      out.push(t === null || t === undefined ? line : `${line} ${t}`);
    });
    return out;
  }

  // ---- resource blocks --------------------------------------------------------------------

  private block(
    line: Extract<Line, { kind: "resourceBlock" }>,
    first: number,
    last: number,
    indent: string,
  ): string[] | null {
    let open = first;
    while (this.tok(open).kind !== T.LCB) open++;
    const openTok = this.tok(open);
    const closeTok = this.tok(last);
    if (this.scan.commentsIn(this.tok(first).start, openTok.start).length > 0) return null;
    const keyword =
      line.keyword === null
        ? ""
        : `${this.scan.joinedTokens(this.span(line.keyword).start, this.span(line.keyword).end)} `;
    const name = this.scan.text.slice(line.nameStart, line.nameEnd);
    let header = `${indent}${keyword}${name} {`;

    const units: Unit[] = [];
    let i = open + 1;
    for (const production of line.productions) {
      const end = this.unitEnd(i, false);
      const span = { start: this.tok(i).start, end: this.tok(end).end };
      units.push({ ...span, render: (ind) => this.production(production, span, ind) });
      i = end + 1;
    }
    let comments = this.scan.commentsIn(openTok.end, closeTok.start);
    const opener = comments[0];
    if (opener !== undefined && !this.scan.hasNewline(openTok.end, opener.start)) {
      header += ` ${opener.text}`;
      comments = comments.slice(1);
    }
    if (units.length === 0 && comments.length === 0) return [`${header}}`];
    const out = [header];
    this.sequence(units, comments, openTok.end, indent + INDENT, out);
    out.push(`${indent}}`);
    return out;
  }

  private production(pr: Production, span: Span, indent: string): string[] | null {
    if (pr.kind === "shorthand") {
      if (this.hasComments(span)) return null;
      const leaf = (t: Term): string => this.scan.joinedTokens(this.span(t).start, this.span(t).end);
      const rel = pr.relation === null ? "" : ` ${leaf(pr.relation.keyword)} ${leaf(pr.relation.name)}`;
      return [`${indent}${leaf(pr.head)} if ${leaf(pr.implier)}${rel};`];
    }
    return this.declaration(pr, span, indent);
  }

  /** `name = [...]` / `name = {...}`: one line when it fits and holds no comment, else one entry per line. */
  private declaration(pr: Extract<Production, { kind: "declaration" }>, span: Span, indent: string): string[] | null {
    const v = pr.value.value;
    const name = this.scan.joinedTokens(this.span(pr.name).start, this.span(pr.name).end);
    const entries: { span: Span; text: string }[] = [];
    let openText: string;
    let closeText: string;
    let oneLine: string;
    if (v.type === "List") {
      for (const e of v.elements) entries.push({ span: this.span(e), text: this.p.term(e, 6) });
      [openText, closeText] = ["[", "]"];
      oneLine = `${indent}${name} = [${entries.map((e) => e.text).join(", ")}];`;
    } else if (v.type === "Dictionary") {
      for (const [key, value] of v.fields) {
        const vs = this.span(value);
        const vi = this.scan.tokenIndexFrom(vs.start);
        const start = this.scan.kindAt(vi - 1) === T.Colon ? this.tok(vi - 2).start : vs.start;
        entries.push({ span: { start, end: vs.end }, text: this.p.field(key, value) });
      }
      [openText, closeText] = ["{", "}"];
      oneLine = `${indent}${name} = ${this.p.declarationDict(v.fields)};`;
    } else {
      return null;
    }
    const valueSpan = this.span(pr.value);
    const openTok = this.tok(this.scan.tokenIndexFrom(valueSpan.start));
    const closeTok = this.tok(this.scan.tokenIndexBefore(valueSpan.end));
    const all = this.scan.commentsIn(span.start, span.end);
    const inside = this.scan.commentsIn(openTok.end, closeTok.start);
    if (all.length !== inside.length) return null;

    const n = entries.length;
    let opener: string | null = null;
    const leading: string[][] = entries.map(() => []);
    const trailing: (string | null)[] = entries.map(() => null);
    const dangling: string[] = [];
    let consumed = 0;
    let prevEnd = openTok.end;
    for (let k = 0; k <= n; k++) {
      const gapEnd = k < n ? (entries[k] as { span: Span }).span.start : closeTok.start;
      let firstInGap = true;
      for (const c of this.scan.commentsIn(prevEnd, gapEnd)) {
        const sameLine = firstInGap && !this.scan.hasNewline(prevEnd, c.start);
        firstInGap = false;
        consumed++;
        if (k === 0 && sameLine) opener = c.text;
        else if (sameLine) trailing[k - 1] = c.text;
        else if (k < n) (leading[k] as string[]).push(c.text);
        else dangling.push(c.text);
      }
      if (k < n) prevEnd = (entries[k] as { span: Span }).span.end;
    }
    if (consumed !== all.length) return null;
    if (consumed === 0 && oneLine.length <= FORMAT_WIDTH) return [oneLine];

    const inner = indent + INDENT;
    const out = [`${indent}${name} = ${openText}${opener === null ? "" : ` ${opener}`}`];
    entries.forEach((e, k) => {
      for (const c of leading[k] as string[]) out.push(inner + c);
      const t = trailing[k];
      out.push(`${inner}${e.text},${t === null || t === undefined ? "" : ` ${t}`}`);
    });
    for (const c of dangling) out.push(inner + c);
    out.push(`${indent}${closeText};`);
    return out;
  }
}
