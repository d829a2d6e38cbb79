// End to end in a real VS Code: code-server 4.100.3 (VS Code 1.100.3) driven by headless Chromium,
// the packaged .vsix installed, a multi-root workspace of .polar files, the real collector on SQLite.
//
//   npm run test:e2e            (from the repository root; installs code-server/Chromium when missing)
//   E2E_SKIP_BUILD=1 ...        reuse .artifacts/polar-ide-<version>.vsix instead of `npm run package`
//
// Run 1 (telemetry allowed): diagnostics reach the Problems panel with Oso's messages (expected
// messages come from Oso's engine, npm `oso@0.27.3`); an edit updates them; a folder deleted on
// disk clears its diagnostics; batches flushed every 2 s go through a recording proxy to the
// collector, whose read API must report exactly what was sent, and every byte sent is checked for
// private data; the telemetry view shows the endpoint and the last batch's day; then
// `oso.polarLanguageServer.metrics.enabled: off` stops sending at once (the view says why); then,
// with nothing sent any more, the language features: the completion popup offers a role declared
// in a resource block, a rename (F2) edits two files, a file outside every folder and an untitled
// Polar buffer get Oso's diagnostics as one-file policies, and no root's document is served twice;
// a quick fix chosen from the Ctrl+. menu removes its diagnostic (lib/quick-fix.mjs).
// Run 2 (`telemetry.telemetryLevel: off`): the same session sends nothing at all.
// Screenshots and result.json go to <repo>/.artifacts/e2e/. Exit status 1 on any failed check.
//
// The steps are the named functions below, in the order `main` runs them; lib/ holds the harness
// (checks, timings, processes), Oso's expectations, the collector + proxy and the workbench UI.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { checkClasses } from "./lib/classes.mjs";
import { checkFormatDocument } from "./lib/format.mjs";
import { eventsOf, PROJECT_TOKEN, startCollectorBehindProxy, summary } from "./lib/collector.mjs";
import { checkQuickFix } from "./lib/quick-fix.mjs";
import {
  ARTIFACTS,
  REPO,
  check,
  checks,
  log,
  since,
  T0,
  sleep,
  sortKeys,
  stopAll,
  timings,
  waitFor,
} from "./lib/harness.mjs";
import {
  DOCS_FIX,
  codesWhileTyping,
  FEATURE_FILES,
  LOOSE_POLICY,
  POLICIES,
  UNTITLED_POLICY,
  expectedMessages,
  firstMessage,
  makeWorkspace,
} from "./lib/oso.mjs";
import {
  messageShown,
  openFile,
  openPath,
  openProblems,
  gotoText,
  markerRows,
  problems,
  pickExactly,
  runCommand,
  runCommandExactly,
  session,
  showTelemetryView,
  suggestions,
  waitForRows,
  problemsMatching,
} from "./lib/workbench.mjs";

const FLUSH_SECONDS = 2;
const CODE_PROPERTY = /^(ParseError|ValidationError|ValidationWarning|OperationalError)_\w+_count$/;

/** code-server (installed when missing) and the .vsix (built unless E2E_SKIP_BUILD=1 and present). */
function prepareTools() {
  let t = Date.now();
  const codeServer = execFileSync("bash", [join(REPO, "scripts/install-code-server.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop();
  timings.installCodeServerMs = Date.now() - t;
  const version = JSON.parse(fs.readFileSync(join(REPO, "packages/vscode-extension/package.json"), "utf8")).version;
  const vsix = join(REPO, ".artifacts", `polar-ide-${version}.vsix`);
  t = Date.now();
  if (!(process.env.E2E_SKIP_BUILD === "1" && fs.existsSync(vsix))) {
    execFileSync("npm", ["run", "package"], { cwd: REPO, stdio: ["ignore", "inherit", "inherit"] });
  }
  timings.packageMs = Date.now() - t;
  check("the .vsix exists", fs.existsSync(vsix), vsix);
  return { codeServer, vsix };
}

/** Run 1: the initial diagnostics of every project root are Oso's. Returns the codes shown. */
async function checkInitialDiagnostics(s, expected) {
  await openProblems(s.page);
  const initial = await waitForRows(
    s.page,
    "initial diagnostics in the Problems panel",
    (rows) => expected.every((m) => messageShown(rows, m)) && rows.length >= expected.length,
    90_000,
  ).catch((e) => (check("initial diagnostics", false, String(e)), []));
  timings.run1DiagnosticsFromPageLoadMs = Date.now() - s.pageLoadedAt;
  await s.page.screenshot({ path: join(ARTIFACTS, "1-initial-problems.png") });
  check(
    "Problems panel shows Oso's messages for every project root",
    expected.every((m) => messageShown(initial, m)),
    { expected, shown: initial },
  );
  check("Problems panel shows nothing else", initial.length === expected.length, initial);
  const statusProblems = await s.page
    .locator("#status\\.problems")
    .getAttribute("aria-label")
    .catch(() => null);
  log(`status bar: ${statusProblems}`);
  return new Set(
    initial
      .map((l) => /((?:ParseError|ValidationError|ValidationWarning|OperationalError)::\w+)/.exec(l)?.[1])
      .filter(Boolean),
  );
}

/** Run 1: an edit in an editor (define the missing rule in docs.polar) clears its error only. */
async function checkEdit(s, expected) {
  await openFile(s.page, "docs.polar");
  await s.page.keyboard.press("Control+End");
  await s.page.keyboard.insertText(DOCS_FIX);
  const docsMessage = firstMessage(POLICIES["services/docs/docs.polar"]);
  const t = Date.now();
  const afterEdit = await waitForRows(
    s.page,
    "the edit to clear docs.polar's error",
    (rows) => !messageShown(rows, docsMessage),
  ).catch((e) => (check("edit updates diagnostics", false, String(e)), null));
  timings.editToDiagnosticsMs = Date.now() - t;
  if (afterEdit) {
    const stillExpected = expected.filter((m) => m !== docsMessage);
    check(
      "an edit updates the diagnostics (fixed error gone, others kept)",
      stillExpected.every((m) => messageShown(afterEdit, m)),
      afterEdit,
    );
  }
  await s.page.screenshot({ path: join(ARTIFACTS, "2-after-edit.png") });
  await s.page.keyboard.press("Control+S");
}

/** Run 1: a folder deleted on disk (as `rm -r` in a terminal would) loses its diagnostics. */
async function checkFolderDelete(s, ws) {
  const brokenMessage = firstMessage(POLICIES["app/extra/broken.polar"]);
  fs.rmSync(join(ws, "app/extra"), { recursive: true, force: true });
  const t = Date.now();
  const afterDelete = await waitForRows(
    s.page,
    "deleted folder's diagnostics to clear",
    (rows) => !messageShown(rows, brokenMessage) && !rows.some((r) => r.includes("broken.polar")),
  ).catch((e) => (check("deleted folder clears diagnostics", false, String(e)), null));
  timings.deleteToClearMs = Date.now() - t;
  if (afterDelete) check("a folder deleted on disk clears its diagnostics", true);
  await s.page.screenshot({ path: join(ARTIFACTS, "3-after-folder-delete.png") });
}

/** Run 1: what reached the collector is exactly what was sent, and adds up. Returns the events sent. */
async function checkTelemetryMatchesCollector(s, net, codesShown) {
  const { requests, collectorPort } = net;
  const accepted = () => requests.filter((r) => r.url?.startsWith("/track") && r.status === 200);
  await waitFor("a telemetry batch to reach the collector", () => accepted().length > 0, 30_000).catch((e) =>
    check("a batch reaches the collector", false, String(e)),
  );
  timings.firstBatchFromPageLoadMs = requests[0] ? requests[0].at - (s.pageLoadedAt - T0) : null;
  // Quiet period: two flush intervals plus the 1 s debounce without new loads.
  await sleep((FLUSH_SECONDS * 2 + 2) * 1000);
  const sent = accepted().flatMap(eventsOf);
  const stats = await summary(collectorPort);
  fs.writeFileSync(join(ARTIFACTS, "summary-run1.json"), JSON.stringify(stats, null, 2));
  const insertIds = new Set(sent.map((e) => e.properties.$insert_id));
  check("batches reached the real collector", sent.length > 0, { requests: requests.length });
  check("collector: events = distinct events sent", stats.events === insertIds.size, {
    events: stats.events,
    sent: insertIds.size,
  });
  const folders = new Set(sent.map((e) => e.properties.workspace_folder));
  check("collector: distinct workspaces = 2 workspace folders", stats.distinct_workspaces === 2 && folders.size === 2, {
    collector: stats.distinct_workspaces,
    sent: folders.size,
  });
  check("collector: one distinct user", stats.distinct_users === 1, stats.distinct_users);
  const sentCodes = {};
  for (const e of sent) {
    for (const [k, v] of Object.entries(e.properties)) {
      if (CODE_PROPERTY.test(k) && v > 0) sentCodes[k] = (sentCodes[k] ?? 0) + v;
    }
  }
  const codeRows = Object.fromEntries(stats.codes.filter((c) => c.occurrences > 0).map((c) => [c.code, c.occurrences]));
  const normalized = Object.fromEntries(
    Object.entries(codeRows).map(([c, n]) => [c.replace(/::/g, "_") + (c.endsWith("_count") ? "" : "_count"), n]),
  );
  check(
    "collector: per-code occurrences = what was sent",
    JSON.stringify(sortKeys(normalized)) === JSON.stringify(sortKeys(sentCodes)),
    { collector: codeRows, sent: sentCodes },
  );
  const asProp = (c) => c.replace(/::/g, "_") + "_count";
  const shownAsProps = [...codesShown].map(asProp).sort();
  // The edit is typed into the editor: on a loaded machine the server may analyse (and count) a
  // half-typed state of it, a load the user really had. Such codes are allowed, nothing else.
  const transient = new Set(codesWhileTyping(POLICIES["services/docs/docs.polar"], DOCS_FIX).map(asProp));
  const sentNames = Object.keys(sentCodes).sort();
  const unexplained = sentNames.filter((c) => !shownAsProps.includes(c) && !transient.has(c));
  if (sentNames.some((c) => !shownAsProps.includes(c))) log(`codes of a half-typed edit sent: ${sentNames}`);
  check(
    "codes sent = codes shown in the Problems panel (plus a half-typed edit's)",
    shownAsProps.every((c) => sentNames.includes(c)) && unexplained.length === 0,
    { sent: sentNames, shown: shownAsProps, unexplained },
  );
  check(
    "every event adds up (errors + warnings = diagnostics = sum of code counts)",
    sent.every((e) => {
      const p = e.properties;
      const codeSum = Object.entries(p)
        .filter(([k]) => CODE_PROPERTY.test(k))
        .reduce((sum, [, v]) => sum + v, p.unknown_diagnostic_count);
      return p.error_count + p.warning_count === p.diagnostic_count && codeSum === p.diagnostic_count;
    }),
  );
  return sent;
}

/** Run 1: nothing identifying in any byte sent. */
function checkPrivacy(requests, sent, ws, scratchRoot) {
  const bytes = requests
    .map((r) => `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}\n${JSON.stringify(eventsOf(r))}`)
    .join("\n");
  const forbidden = [
    ["workspace path", ws],
    ["scratch path", scratchRoot],
    ["folder name", "services"],
    ["folder name", "billing"],
    ["file name", "policy.polar"],
    ["file URI", "file:"],
    ["user name", os.userInfo().username],
    ["host name", os.hostname()],
    ["home directory", os.homedir()],
  ];
  const leaks = forbidden.filter(([, s]) => s && s.length >= 4 && bytes.includes(s));
  check("no path, URI, user or host name in the bytes sent", leaks.length === 0, leaks);
  check(
    "no UUID-shaped id (raw machineId / session id) in the bytes sent",
    !/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(bytes),
  );
  const propNames = new Set(sent.flatMap((e) => Object.keys(e.properties)));
  check(
    "no time, session or IP property sent",
    !["time", "$time", "timestamp", "vscodesessionid", "sessionId", "ip", "$ip"].some((n) => propNames.has(n)),
    [...propNames],
  );
  check(
    "no timestamp value sent",
    !/\b1[6-9]\d{8}(\d{3})?\b|\d{4}-\d{2}-\d{2}T/.test(sent.map((e) => JSON.stringify(e)).join("")),
  );
  // code-server's web client is VS Code Server's (`appHost` = server-distro), and its remote
  // authority is a host:port, not a known remote kind: it must arrive as `other`, never as itself.
  check(
    "environment values are on their allow-lists (app host, remote kind, extension id)",
    sent.every(
      (e) =>
        e.properties.product === "server-distro" &&
        e.properties.remotename === "other" &&
        e.properties.extname === "polar-ide.polar-ide",
    ),
    sent.map((e) => [e.properties.product, e.properties.remotename, e.properties.extname]),
  );
}

/** Run 1: the read-only telemetry view says collection is on, where to, and the last batch's UTC day. */
async function checkTelemetryView(s, proxyPort) {
  const today = new Date().toISOString().slice(0, 10);
  const endpoint = `http://127.0.0.1:${proxyPort}/track`;
  const text = await showTelemetryView(s.page, "the telemetry view", (t) => t.includes("Collection is on"));
  check("Show Pending Telemetry: the view says collection is on", text !== null, text);
  check("the view names the endpoint", text?.includes(endpoint) === true, text);
  check("the view shows the pending payload", /## Pending: \d+ event\(s\)/.test(text ?? ""), text);
  check(
    "the view shows the last batch sent with its UTC day",
    text?.includes(`Last batch sent: ${today}`) === true,
    text,
  );
  await s.page.screenshot({ path: join(ARTIFACTS, "4-telemetry-view.png") });
}

/** Run 1: metrics.enabled off (the extension's own switch), set as a user does: sending stops at once. */
async function switchMetricsOff(s, ws, baseSettings, requests) {
  // Preferences: Open User Settings (JSON), edit, save (writing the file behind VS Code's back is
  // not noticed reliably by code-server). The view then tells when the extension has switched off.
  await runCommand(s.page, "Preferences: Open User Settings (JSON)");
  await s.page.waitForSelector('.tab.active[aria-label*="settings.json"]', { timeout: 15_000 }).catch(() => null);
  await sleep(800);
  await s.page.keyboard.press("Control+A");
  await s.page.keyboard.insertText(
    JSON.stringify({ ...baseSettings, "oso.polarLanguageServer.metrics.enabled": "off" }),
  );
  await s.page.keyboard.press("Control+S");
  await sleep(500);
  const offView = await showTelemetryView(s.page, "the view to report telemetry off", (t) =>
    t.includes("Collection is off"),
  );
  check(
    "metrics.enabled off: the view says collection is off, and which switch",
    offView?.includes('oso.polarLanguageServer.metrics.enabled is "off"') === true,
    offView,
  );
  await s.page.screenshot({ path: join(ARTIFACTS, "5-telemetry-view-off.png") });
  const before = requests.length;
  fs.appendFileSync(join(ws, "app/policy.polar"), 'allow(actor, "write", doc) if doc.owner = actor;\n');
  await sleep((FLUSH_SECONDS * 3 + 2) * 1000);
  check(
    "metrics.enabled off: nothing more is sent",
    requests.length === before,
    requests.slice(before).map((r) => r.url),
  );
}

/** Run 1: "Polar: Restart Language Server" restarts, and the diagnostics come back. */
async function checkRestart(s, ws) {
  fs.writeFileSync(join(ws, "services/billing/billing.polar"), POLICIES["services/billing/billing.polar"]);
  await runCommand(s.page, "Polar: Restart Language Server");
  const billingMessage = firstMessage(POLICIES["services/billing/billing.polar"]);
  const afterRestart = await waitForRows(s.page, "diagnostics after restart", (rows) =>
    messageShown(rows, billingMessage),
  ).catch(() => null);
  check("Polar: Restart Language Server restarts and diagnostics return", afterRestart !== null, afterRestart);
  // Every root's server has published by now; VS Code still holds the deleted file's model.
  await sleep(3000);
  const settled = markerRows(await problems(s.page));
  check(
    "after the restart, the folder deleted earlier stays without diagnostics",
    afterRestart !== null && !messageShown(settled, firstMessage(POLICIES["app/extra/broken.polar"])),
    settled,
  );
  await s.page.screenshot({ path: join(ARTIFACTS, "workbench.png") });
}

/** Run 1: typing a shorthand rule in a resource block pops up completion with a declared role. */
async function checkCompletion(s, ws) {
  for (const [rel, text] of Object.entries(FEATURE_FILES)) fs.writeFileSync(join(ws, rel), text);
  await openFile(s.page, "repo.polar");
  const anchor = '"read" if "reader";';
  await gotoText(s.page, FEATURE_FILES["app/repo.polar"], anchor, anchor.length);
  await s.page.keyboard.press("Enter");
  // Typed key by key: `"` is a trigger character (and auto-closes).
  await s.page.keyboard.type('"push" if "', { delay: 60 });
  const t = Date.now();
  const withRole = (rows) => rows.some((r) => r.includes("maintainer"));
  let rows = await waitFor("the completion popup", async () => withRole(await suggestions(s.page)), 10_000)
    .then(() => suggestions(s.page))
    .catch(() => null);
  if (rows === null) {
    // Not popped up by the trigger character: ask for it (Trigger Suggest).
    await s.page.keyboard.press("Control+Space");
    rows = await waitFor("the completion popup (Ctrl+Space)", async () => withRole(await suggestions(s.page)), 10_000)
      .then(() => suggestions(s.page))
      .catch(() => null);
  }
  timings.completionPopupMs = Date.now() - t;
  await s.page.screenshot({ path: join(ARTIFACTS, "7-completion.png") });
  const shown = rows ?? (await suggestions(s.page));
  check(
    "completion: the popup offers the roles declared in the resource block",
    rows !== null && withRole(shown),
    shown,
  );
  check(
    "completion: both declared roles are offered",
    shown.some((r) => r.includes("reader")) && shown.some((r) => r.includes("maintainer")),
    shown,
  );
  await s.page.keyboard.press("Escape");
  await runCommandExactly(s.page, "File: Revert File");
  await sleep(500);
}

/** Run 1: F2 on a rule call renames the rule in both files of the root (saved, then read from disk). */
async function checkRename(s, ws) {
  await openFile(s.page, "limits.polar");
  await gotoText(s.page, FEATURE_FILES["services/billing/limits.polar"], "if pay(", "if p".length);
  await s.page.keyboard.press("F2");
  const box = await s.page.waitForSelector(".rename-box input", { timeout: 15_000 }).catch(() => null);
  check("rename: F2 opens the rename box", box !== null);
  if (box === null) {
    await s.page.screenshot({ path: join(ARTIFACTS, "8-rename-no-box.png") });
    return;
  }
  await box.fill("settle");
  await box.press("Enter");
  await sleep(1000);
  // Both files, the one not open in an editor too. (Not the palette's fuzzy "File: Save All",
  // which picks File: Toggle Auto Save.)
  await runCommandExactly(s.page, "File: Save All Files").catch(async () => {
    await s.page.keyboard.press("Escape");
    await s.page.keyboard.press("Control+K");
    await s.page.keyboard.press("s");
  });
  const files = {
    "services/billing/billing.polar": "settle(user, invoice) if invoice.payer = user;\n",
    "services/billing/limits.polar": 'allow(user, "pay", invoice) if settle(user, invoice);\n',
  };
  const onDisk = () => Object.fromEntries(Object.keys(files).map((f) => [f, fs.readFileSync(join(ws, f), "utf8")]));
  const renamed = await waitFor(
    "the rename saved in both files",
    () => Object.entries(onDisk()).every(([f, text]) => text === files[f]),
    15_000,
  ).catch(() => false);
  await s.page.screenshot({ path: join(ARTIFACTS, "8-rename.png") });
  check("rename: the rule and its call are renamed in two files (and nothing else)", renamed, {
    expected: files,
    onDisk: onDisk(),
  });
}

/**
 * Run 1: a file outside every workspace folder and an untitled Polar buffer get Oso's diagnostics
 * (one-file policies), while the roots' rows stay as they were (nothing served twice).
 */
async function checkOneFilePolicies(s, scratchRoot) {
  await openProblems(s.page);
  await sleep(2000);
  const before = markerRows(await problems(s.page)).sort();
  const loosePath = join(scratchRoot, "loose", "single.polar");
  fs.mkdirSync(join(scratchRoot, "loose"), { recursive: true });
  fs.writeFileSync(loosePath, LOOSE_POLICY);
  await openPath(s.page, loosePath, "single.polar");
  const looseMessage = firstMessage(LOOSE_POLICY);
  const loose = await waitForRows(
    s.page,
    "the loose file's diagnostics",
    (rows) => messageShown(rows, looseMessage),
    30_000,
    (page) => problemsMatching(page, "loose_rule"),
  ).catch(() => null);
  check("a .polar file outside every folder gets Oso's diagnostics", loose !== null, { looseMessage, loose });

  await runCommandExactly(s.page, "File: New Untitled Text File");
  await s.page.waitForSelector('.tab.active[aria-label*="Untitled"]', { timeout: 10_000 }).catch(() => null);
  await runCommandExactly(s.page, "Change Language Mode");
  await pickExactly(s.page, "Polar", "Polar");
  await sleep(800);
  await s.page.keyboard.insertText(UNTITLED_POLICY);
  const untitledMessage = firstMessage(UNTITLED_POLICY);
  const untitled = await waitForRows(
    s.page,
    "the untitled buffer's diagnostics",
    (rows) => messageShown(rows, untitledMessage),
    30_000,
    (page) => problemsMatching(page, "untitled_rule"),
  ).catch(() => null);
  await s.page.screenshot({ path: join(ARTIFACTS, "9-one-file-policies.png") });
  check("an untitled Polar buffer gets Oso's diagnostics", untitled !== null, { untitledMessage, untitled });
  const after = markerRows(await problems(s.page))
    .filter((r) => !r.includes(looseMessage) && !r.includes(untitledMessage))
    .sort();
  check(
    "the roots' diagnostics are unchanged by the one-file server (no document served twice)",
    JSON.stringify(after) === JSON.stringify(before),
    { before, after },
  );
}

/** Run 2: VS Code's telemetry off → the extension works, nothing is sent at all (not even at shutdown). */
async function runTelemetryLevelOff({ tools, scratchRoot, baseSettings, requests, logDir }) {
  const run2Start = requests.length;
  const ws = join(scratchRoot, "ws2");
  const wsFile = makeWorkspace(ws);
  const expected = expectedMessages(ws);
  const s = await session({
    name: "run2",
    ...tools,
    scratch: join(scratchRoot, "run2"),
    settings: { ...baseSettings, "telemetry.telemetryLevel": "off" },
    wsFile,
    logDir,
  });
  await openProblems(s.page);
  const initial = await waitForRows(
    s.page,
    "diagnostics with telemetry off",
    (rows) => expected.every((m) => messageShown(rows, m)),
    90_000,
  ).catch(() => null);
  check("telemetry off: the extension still works (diagnostics shown)", initial !== null, initial);
  await openFile(s.page, "docs.polar");
  await s.page.keyboard.press("Control+End");
  await s.page.keyboard.insertText(DOCS_FIX);
  await sleep((FLUSH_SECONDS * 3 + 2) * 1000);
  const view = await showTelemetryView(s.page, "the view with telemetry off", (t) => t.includes("Collection is off"));
  check(
    "telemetryLevel off: the view names VS Code's setting",
    view?.includes("telemetry.telemetryLevel") === true,
    view,
  );
  await s.page.screenshot({ path: join(ARTIFACTS, "6-telemetry-off.png") });
  await s.browser.close();
  await stopAll();
  await sleep(500);
  check(
    "telemetry.telemetryLevel off: nothing is sent",
    requests.length === run2Start,
    requests.slice(run2Start).map((r) => r.url),
  );
}

async function main() {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const scratchRoot = fs.mkdtempSync(join(os.tmpdir(), "polar-e2e-"));
  const logDir = join(ARTIFACTS, "logs");
  fs.mkdirSync(logDir, { recursive: true });

  const tools = prepareTools();
  const net = await startCollectorBehindProxy({ dbDir: join(scratchRoot, "collector"), logDir });
  const baseSettings = {
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "workbench.enableExperiments": false,
    "workbench.startupEditor": "none",
    // The completion check must see the server's items, not words of the document.
    "editor.wordBasedSuggestions": "off",
    "oso.polarLanguageServer.telemetry.endpoint": `http://127.0.0.1:${net.proxyPort}/track`,
    "oso.polarLanguageServer.telemetry.token": PROJECT_TOKEN,
    "oso.polarLanguageServer.telemetry.flushIntervalSeconds": FLUSH_SECONDS,
  };

  // Run 1: telemetry allowed.
  const ws = join(scratchRoot, "ws1");
  const wsFile = makeWorkspace(ws);
  const expected = expectedMessages(ws);
  log(`expected (Oso): ${JSON.stringify(expected)}`);
  const s1 = await session({
    name: "run1",
    ...tools,
    scratch: join(scratchRoot, "run1"),
    settings: baseSettings,
    wsFile,
    logDir,
  });
  const codesShown = await checkInitialDiagnostics(s1, expected);
  await checkEdit(s1, expected);
  await checkFolderDelete(s1, ws);
  const sent = await checkTelemetryMatchesCollector(s1, net, codesShown);
  checkPrivacy(net.requests, sent, ws, scratchRoot);
  await checkTelemetryView(s1, net.proxyPort);
  await switchMetricsOff(s1, ws, baseSettings, net.requests);
  await checkRestart(s1, ws);
  await checkCompletion(s1, ws);
  await checkRename(s1, ws);
  await checkOneFilePolicies(s1, scratchRoot);
  await checkQuickFix(s1, ws);
  await checkClasses(s1, ws);
  await checkFormatDocument(s1, ws);
  fs.writeFileSync(join(ARTIFACTS, "console-errors-run1.json"), JSON.stringify(s1.consoleErrors, null, 2));
  await s1.browser.close();
  await stopAll((c) => c.spawnfile !== process.execPath); // code-server of run 1; the collector stays
  await sleep(1500);

  // Run 2: VS Code's telemetry off.
  await runTelemetryLevelOff({ tools, scratchRoot, baseSettings, requests: net.requests, logDir });
  net.proxy.close();

  const failed = checks.filter((c) => !c.ok);
  timings.totalMs = since();
  fs.writeFileSync(
    join(ARTIFACTS, "result.json"),
    JSON.stringify({ ok: failed.length === 0, timings, checks, ...tools }, null, 2),
  );
  console.log(JSON.stringify(timings, null, 2));
  console.log(`${checks.length - failed.length} passed, ${failed.length} failed`);
  fs.rmSync(scratchRoot, { recursive: true, force: true });
  if (failed.length > 0) process.exitCode = 1;
}

main()
  .catch((e) => {
    console.error("e2e FAILED:", e);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
