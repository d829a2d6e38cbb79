/**
 * The text of "Polar: Show Pending Telemetry": a read-only document that says whether collection
 * is on (and if not, which switches keep it off), where batches go, the exact JSON of the next
 * batch, and the exact JSON of the last batch that left the machine with the UTC day it left —
 * like Go's `gotelemetry view`, everything recent in one place. Free of `vscode` (unit-tested).
 */
import type { TrackEvent } from "@polar-ide/telemetry";
import type { CollectionMode, LastSent } from "@polar-ide/telemetry/client";

/** URI scheme of the view (a `TextDocumentContentProvider`: VS Code shows it read-only). */
export const TELEMETRY_VIEW_SCHEME = "polar-telemetry";
/** Path of the view's document; `.md` so that VS Code highlights it as Markdown. */
export const TELEMETRY_VIEW_PATH = "/Polar Telemetry.md";

/** Everything the view shows. */
export interface TelemetryViewModel {
  readonly mode: CollectionMode;
  /** Every switch that keeps the client from sending (empty when it sends). */
  readonly reasons: readonly string[];
  readonly endpoint: string | undefined;
  readonly flushIntervalSeconds: number;
  readonly pending: readonly TrackEvent[];
  readonly lastSent: LastSent | null;
}

const OUTCOME: Record<LastSent["outcome"], string> = {
  accepted: "accepted by the endpoint",
  rejected: "rejected by the endpoint (not sent again)",
  failed: "not confirmed (network error or a busy endpoint); the same batch is retried",
};

/** The exact JSON text of a batch, as `MixpanelSender` encodes it (before base64), pretty-printed. */
export function batchJson(events: readonly TrackEvent[]): string {
  return JSON.stringify(events, null, 2);
}

function status(m: TelemetryViewModel): string[] {
  switch (m.mode) {
    case "send":
      return [
        `**Collection is on.** Batches are sent to \`${m.endpoint ?? "?"}\` every ${m.flushIntervalSeconds} s and when VS Code closes.`,
      ];
    case "local":
      return [
        "**Collection is local only.** Loads are aggregated exactly as for sending and shown below; nothing is ever sent.",
        "",
        ...m.reasons.map((r) => `- ${r}`),
      ];
    case "off":
      return [
        "**Collection is off**: nothing is collected, and what was pending has been deleted. Turned off by:",
        "",
        ...m.reasons.map((r) => `- ${r}`),
      ];
  }
}

/** Renders the view (Markdown). */
export function renderTelemetryView(m: TelemetryViewModel): string {
  const lines = [
    "# Polar telemetry",
    "",
    ...status(m),
    "",
    `Endpoint: ${m.endpoint === undefined ? "none configured" : `\`${m.endpoint}\``}`,
    "",
    "Each batch is one `POST` of a form whose `data` field is the JSON array below, base64-encoded.",
    "What each property means, and where it is computed: `docs/telemetry.md`.",
    "",
  ];
  if (m.mode === "off") {
    lines.push("## Pending", "", "Nothing (collection is off).", "");
  } else {
    const what = m.mode === "local" ? "aggregated locally, never sent" : "exactly what the next batch sends";
    lines.push(`## Pending: ${m.pending.length} event(s), ${what}`, "", "```json", batchJson(m.pending), "```", "");
  }
  if (m.lastSent === null) {
    lines.push("## Last batch sent", "", "Nothing has been sent from this installation.", "");
  } else {
    const last = m.lastSent;
    lines.push(
      `## Last batch sent: ${last.day} (UTC day; no time is kept), ${last.events.length} event(s), ${OUTCOME[last.outcome]}`,
      "",
      "```json",
      batchJson(last.events),
      "```",
      "",
    );
  }
  return lines.join("\n");
}
