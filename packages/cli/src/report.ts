/**
 * What polar-check reports about one load, and its two renderings: compiler-style text and the
 * JSON document. The JSON shapes are declared here once; the help text and the README describe them.
 */
import {
  lineIndexOf,
  toPolar,
  type LoadResult,
  type PolicyAnalysis,
  type PolicyStatistics,
  type PublishedDiagnostic,
  type Range,
} from "@polar-ide/analyzer";
import type { InputError, InputErrorKind } from "./files.js";
import { INLINE_QUERY_NOTE_CODE, NO_FILE_LABEL } from "./options.js";

/** Where the load stopped (Oso stops at the first phase that reported an unrecoverable diagnostic). */
export type LoadStage = LoadResult["stage"];

/** A check of Oso's load that runs after the phase where an unrecoverable diagnostic stops it. */
export interface LaterCheck {
  /** Identifier used in JSON (`load.checksNotRun`). */
  readonly id: string;
  /** Wording used in text output. */
  readonly text: string;
}

/** Checks that run only once rules from shorthand rules exist (phases 5 and 6 of the load). */
const CHECKS_AFTER_SHORTHAND: readonly LaterCheck[] = [
  { id: "rule-types", text: "rules against rule types" },
  { id: "undefined-rule-calls", text: "undefined rule calls" },
  { id: "missing-allow-rule", text: "missing allow rule" },
  { id: "missing-has-permission-rule", text: "missing has_permission rule" },
];

/** The checks that did not run because the load stopped at `stage`, in the order the load runs them. */
export function checksNotRun(stage: LoadStage): readonly LaterCheck[] {
  switch (stage) {
    case "complete":
      return [];
    case "stopped-after-shorthand":
      return CHECKS_AFTER_SHORTHAND;
    case "stopped-after-files":
      return [{ id: "shorthand-rules", text: "shorthand rules" }, ...CHECKS_AFTER_SHORTHAND];
  }
}

/** A note: something polar-check did not do, reported where it applies. Never counts as a problem. */
export interface Note {
  readonly file: string;
  readonly code: typeof INLINE_QUERY_NOTE_CODE;
  readonly severity: "note";
  readonly message: string;
  readonly range: Range;
}

/** The JSON document of a run that loaded the policy. */
export interface JsonReport {
  /** The loaded files, in load order. */
  readonly files: readonly string[];
  /** What Oso reports (in the editor view: without the three kinds that depend on the application). */
  readonly diagnostics: readonly PublishedDiagnostic[];
  /** The policy statistics the language server's telemetry records. */
  readonly stats: PolicyStatistics;
  /** Inline queries that were not run (engine view only; empty in the editor view). */
  readonly notes: readonly Note[];
  readonly load: {
    readonly stage: LoadStage;
    /** `id`s of the checks that did not run because the load stopped early. */
    readonly checksNotRun: readonly string[];
  };
}

/** The JSON document of a run stopped by an input problem (exit status 2). */
export interface JsonErrorDocument {
  readonly error: {
    readonly kind: InputErrorKind;
    /** The sentence also printed on stderr, without the `polar-check: ` prefix. */
    readonly message: string;
    readonly paths: readonly string[];
    /** System error code (`ENOENT`, `EACCES`, …) for kind "io", else null. */
    readonly code: string | null;
  };
}

/** Everything one run reports. */
export interface Report {
  readonly files: readonly string[];
  readonly analysis: PolicyAnalysis;
  readonly notes: readonly Note[];
}

/**
 * Notes for the inline queries of the loaded files: Oso.loadFiles runs each of them and fails the
 * load when one has no result; polar-check never runs them.
 */
export function inlineQueryNotes(load: LoadResult): Note[] {
  const notes: Note[] = [];
  for (const query of load.inlineQueries) {
    const source = query.source;
    if (source.kind !== "parser") continue;
    notes.push({
      file: source.file.name,
      code: INLINE_QUERY_NOTE_CODE,
      severity: "note",
      message:
        `inline query \`?= ${toPolar(query)}\` was not run: polar-check never runs inline queries, ` +
        "while Oso.loadFiles runs each one and fails the load when it has no result",
      range: lineIndexOf(source.file).range(source.start, source.end),
    });
  }
  return notes;
}

export function jsonReport(report: Report): JsonReport {
  const { analysis } = report;
  return {
    files: report.files,
    diagnostics: analysis.diagnostics,
    stats: analysis.stats,
    notes: report.notes,
    load: { stage: analysis.load.stage, checksNotRun: checksNotRun(analysis.load.stage).map((c) => c.id) },
  };
}

export function jsonError(e: InputError): JsonErrorDocument {
  return { error: { kind: e.kind, message: e.message, paths: e.paths, code: e.code } };
}

function location(file: string | null, range: Range): string {
  return file === null ? NO_FILE_LABEL : `${file}:${range.start.line + 1}:${range.start.character + 1}`;
}

function formatEntry(d: PublishedDiagnostic | Note): string {
  return `${location(d.file, d.range)}: ${d.severity} ${d.code}: ${d.message}\n`;
}

function formatStats(stats: PolicyStatistics): string {
  const lines = ["policy_stats:"];
  for (const [k, v] of Object.entries(stats.policy_stats)) lines.push(`  ${k}: ${v}`);
  lines.push("resource_block_stats:");
  for (const [k, v] of Object.entries(stats.resource_block_stats)) lines.push(`  ${k}: ${v}`);
  return lines.join("\n") + "\n";
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The last line of text output: what was checked and what was found. */
export function summaryLine(report: Report): string {
  const { diagnostics, stats, load } = report.analysis;
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const found = [];
  if (errors > 0) found.push(count(errors, "error"));
  if (warnings > 0) found.push(count(warnings, "warning"));
  let line = `checked ${count(report.files.length, "file")}, ${count(stats.policy_stats.total_rules, "rule")}: `;
  line += found.length === 0 ? "no problems" : found.join(", ");
  if (load.stage !== "complete") line += "; later checks did not run";
  if (load.inlineQueries.length > 0) {
    line += `; ${count(load.inlineQueries.length, "inline query", "inline queries")} not run`;
  }
  return line + "\n";
}

/** Compiler-style text: diagnostics, notes, the stop notice, statistics (on request), summary. */
export function textReport(report: Report, options: { readonly stats: boolean }): string {
  const { diagnostics, stats, load } = report.analysis;
  let out = diagnostics.map(formatEntry).join("") + report.notes.map(formatEntry).join("");
  const notRun = checksNotRun(load.stage);
  if (notRun.length > 0) {
    out +=
      "loading stopped at the unrecoverable error above, where Oso's loading stops too, so these checks did not run: " +
      notRun.map((c) => c.text).join(", ") +
      "\n";
  }
  if (options.stats) out += formatStats(stats);
  return out + summaryLine(report);
}
