/**
 * The incremental entry point: a policy is a set of named files (URIs in the editor, paths in
 * the CLI). Changing one file re-parses that file only; the load (validation across files) is
 * re-run on the next `analyze()` and cached until the next change.
 */
import { compareCodePoints, type SourceFile } from "./ast.js";
import { EDITOR_DROPPED_CODES, error, type Diagnostic, type Severity } from "./diagnostics.js";
import type { LoadOptions } from "./environment.js";
import { diagnosticLoad, type LoadResult, type LoadSource } from "./load.js";
import { parseFile, type ParseResult } from "./parser.js";
import { lineIndexOf, type Range } from "./positions.js";
import { fileStats, sumStats, type PolicyStatistics } from "./stats.js";

/** A diagnostic as published to a client (the language server's view of it). */
export interface PublishedDiagnostic {
  /** File (URI) the diagnostic belongs to; null when it has no source context (published on every document). */
  readonly file: string | null;
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** 0:0–0:0 when the diagnostic has no source context, as Oso's `Range::default()`. */
  readonly range: Range;
}

/** Result of analysing the whole policy. */
export interface PolicyAnalysis {
  /** Diagnostics to publish, in engine order; the editor view (no environment) drops the app-dependent kinds. */
  readonly diagnostics: readonly PublishedDiagnostic[];
  /** Every diagnostic of the load, unfiltered. */
  readonly all: readonly Diagnostic[];
  /** Telemetry counters of the tracked files. */
  readonly stats: PolicyStatistics;
  /** The whole load result (rules, rule types, blocks, …) for editor features. */
  readonly load: LoadResult;
}

/** Options of {@link Policy.analyze}. */
export interface AnalyzeOptions extends LoadOptions {
  /**
   * Documents removed by the event being reported: the language server publishes an empty list for
   * each of them, and `polar_files` counts published entries.
   */
  readonly deletedFiles?: number;
}

interface Entry {
  readonly file: SourceFile;
  readonly parsed: ParseResult;
  readonly stats: PolicyStatistics;
}

const ZERO_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Converts load diagnostics to published ones. Without an environment (the editor view) the three
 * kinds that depend on registered classes are dropped, as Oso's language server does.
 */
export function publishDiagnostics(
  diagnostics: readonly Diagnostic[],
  environment: LoadOptions["environment"],
): PublishedDiagnostic[] {
  const editorView = environment === null || environment === undefined;
  const out: PublishedDiagnostic[] = [];
  for (const d of diagnostics) {
    if (editorView && EDITOR_DROPPED_CODES.has(d.code)) continue;
    const c = d.context;
    out.push({
      file: c === null ? null : c.file.name,
      code: d.code,
      severity: d.severity,
      message: d.message,
      range: c === null ? ZERO_RANGE : lineIndexOf(c.file).range(c.start, c.end),
    });
  }
  return out;
}

/** Key identifying the options a cached analysis was computed with. */
function optionsKey(options: LoadOptions): string {
  const env = options.environment;
  return JSON.stringify([
    env === null || env === undefined ? null : [env.classes, env.mro ?? {}, env.builtins ?? true],
    options.ignoreNoAllowWarning ?? false,
  ]);
}

/**
 * A policy: named files, each parsed once per change. Names are ordered the way the language
 * server orders document URIs (a BTreeMap of URLs, i.e. by code points), which is also the load order.
 */
/**
 * `diagnosticLoad`, but a defect in the analyzer becomes a diagnostic instead of an exception
 * thrown into the editor (the analyzer must never throw on any text).
 */
function safeLoad(sources: readonly LoadSource[], options: LoadOptions): LoadResult {
  try {
    return diagnosticLoad(sources, options);
  } catch (e) {
    const failed = diagnosticLoad([], { ...options, ignoreNoAllowWarning: true });
    return {
      ...failed,
      stage: "stopped-after-files",
      diagnostics: [error("ParseError::InternalError", `internal analyzer error: ${String(e)}`, null)],
    };
  }
}

export class Policy {
  private readonly entries = new Map<string, Entry>();
  private sortedNames: string[] | null = null;
  private cached: { key: string; diagnostics: readonly PublishedDiagnostic[]; load: LoadResult } | null = null;
  private cachedStats: PolicyStatistics | null = null;

  /** Adds or replaces a file; returns false (and keeps every cache) when the text is unchanged. */
  set(name: string, text: string): boolean {
    const old = this.entries.get(name);
    if (old !== undefined && old.file.text === text) return false;
    const file: SourceFile = { name, text };
    const parsed = parseFile(file);
    this.entries.set(name, { file, parsed, stats: fileStats(parsed, text) });
    if (old === undefined) this.sortedNames = null;
    this.invalidate();
    return true;
  }

  /** Removes a file; returns whether it was tracked. */
  delete(name: string): boolean {
    if (!this.entries.delete(name)) return false;
    this.sortedNames = null;
    this.invalidate();
    return true;
  }

  /** Whether a file is tracked. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** A tracked file's text. */
  get(name: string): string | undefined {
    return this.entries.get(name)?.file.text;
  }

  /** Tracked file names in load order. */
  names(): string[] {
    this.sortedNames ??= [...this.entries.keys()].sort(compareCodePoints);
    return [...this.sortedNames];
  }

  /** Number of tracked files. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Loads all files together (in name order) and returns the diagnostics and statistics. The load
   * is cached until a file changes or the options differ.
   */
  analyze(options: AnalyzeOptions = {}): PolicyAnalysis {
    const key = optionsKey(options);
    let cached = this.cached;
    if (cached === null || cached.key !== key) {
      const sources = this.names().flatMap((n) => this.entries.get(n) ?? []);
      const load = safeLoad(sources, options);
      cached = { key, load, diagnostics: publishDiagnostics(load.diagnostics, options.environment) };
      this.cached = cached;
    }
    this.cachedStats ??= sumStats([...this.entries.values()].map((e) => e.stats));
    const deleted = options.deletedFiles ?? 0;
    const stats = sumStats([this.cachedStats], { deletedFiles: deleted });
    return { diagnostics: cached.diagnostics, all: cached.load.diagnostics, stats, load: cached.load };
  }

  private invalidate(): void {
    this.cached = null;
    this.cachedStats = null;
  }
}
