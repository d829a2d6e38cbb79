/**
 * Phase 1 of a load (see load.ts), per item and per segment of items, so that an edit redoes the
 * work of the items it touched and merges summaries for the rest (issue 13).
 *
 * - A {@link LineRecord} holds what phase 1 derives from one parsed top-level item: its
 *   diagnostics, its rewrite (with the gensym numbers it took), its rule type, its prepared block.
 *   A rule's diagnostics, gensym numbers, called names and `has_permission` calls come from one
 *   walk over its terms (validations/rule-walk.ts), once per parsed rule.
 *   Records are memoized per parsed line, and an incremental re-parse reuses the lines an edit did
 *   not touch, so only re-parsed items get new records.
 * - Consecutive records of a file form {@link Segment}s, cut where a record is a boundary (one
 *   record in {@link SEGMENT_SIZE}, chosen when the record is made, so that cuts move with the
 *   items: inserting or removing an item changes only its own segment). A segment summarises what
 *   its items define and use: its diagnostics, its rules grouped by name, rule types, queries,
 *   blocks, the names it calls and whether it calls `has_permission`. The loader merges segment
 *   summaries instead of visiting every item; a segment is reused while its records are the same
 *   objects and its rewrites cannot have moved (the same gensym base, or no rewrite took a number).
 *
 * Diagnostics the caller will drop (the editor view drops the app-dependent kinds) are never made:
 * a loader built with a `keep` predicate skips the checks whose every diagnostic it would drop
 * (singletons and unknown specializers) and leaves the others out of the summaries.
 */
import type { Line, Rule, Term } from "./ast.js";
import { contextOf, error, type Diagnostic } from "./diagnostics.js";
import type { RuleType } from "./kb.js";
import { prepareBlock, readResourceBlock, type PreparedBlock } from "./resource-blocks/index.js";
import { err, ok, type Result } from "./result.js";
import { lazyUses, rewriteAt, RewrittenRule, type Rewrite } from "./rewrite.js";
import { ruleToPolar } from "./printer.js";
import { ruleCallsHasPermission } from "./validations/missing-rules.js";
import { walkRuleInto, type WalkSink } from "./validations/rule-walk.js";
import { addCalledNames } from "./validations/undefined-rule-calls.js";

/** Which diagnostics a loader reports (by code); null: all of them. */
export type KeepCode = ((code: string) => boolean) | null;

/** Codes whose every diagnostic comes from `checkSingletons`. */
const SINGLETON_CODES = ["ValidationError::SingletonVariable", "ValidationWarning::UnknownSpecializer"];

const NONE: readonly never[] = Object.freeze([]);

/**
 * Phase 1 of one parsed rule, in one object (issue 13: a rule kept four bookkeeping objects, its
 * record, the walk's facts, its rewrite and the rewritten rule). What the one walk over the parsed
 * rule found (validations/rule-walk.ts) is written into the record's own fields. The record is
 * also the rule rewritten on demand at the first gensym counter it is loaded at; should a later
 * load reach it at another counter, that rewrite is an object of its own (`rule`), and the
 * record, which earlier results may hold, stays as it was.
 */
export class RuleRecord extends RewrittenRule implements WalkSink {
  readonly kind = "rule" as const;
  readonly boundary: boolean;
  /** SingletonVariable / UnknownSpecializer (when checked), then AmbiguousPrecedence, unfiltered. */
  diagnostics: readonly Diagnostic[] = NONE;
  /** Distinct names of the rule calls, in first-seen order. */
  called: readonly string[] = NONE;
  callsHasPermission = false;
  /** The gensym numbers the rewrite takes in the body and in the parameters (RewriteCounts). */
  bodyNumbers = 0;
  paramNumbers = 0;
  /**
   * The rewritten rule (null until the line is first loaded): the parsed rule, this record, or
   * another rule when rewritten at once or at another counter; the counter where it was made,
   * and the numbers it took.
   */
  rule: Rule | null = null;
  base = 0;
  used = 0;

  constructor(parsed: Rule, boundary: boolean, isConstant: ((name: string) => boolean) | null) {
    super(parsed, 0, false);
    this.boundary = boundary;
    walkRuleInto(parsed, isConstant, this);
  }

  /** The rule rewritten with the counter at `base` (reused when it took no number or `base` did not move). */
  rewrittenAt(base: number): Rule {
    const rule = this.rule;
    if (rule !== null && (this.base === base || this.used === 0)) return rule;
    const used = lazyUses(this.bodyNumbers, this.paramNumbers);
    if (used > 0) {
      // Rewritten on demand: this record the first time, an object of its own at another counter.
      if (rule === null) this.startAt(base, this.paramNumbers > 0);
      this.rule = rule === null ? this : new RewrittenRule(this.parsed, base, this.paramNumbers > 0);
      this.used = used;
    } else if (used === 0) {
      // Nothing to rewrite.
      this.rule = this.parsed;
      this.used = 0;
    } else {
      // Counting gave up (too deep): rewritten now.
      const rewrite = rewriteAt(this.parsed, base, false);
      this.rule = rewrite.rule;
      this.used = rewrite.used;
    }
    this.base = base;
    return this.rule;
  }
}

/**
 * Phase-1 results of one parsed line. Everything but the rewrite depends only on the line and the
 * class environment; the rewrite also depends on where the load's gensym counter stands when the
 * line is reached (`base`), so it is redone when that moves and the rewrite used the counter.
 */
export type LineRecord =
  | RuleRecord
  | {
      readonly kind: "ruleType";
      readonly parsed: Rule;
      rewrite: Rewrite | null;
      /** Made with `rewrite`: the rule type, or InvalidRuleType when the rewrite left something in the body (a dot lookup). */
      type: Result<RuleType> | null;
      readonly boundary: boolean;
    }
  | { readonly kind: "query"; readonly term: Term; readonly boundary: boolean }
  | {
      readonly kind: "block";
      /** The block's read errors, then its UnregisteredClass error (kept ones only). */
      readonly diagnostics: readonly Diagnostic[];
      readonly prepared: PreparedBlock;
      readonly boundary: boolean;
    };

/** The rule type of a `type` line, or the InvalidRuleType error when its rewrite needed temporaries. */
function ruleTypeOf(rewritten: Rule): Result<RuleType> {
  // A rule type's head must not need rewriting; whatever the rewrite hoisted lands in its body.
  const body = rewritten.body.value;
  if (body.type === "Expression" && body.operator === "And" && body.args.length === 0) {
    return ok({ rule: rewritten, required: false, builtin: false });
  }
  return err(
    error(
      "ValidationError::InvalidRuleType",
      `Invalid rule type: ${ruleToPolar(rewritten)}\n\tRule types cannot contain dot lookups.`,
      contextOf(rewritten),
    ),
  );
}

/** The rule type record's rewrite with the counter at `base` (reused when it took no number or `base` did not move). */
function rewriteOf(record: Extract<LineRecord, { kind: "ruleType" }>, base: number): Rewrite {
  let rewrite = record.rewrite;
  if (rewrite === null || (rewrite.base !== base && rewrite.used > 0)) {
    // A rule type is read at once (its body decides whether it is valid): rewritten now.
    rewrite = record.rewrite = rewriteAt(record.parsed, base, false);
    record.type = ruleTypeOf(rewrite.rule);
  }
  return rewrite;
}

/** About one record in this many is a segment boundary. */
export const SEGMENT_SIZE = 64;

/** What phase 1 derives from a run of consecutive records of one file (see the module comment). */
export interface Segment {
  readonly records: readonly LineRecord[];
  /** The gensym counter at the segment's start when it was made, and the numbers its rewrites took. */
  readonly base: number;
  readonly used: number;
  /** Kept diagnostics of the records, in order, without the blocks' clashes (they depend on earlier blocks). */
  readonly diagnostics: readonly Diagnostic[];
  readonly unrecoverable: boolean;
  /** The prepared blocks, and for each how many of `diagnostics` come before its clashes. */
  readonly blocks: readonly PreparedBlock[];
  readonly blockAt: readonly number[];
  /** Rewritten rules grouped by name, names in order of first appearance (lists never change). */
  readonly names: readonly string[];
  readonly lists: readonly (readonly Rule[])[];
  readonly ruleTypes: readonly RuleType[];
  readonly queries: readonly Term[];
  /** Distinct names the rules call (rewriting moves calls, never adds or removes them). */
  readonly called: readonly string[];
  readonly callsHasPermission: boolean;
}

/**
 * Phase-1 memos of one loader: a record per parsed line, a segment summary per run of records.
 * Weak by syntax objects, so replaced items are collected.
 */
export class Phase1Cache {
  /** Segments by their first record (one per record: the latest one made). */
  private readonly segments = new WeakMap<LineRecord, Segment>();
  /** A deterministic xorshift stream picks the boundaries. */
  private seed = 0x2545f491;

  constructor(
    private readonly isConstant: (name: string) => boolean,
    private readonly keep: KeepCode,
  ) {}

  /**
   * The phase-1 records of a parsed file named `name` (the same array for the same lines). A
   * line keeps its record while it stays in the file: a re-parse reuses the lines an edit did not
   * touch (see spans.ts), found by identity around the edit in the file's previous lines, so
   * only re-parsed lines get new records, without a weak-map entry per line (issue 13: a full
   * load made tens of thousands, costly to hash and to trace).
   */
  records(lines: readonly Line[], name: string): readonly LineRecord[] {
    const known = this.fileRecords.get(lines);
    const last = this.lastRecords.get(name);
    if (known !== undefined) {
      this.lastRecords.set(name, { lines, records: known, load: this.loads });
      return known;
    }
    const records = new Array<LineRecord>(lines.length);
    let head = 0;
    let tail = 0;
    let moved: Map<Line, LineRecord> | null = null;
    if (last !== undefined) {
      const before = last.lines;
      const shorter = Math.min(before.length, lines.length);
      while (head < shorter && before[head] === lines[head]) {
        records[head] = last.records[head] as LineRecord;
        head++;
      }
      while (tail < shorter - head && before[before.length - 1 - tail] === lines[lines.length - 1 - tail]) {
        records[lines.length - 1 - tail] = last.records[before.length - 1 - tail] as LineRecord;
        tail++;
      }
      // Lines between the common ends that were there before, elsewhere (several edits at once).
      if (head < before.length - tail && head < lines.length - tail) {
        moved = new Map();
        for (let i = head; i < before.length - tail; i++) moved.set(before[i] as Line, last.records[i] as LineRecord);
      }
    }
    for (let i = head; i < lines.length - tail; i++) {
      const line = lines[i] as Line;
      records[i] = moved?.get(line) ?? this.lineRecord(line);
    }
    this.fileRecords.set(lines, records);
    this.lastRecords.set(name, { lines, records, load: this.loads });
    return records;
  }

  /** Records by parsed file (an unchanged file of a workspace keeps its parse). */
  private readonly fileRecords = new WeakMap<readonly Line[], readonly LineRecord[]>();
  /** The lines and records of each file name as of the last load that had it, and that load's number. */
  private readonly lastRecords = new Map<
    string,
    { readonly lines: readonly Line[]; readonly records: readonly LineRecord[]; readonly load: number }
  >();
  private loads = 0;

  /** Call after each load: forgets the files the load did not have. */
  endLoad(): void {
    for (const [name, last] of this.lastRecords) if (last.load !== this.loads) this.lastRecords.delete(name);
    this.loads++;
  }

  /** The segments of a file's records, as of the last load that had them. */
  private readonly fileSegments = new WeakMap<
    readonly LineRecord[],
    { readonly base: number; readonly used: number; readonly segments: readonly Segment[] }
  >();

  /**
   * Calls `each` with the segments of one file's records, in order, starting with the gensym
   * counter at `gensym`; returns the counter after the file.
   */
  forEachSegment(records: readonly LineRecord[], gensym: number, each: (segment: Segment) => void): number {
    // An unchanged file whose rewrites cannot have moved: its segments as they were.
    const known = this.fileSegments.get(records);
    if (known !== undefined && (known.base === gensym || known.used === 0)) {
      for (const segment of known.segments) each(segment);
      return gensym + known.used;
    }
    const base = gensym;
    const segments: Segment[] = [];
    let start = 0;
    while (start < records.length) {
      let end = start;
      while (end < records.length && !(records[end] as LineRecord).boundary) end++;
      end = Math.min(end + 1, records.length);
      const segment = this.segment(records, start, end, gensym);
      gensym += segment.used;
      segments.push(segment);
      each(segment);
      start = end;
    }
    this.fileSegments.set(records, { base, used: gensym - base, segments });
    return gensym;
  }

  private segment(records: readonly LineRecord[], start: number, end: number, base: number): Segment {
    const first = records[start] as LineRecord;
    const old = this.segments.get(first);
    if (old !== undefined && old.records.length === end - start && (old.base === base || old.used === 0)) {
      let same = true;
      for (let i = start + 1; i < end; i++) {
        if (old.records[i - start] !== records[i]) {
          same = false;
          break;
        }
      }
      if (same) return old;
    }
    const segment = this.makeSegment(records.slice(start, end), base);
    this.segments.set(first, segment);
    return segment;
  }

  private makeSegment(records: readonly LineRecord[], base: number): Segment {
    let gensym = base;
    const diagnostics: Diagnostic[] = [];
    let unrecoverable = false;
    const blocks: PreparedBlock[] = [];
    const blockAt: number[] = [];
    const byName = new Map<string, Rule[]>();
    const ruleTypes: RuleType[] = [];
    const queries: Term[] = [];
    const called = new Set<string>();
    let callsHasPermission = false;
    const report = (d: Diagnostic): void => {
      diagnostics.push(d);
      if (d.unrecoverable) unrecoverable = true;
    };
    for (const record of records) {
      switch (record.kind) {
        case "rule": {
          for (const d of this.keptOnly(record.diagnostics)) report(d);
          const rule = record.rewrittenAt(gensym);
          gensym += record.used;
          const list = byName.get(rule.name);
          if (list === undefined) byName.set(rule.name, [rule]);
          else list.push(rule);
          if (rule === record.parsed || rule instanceof RewrittenRule) {
            // Rewriting on demand moves calls, never adds or removes them: the walk over the
            // parsed rule found them (no term is visited here).
            for (const name of record.called) called.add(name);
            if (record.callsHasPermission) callsHasPermission = true;
          } else {
            // Rewritten at once (too deep, or a `forall` the rewrite shortens): its own calls.
            addCalledNames(rule, called);
            if (!callsHasPermission && ruleCallsHasPermission(rule)) callsHasPermission = true;
          }
          break;
        }
        case "ruleType": {
          const rewrite = rewriteOf(record, gensym);
          gensym += rewrite.used;
          const type = record.type;
          if (type !== null) {
            if (type.ok) ruleTypes.push(type.value);
            else if (this.kept(type.error)) report(type.error);
          }
          break;
        }
        case "query":
          queries.push(record.term);
          break;
        case "block":
          for (const d of record.diagnostics) report(d);
          blocks.push(record.prepared);
          blockAt.push(diagnostics.length);
          break;
      }
    }
    return {
      records,
      base,
      used: gensym - base,
      diagnostics,
      unrecoverable,
      blocks,
      blockAt,
      names: [...byName.keys()],
      lists: [...byName.values()],
      ruleTypes,
      queries,
      called: [...called],
      callsHasPermission,
    };
  }

  /** Whether this cache's loader reports `d` (an unrecoverable diagnostic stops the load: always kept). */
  private kept(d: Diagnostic): boolean {
    return this.keep === null || d.unrecoverable || this.keep(d.code);
  }

  private keptOnly(diagnostics: readonly Diagnostic[]): readonly Diagnostic[] {
    return this.keep === null || diagnostics.length === 0 ? diagnostics : diagnostics.filter((d) => this.kept(d));
  }

  private lineRecord(line: Line): LineRecord {
    // xorshift32: about one record in SEGMENT_SIZE ends a segment.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    const boundary = this.seed % SEGMENT_SIZE === 0;
    switch (line.kind) {
      case "rule": {
        const keep = this.keep;
        // The editor view drops every diagnostic of the singleton check: it is not run there.
        return new RuleRecord(
          line.rule,
          boundary,
          keep !== null && !SINGLETON_CODES.some(keep) ? null : this.isConstant,
        );
      }
      case "ruleType":
        return { kind: "ruleType", parsed: line.rule, rewrite: null, type: null, boundary };
      case "query":
        return { kind: "query", term: line.term, boundary };
      case "resourceBlock": {
        const { block, diagnostics } = readResourceBlock(line);
        const prepared = prepareBlock(block, this.isConstant, this.keep);
        if (prepared.unregistered !== null) diagnostics.push(prepared.unregistered);
        return { kind: "block", diagnostics: this.keptOnly(diagnostics), prepared, boundary };
      }
    }
  }
}
