// Generates docs/telemetry.md (the seed's table: data collected / link to code / purpose, plus what
// is never collected) and packages/vscode-extension/telemetry.json from the telemetry schema
// (packages/telemetry/src/schema.ts). `node scripts/telemetry-doc.mjs` writes both (needs the
// telemetry package built); `--check` exits 1 when either is stale. test/telemetry-doc.test.ts
// runs the same check on the TypeScript sources.
//
// "Link to code" is the repository-relative path and line where each value is computed, found by
// searching the schema's `source` file (or the folder of that name) for the property; a property
// whose line cannot be found fails the generation, so the doc cannot silently point nowhere.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
export const DOC_PATH = "docs/telemetry.md";
export const TELEMETRY_JSON_PATH = "packages/vscode-extension/telemetry.json";

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Where to look for a property: its explicit file, or every .ts file under the folder of that name (sorted). */
function sourceFiles(repo, source) {
  const abs = join(repo, source);
  if (existsSync(abs) && statSync(abs).isFile()) return [source];
  const dir = abs.replace(/\.ts$/, "");
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    return readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".ts"))
      .sort()
      .map((f) => relative(repo, join(dir, f)).replace(/\\/g, "/"));
  }
  return [];
}

/** The patterns that mark the line computing `spec`'s value, best first. */
function needles(spec, schema) {
  const name = spec.name;
  const special = {
    distinct_id: [/function distinctId\b/],
    workspace_folder: [/function workspaceFolderId\b/],
    $insert_id: [/function newInsertId\b/],
    LSP_file_extensions: [/\blsp_file_extensions:\s/, /\.lsp_file_extensions\b/],
  };
  if (special[name]) return special[name];
  if (schema.DIAGNOSTIC_CODES.some((c) => schema.codeProperty(c) === name)) return [/CODE_PROPERTIES\.get\(/];
  const method = schema.LSP_METHODS.find((m) => schema.lspMethodProperty(m) === name);
  // The call that triggers a load with that method (not the type listing the methods).
  if (method !== undefined) return [new RegExp(`\\w\\("${escapeRe(method)}"`), new RegExp(`"${escapeRe(method)}"`)];
  switch (spec.kind) {
    case "counter":
      return [new RegExp(`add\\(a, [^;]*"${escapeRe(name)}"`), new RegExp(`"${escapeRe(name)}"`)];
    case "gauge":
      return [new RegExp(`\\.${escapeRe(name)}\\s*(\\+\\+|\\+=|=(?!=))`), new RegExp(`\\b${escapeRe(name)}\\b`)];
    case "environment":
      return [new RegExp(`^\\s*${escapeRe(name)}:\\s`)];
    default:
      return [new RegExp(`"${escapeRe(name)}"`)];
  }
}

/** Comments and type declarations mention a value; they never compute it. */
const isComment = (line) => /^\s*(\*|\/\/|\/\*|readonly\s|(export\s+)?(type|interface)\s)/.test(line);

/** `path#Lline` of the first line matching the best needle, or null. */
function locate(repo, spec, schema) {
  const files = sourceFiles(repo, spec.source);
  for (const needle of needles(spec, schema)) {
    for (const file of files) {
      const lines = readFileSync(join(repo, file), "utf8").split("\n");
      const index = lines.findIndex((l) => !isComment(l) && needle.test(l));
      if (index >= 0) return { file, line: index + 1 };
    }
  }
  return null;
}

const cell = (s) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The data column: the schema's text, plus the allow-list when the value is one. */
const dataOf = (spec) =>
  spec.value.values === undefined
    ? spec.data
    : `${spec.data}. One of ${spec.value.values.map((v) => `\`${v}\``).join(", ")} (anything else is sent as \`other\`)`;

/**
 * Renders both files. `schema` is the telemetry package's schema module; `sentNames` the
 * properties the client actually puts in an event (the other schema properties are only
 * accepted by the collector). Returns `{ markdown, telemetryJson, unresolved }`.
 */
export function renderTelemetryDocs(schema, sentNames, repo = REPO) {
  const sent = new Set(sentNames);
  const unresolved = [];
  const link = (spec) => {
    const at = locate(repo, spec, schema);
    if (at === null) {
      unresolved.push(`${spec.name} (searched ${spec.source})`);
      return "(not found)";
    }
    return `[${at.file}#L${at.line}](../${at.file}#L${at.line})`;
  };

  const codeNames = new Set(schema.DIAGNOSTIC_CODES.map((c) => schema.codeProperty(c)));
  const rows = [];
  let codesRow = false;
  for (const spec of schema.PROPERTIES) {
    if (!sent.has(spec.name)) continue;
    if (codeNames.has(spec.name)) {
      if (codesRow) continue;
      codesRow = true;
      const codes = schema.DIAGNOSTIC_CODES.map((c) => `\`${schema.codeProperty(c)}\``).join(", ");
      rows.push(
        `| \`<code>_count\`: # of diagnostics of each allow-listed code (${codes}), summed over the loads of the batch | ${link(spec)} | ${cell(spec.purpose)} |`,
      );
      continue;
    }
    rows.push(`| \`${spec.name}\`: ${cell(dataOf(spec))} | ${link(spec)} | ${cell(spec.purpose)} |`);
  }
  const acceptedOnly = schema.PROPERTIES.filter((p) => !sent.has(p.name));
  const identifiers = schema.PROPERTIES.filter((p) => p.kind === "identifier" && sent.has(p.name));
  const forbidden = [...schema.FORBIDDEN_PROPERTIES].map(([name, why]) => `\`${name}\` (${why})`);

  const markdown = `<!-- Generated by packages/vscode-extension/scripts/telemetry-doc.mjs from packages/telemetry/src/schema.ts. Do not edit: run \`npm run docs -w @polar-ide/vscode-extension\`. -->

# IDE Telemetry

## VS Code

The Polar IDE extension collects **non-identifiable** usage data to improve Polar support. Loads
are aggregated into un-timestamped batches — at most one \`${schema.EVENT_NAME}\` event per
workspace folder per batch, sent once an hour (and when VS Code closes) — because aggregate
statistics are what matter, not anyone's personal development behaviour. At most 60 events a day
or 3000 a month are sent. **This data is never sold.**

Collection happens only when all of these hold, and stops at once (deleting pending data) when
one stops holding:

- VS Code's \`telemetry.telemetryLevel\` allows usage data (the extension asks
  \`vscode.env.createTelemetryLogger\`, so VS Code's own switch decides first);
- \`oso.polarLanguageServer.metrics.enabled\` is \`default\` (\`off\` turns it off; the setting can
  never turn it on);
- a telemetry endpoint is configured (\`oso.polarLanguageServer.telemetry.endpoint\`).

With \`oso.polarLanguageServer.metrics.enabled\` set to \`local\`, loads are aggregated exactly as
they would be for sending, and shown, but nothing is ever sent (whatever VS Code's setting and the
endpoint).

**Polar: Show Pending Telemetry** opens a read-only view of everything: whether collection is on
(and if not, which switch turned it off), the endpoint, the exact JSON payload of the next batch,
and the exact payload of the last batch sent with the UTC day it was sent (the day only; the
extension keeps no time). Schema version ${schema.SCHEMA_VERSION}.

| Data collected | Link to code | Purpose |
| -------------- | ------------ | ------- |
${rows.join("\n")}

## Identifiers: what the operator can and cannot learn

Both identifiers are keyed hashes under a secret of 256 random bits that each installation draws
once and keeps in VS Code's local extension state; it is never sent. Without it nobody — the
operator of the collector included — can compute an identifier, or check a guess (a
\`machineId\`, a MAC address range, a folder path) against one. Both include the UTC month, so an
installation's identifiers of one month are unrelated to those of any other month: no stored value
links two months of one installation, and no batch carries the identifiers of two months. Environment values (OS, versions, app host, remote kind) are
shared by many installations; they are allow-lists and version numbers, so that together they
stay coarse.

${identifiers.map((p) => `- \`${p.name}\` = ${cell(p.data)}. ${cell(p.reveals ?? "")}`).join("\n")}

## Never collected

No file paths, file names, URIs or workspace names (the workspace folder is sent only as a keyed
hash); no policy text, rule names, diagnostic messages or ranges (only diagnostic counts per
allow-listed code); no user names, host names, e-mail addresses or \`machineId\` (neither raw nor
hashed: the identifiers come from the installation's random secret); no session id; no timestamps of any kind (batches carry no time, and the
collector keeps only the arrival day); no IP address or location. The collector rejects any event
carrying ${forbidden.join(", ")}.

## Accepted by the collector, never sent by the extension

${acceptedOnly.map((p) => `- \`${p.name}\`: ${cell(p.data)} — ${cell(p.purpose)}`).join("\n") || "- (none)"}
`;

  const classification = (spec) => (spec.kind === "identifier" ? "EndUserPseudonymizedInformation" : "SystemMetaData");
  const purpose = (spec) => (spec.kind === "environment" ? "PerformanceAndHealth" : "FeatureInsight");
  const event = {
    owner: "polar-ide",
    comment: `One aggregated ${schema.EVENT_NAME} event per workspace folder per batch; see docs/telemetry.md.`,
  };
  for (const spec of schema.PROPERTIES) {
    if (!sent.has(spec.name)) continue;
    event[spec.name] = {
      classification: classification(spec),
      purpose: purpose(spec),
      comment: `${spec.data}. ${spec.purpose}`,
      ...(spec.value.type === "integer" ? { isMeasurement: true } : {}),
    };
  }
  const telemetryJson = JSON.stringify({ events: { [`polar-ide/${schema.EVENT_NAME}`]: event } }, null, 2) + "\n";
  return { markdown, telemetryJson, unresolved };
}

/** `renderTelemetryDocs` with the markdown formatted by the repository's Prettier (so `npm run lint` agrees). */
export async function renderFormattedTelemetryDocs(schema, sentNames, repo = REPO) {
  const rendered = renderTelemetryDocs(schema, sentNames, repo);
  const prettier = await import("prettier");
  const file = join(repo, DOC_PATH);
  const options = (await prettier.resolveConfig(file)) ?? {};
  const markdown = await prettier.format(rendered.markdown, { ...options, filepath: file });
  return { ...rendered, markdown };
}

async function main() {
  // Built packages (dist/); the test imports the TypeScript sources instead.
  const [schemaModule, clientModule] = ["@polar-ide/telemetry", "@polar-ide/telemetry/client"];
  const schema = await import(/* @vite-ignore */ schemaModule);
  const client = await import(/* @vite-ignore */ clientModule);
  const sentNames = Object.keys(sampleEvent(client).properties);
  const { markdown, telemetryJson, unresolved } = await renderFormattedTelemetryDocs(schema, sentNames);
  if (unresolved.length > 0) {
    console.error(`telemetry-doc: no line found for: ${unresolved.join(", ")}`);
    process.exit(1);
  }
  const targets = [
    [DOC_PATH, markdown],
    [TELEMETRY_JSON_PATH, telemetryJson],
  ];
  if (process.argv.includes("--check")) {
    const stale = targets.filter(
      ([p, text]) => !existsSync(join(REPO, p)) || readFileSync(join(REPO, p), "utf8") !== text,
    );
    if (stale.length > 0) {
      console.error(
        `telemetry-doc: stale: ${stale.map(([p]) => p).join(", ")} (run npm run docs -w @polar-ide/vscode-extension)`,
      );
      process.exit(1);
    }
    return;
  }
  for (const [p, text] of targets) writeFileSync(join(REPO, p), text);
  console.log(`wrote ${targets.map(([p]) => p).join(" and ")}`);
}

/** An event as the client builds it, to learn which properties it sends. */
export function sampleEvent(client) {
  return client.buildEvent(client.emptyAggregate(), {
    distinctId: "0".repeat(64),
    workspaceFolder: "0".repeat(64),
    environment: client.normalizeEnvironment({}),
    token: "sample",
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
