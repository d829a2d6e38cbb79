/**
 * One load: analyse the policies (the roots' shared one and each one-file policy), publish
 * diagnostics for every tracked document (and a final empty list for each removed one), then send
 * the `telemetry/event` in Oso's shape, with the statistics summed over the policies.
 */
import { compareCodePoints, type PublishedDiagnostic } from "@polar-ide/analyzer";
import { TELEMETRY_EVENT_METHOD, type TelemetryEventParams } from "@polar-ide/telemetry/protocol";
import { DiagnosticSeverity, type Connection, type Diagnostic } from "vscode-languageserver";
import type { Documents } from "./documents.js";
import type { PendingLoad } from "./load-scheduler.js";
import { uniqueExtensions } from "./uris.js";

/** `source` of every published diagnostic, as Oso's server sets it. */
export const DIAGNOSTIC_SOURCE = "Polar Language Server";

/** The `telemetry/event` payload this server sends (declared by the telemetry protocol), with whole LSP diagnostics. */
export type TelemetryEvent = TelemetryEventParams<Diagnostic>;

/** Analyses the documents' policy and reports the result of `load` to the client. */
export function runLoad(
  connection: Connection,
  documents: Documents,
  load: PendingLoad,
  log: (message: string) => void,
): void {
  const { groups, stats, removed } = documents.analyze();

  // Each policy's diagnostics go to its own documents; one without a source context goes to every
  // document of its policy (a one-file policy's never reaches the root's documents).
  const byUri = new Map<string, Diagnostic[]>();
  for (const { uris, analysis } of groups) {
    const own: Diagnostic[][] = [];
    for (const uri of uris) {
      const list: Diagnostic[] = [];
      byUri.set(uri, list);
      own.push(list);
    }
    for (const d of analysis.diagnostics) {
      const lsp = toLspDiagnostic(d);
      if (d.file === null) {
        for (const list of own) list.push(lsp);
      } else {
        const list = byUri.get(d.file);
        if (list !== undefined) list.push(lsp);
        else log(`diagnostic for untracked document ${d.file}: ${d.code}`);
      }
    }
  }

  // Oso publishes from a map ordered by URI (a BTreeMap of URLs: by UTF-8 bytes, i.e. by code
  // points); removed documents are part of the same map.
  const publications: { uri: string; version: number | null; diagnostics: Diagnostic[] }[] = [];
  for (const [uri, version] of removed) publications.push({ uri, version, diagnostics: [] });
  for (const [uri, diagnostics] of byUri)
    publications.push({ uri, version: documents.get(uri)?.version ?? null, diagnostics });
  publications.sort((a, b) => compareCodePoints(a.uri, b.uri));

  for (const p of publications) {
    void connection.sendDiagnostics(
      p.version === null
        ? { uri: p.uri, diagnostics: p.diagnostics }
        : { uri: p.uri, version: p.version, diagnostics: p.diagnostics },
    );
  }
  if (load.method === null) return;
  const telemetry: TelemetryEvent = {
    diagnostics: publications.flatMap((p) => p.diagnostics),
    lsp_event: { lsp_method: load.method, lsp_file_extensions: uniqueExtensions(load.uris) },
    policy_stats: { ...stats.policy_stats },
    resource_block_stats: { ...stats.resource_block_stats },
  };
  void connection.sendNotification(TELEMETRY_EVENT_METHOD, telemetry);
}

/** An analyzer diagnostic as LSP publishes it. */
export function toLspDiagnostic(d: PublishedDiagnostic): Diagnostic {
  return {
    range: {
      start: { line: d.range.start.line, character: d.range.start.character },
      end: { line: d.range.end.line, character: d.range.end.character },
    },
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: DIAGNOSTIC_SOURCE,
    message: d.message,
  };
}
