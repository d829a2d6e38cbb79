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
// private data; then `oso.polarLanguageServer.metrics.enabled: off` stops sending at once.
// Run 2 (`telemetry.telemetryLevel: off`): the same session sends nothing at all.
// Screenshots and result.json go to <repo>/.artifacts/e2e/. Exit status 1 on any failed check.
import { execFileSync, spawn } from "node:child_process";
import { createServer, request } from "node:http";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL, URLSearchParams } from "node:url";
/* global fetch */

const require = createRequire(import.meta.url);
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const ARTIFACTS = join(REPO, ".artifacts", "e2e");
const FLUSH_SECONDS = 2;
const PROJECT_TOKEN = "e2e-token";
const READ_TOKEN = "e2e-read-token-0123456789";
const T0 = Date.now();
const timings = {};
const checks = [];
const children = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const since = () => Date.now() - T0;
const log = (m) => console.log(`[e2e +${(since() / 1000).toFixed(1)}s] ${m}`);

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail }) });
  console.log(
    `${ok ? "ok  " : "FAIL"} ${name}${ok || detail === undefined ? "" : `: ${JSON.stringify(detail).slice(0, 2000)}`}`,
  );
}

async function waitFor(what, fn, ms = 60_000, every = 200) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`timeout after ${ms} ms waiting for ${what} (last: ${String(last).slice(0, 500)})`);
}

function start(name, cmd, args, opts) {
  const out = fs.openSync(join(opts.logDir, `${name}.log`), "w");
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ["ignore", out, out], detached: true });
  children.push(child);
  return child;
}

async function stopAll() {
  for (const c of children.splice(0)) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const exited = await Promise.race([
      new Promise((r) => c.once("exit", () => r(true))),
      sleep(3000).then(() => false),
    ]);
    if (!exited) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Expected diagnostics: Oso's own engine on each project root.

const wasm = require("oso/dist/src/polar_wasm_api.js");

/** First error + warnings of Oso's engine, each without the " at line …" context. */
function osoLoad(files) {
  const polar = new wasm.Polar();
  const strip = (m) => {
    const i = m.search(/ at line \d+, column \d+ of file /);
    return (i < 0 ? m : m.slice(0, i)).trim();
  };
  const messages = [];
  try {
    polar.load(files.map(([filename, src]) => ({ filename, src })));
  } catch (e) {
    messages.push(strip(String(e.message ?? e)));
  }
  for (let m = polar.nextMessage(); m; m = polar.nextMessage()) messages.push(strip(m.msg));
  polar.free?.();
  return messages;
}

// ------------------------------------------------------------------------------------------------
// The workspace: two folders; `services` holds two policies (projectRoots).

const POLICIES = {
  "app/policy.polar": 'allow(actor, "read", doc) if doc.owner = actor;\n',
  "app/extra/broken.polar": "has_role(user, role) if user.role = role and;\n",
  "services/billing/billing.polar": "pay(user, invoice) if invoice.payer = user;\n",
  "services/docs/docs.polar": "allow(actor, action, resource) if can_read(actor, action, resource);\n",
  "services/.vscode/settings.json": JSON.stringify({ "oso.polarLanguageServer.projectRoots": ["billing", "docs/"] }),
};
const ROOTS = ["app", "services/billing", "services/docs"];
const DOCS_FIX = "can_read(_actor, _action, _resource);\n";

function makeWorkspace(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(POLICIES)) {
    fs.mkdirSync(join(dir, rel, ".."), { recursive: true });
    fs.writeFileSync(join(dir, rel), text);
  }
  const file = join(dir, "e2e.code-workspace");
  fs.writeFileSync(file, JSON.stringify({ folders: [{ path: "app" }, { path: "services" }], settings: {} }, null, 2));
  return file;
}

/** Oso's messages per root for the files currently on disk. */
function expectedMessages(dir) {
  const all = [];
  for (const root of ROOTS) {
    const files = [];
    const walk = (d) => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".polar")) files.push([pathToFileURL(p).href, fs.readFileSync(p, "utf8")]);
      }
    };
    walk(join(dir, root));
    if (files.length > 0) all.push(...osoLoad(files));
  }
  return all.map((m) => m.split("\n")[0]).sort();
}

// ------------------------------------------------------------------------------------------------
// Telemetry: the collector behind a proxy that records every request.

function startProxy(port, target, record) {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const upstream = request(
          { host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            const upChunks = [];
            up.on("data", (c) => upChunks.push(c));
            up.on("end", () => {
              const answer = Buffer.concat(upChunks).toString("utf8");
              record({
                at: since(),
                method: req.method,
                url: req.url,
                headers: req.headers,
                body: body.toString("utf8"),
                status: up.statusCode,
                answer,
              });
              res.writeHead(up.statusCode ?? 502, up.headers);
              res.end(answer);
            });
          },
        );
        upstream.on("error", (e) => {
          record({
            at: since(),
            method: req.method,
            url: req.url,
            body: body.toString("utf8"),
            status: 502,
            answer: String(e),
          });
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The events of one recorded `/track` request (form `data=<base64>` or a JSON body). */
function eventsOf(req) {
  const type = String(req.headers?.["content-type"] ?? "");
  if (type.includes("application/json")) return JSON.parse(req.body);
  const data = new URLSearchParams(req.body).get("data");
  return data === null ? [] : JSON.parse(Buffer.from(data, "base64").toString("utf8"));
}

async function summary(port) {
  const res = await fetch(`http://127.0.0.1:${port}/api/summary`, {
    headers: { authorization: `Bearer ${READ_TOKEN}` },
  });
  if (!res.ok) throw new Error(`summary ${res.status}`);
  return res.json();
}

// ------------------------------------------------------------------------------------------------
// VS Code in the browser.

async function problems(page) {
  const labels = await page
    .locator(".markers-panel .monaco-list-row")
    .evaluateAll((rows) => rows.map((r) => `${r.getAttribute("aria-label") ?? ""} ${r.textContent ?? ""}`));
  return labels;
}

async function openProblems(page) {
  if ((await page.locator(".markers-panel").count()) > 0 && (await page.locator(".markers-panel").isVisible())) return;
  await page.keyboard.press("Control+Shift+M");
  await page.waitForSelector(".markers-panel", { timeout: 15_000 });
}

async function runCommand(page, title) {
  await page.keyboard.press("Control+Shift+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  await page.keyboard.insertText(`>${title}`);
  await sleep(400);
  await page.keyboard.press("Enter");
}

async function openFile(page, name) {
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  await page.keyboard.insertText(name);
  await sleep(800);
  await page.keyboard.press("Enter");
  await page
    .waitForSelector(`.tab.active[aria-label*="${name}"], .tab.active [aria-label*="${name}"]`, { timeout: 10_000 })
    .catch(() => null);
  await sleep(500);
}

async function session({ name, codeServer, vsix, scratch, settings, wsFile, logDir }) {
  const home = join(scratch, "home");
  const tmp = join(scratch, "tmp");
  const userData = join(scratch, "user-data");
  const extDir = join(scratch, "extensions");
  for (const d of [home, tmp, join(userData, "User"), extDir]) fs.mkdirSync(d, { recursive: true });
  const settingsFile = join(userData, "User", "settings.json");
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  const env = {
    ...process.env,
    HOME: home,
    TMPDIR: tmp,
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_CONFIG_HOME: join(home, ".config"),
  };

  let t = Date.now();
  execFileSync(codeServer, ["--user-data-dir", userData, "--extensions-dir", extDir, "--install-extension", vsix], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  timings[`${name}.installExtensionMs`] = Date.now() - t;

  const port = await freePort();
  t = Date.now();
  start(
    `${name}-code-server`,
    codeServer,
    [
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--user-data-dir",
      userData,
      "--extensions-dir",
      extDir,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
    ],
    { env, logDir },
  );
  await waitFor(
    "code-server listening",
    () => fs.readFileSync(join(logDir, `${name}-code-server.log`), "utf8").includes("HTTP server listening"),
    60_000,
  );
  timings[`${name}.codeServerListeningMs`] = Date.now() - t;

  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text().slice(0, 300));
  });
  t = Date.now();
  await page.goto(`http://127.0.0.1:${port}/?workspace=${encodeURIComponent(wsFile)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  timings[`${name}.workbenchMs`] = Date.now() - t;
  return { page, browser, settingsFile, settings, consoleErrors, port, pageLoadedAt: t };
}

/** Problems-panel rows that are diagnostics (file rows have no "line"). */
const markerRows = (labels) => labels.filter((l) => /Polar Language Server/.test(l));

function messageShown(labels, message) {
  return labels.some((l) => l.includes(message));
}

// ------------------------------------------------------------------------------------------------

async function main() {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const scratchRoot = fs.mkdtempSync(join(os.tmpdir(), "polar-e2e-"));
  const logDir = join(ARTIFACTS, "logs");
  fs.mkdirSync(logDir, { recursive: true });

  // 1. Tools and the .vsix.
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

  // 2. Collector on SQLite behind a recording proxy.
  const collectorPort = await freePort();
  const proxyPort = await freePort();
  const dbDir = join(scratchRoot, "collector");
  fs.mkdirSync(dbDir, { recursive: true });
  start(
    "collector",
    process.execPath,
    [
      join(REPO, "packages/collector/dist/main.js"),
      "serve",
      "--port",
      String(collectorPort),
      "--db",
      `sqlite:${join(dbDir, "telemetry.db")}`,
      "--project-token",
      PROJECT_TOKEN,
      "--read-token",
      READ_TOKEN,
      "--k",
      "1",
    ],
    { env: process.env, logDir },
  );
  await waitFor("collector", () => summary(collectorPort), 30_000);
  const requests = [];
  const proxy = await startProxy(proxyPort, collectorPort, (r) => {
    requests.push(r);
    fs.appendFileSync(join(ARTIFACTS, "requests.jsonl"), JSON.stringify(r) + "\n");
  });
  const baseSettings = {
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "workbench.enableExperiments": false,
    "workbench.startupEditor": "none",
    "oso.polarLanguageServer.telemetry.endpoint": `http://127.0.0.1:${proxyPort}/track`,
    "oso.polarLanguageServer.telemetry.token": PROJECT_TOKEN,
    "oso.polarLanguageServer.telemetry.flushIntervalSeconds": FLUSH_SECONDS,
  };

  // ---------------------------------------------------------------------------------------------
  // Run 1: telemetry allowed.
  const ws1 = join(scratchRoot, "ws1");
  const wsFile1 = makeWorkspace(ws1);
  const expected = expectedMessages(ws1);
  log(`expected (Oso): ${JSON.stringify(expected)}`);
  const s1 = await session({
    name: "run1",
    codeServer,
    vsix,
    scratch: join(scratchRoot, "run1"),
    settings: baseSettings,
    wsFile: wsFile1,
    logDir,
  });
  const page = s1.page;
  await openProblems(page);
  t = Date.now();
  const initial = await waitFor(
    "initial diagnostics in the Problems panel",
    async () => {
      const rows = markerRows(await problems(page));
      return expected.every((m) => messageShown(rows, m)) && rows.length >= expected.length ? rows : null;
    },
    90_000,
  ).catch((e) => (check("initial diagnostics", false, String(e)), []));
  timings.run1DiagnosticsFromPageLoadMs = Date.now() - s1.pageLoadedAt;
  await page.screenshot({ path: join(ARTIFACTS, "1-initial-problems.png") });
  check(
    "Problems panel shows Oso's messages for every project root",
    expected.every((m) => messageShown(initial, m)),
    { expected, shown: initial },
  );
  check("Problems panel shows nothing else", initial.length === expected.length, initial);
  const statusProblems = await page
    .locator("#status\\.problems")
    .getAttribute("aria-label")
    .catch(() => null);
  log(`status bar: ${statusProblems}`);
  const codesShown = new Set(
    initial
      .map((l) => /((?:ParseError|ValidationError|ValidationWarning|OperationalError)::\w+)/.exec(l)?.[1])
      .filter(Boolean),
  );

  // An edit in an editor: define the missing rule in docs.polar → its error goes away.
  await openFile(page, "docs.polar");
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText(DOCS_FIX);
  const docsMessage = osoLoad([["x", POLICIES["services/docs/docs.polar"]]])[0].split("\n")[0];
  t = Date.now();
  const afterEdit = await waitFor(
    "the edit to clear docs.polar's error",
    async () => {
      const rows = markerRows(await problems(page));
      return !messageShown(rows, docsMessage) ? rows : null;
    },
    30_000,
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
  await page.screenshot({ path: join(ARTIFACTS, "2-after-edit.png") });
  await page.keyboard.press("Control+S");

  // A folder deleted on disk (as `rm -r` in a terminal would): its diagnostics disappear.
  const brokenMessage = osoLoad([["x", POLICIES["app/extra/broken.polar"]]])[0].split("\n")[0];
  fs.rmSync(join(ws1, "app/extra"), { recursive: true, force: true });
  t = Date.now();
  const afterDelete = await waitFor(
    "deleted folder's diagnostics to clear",
    async () => {
      const rows = markerRows(await problems(page));
      return !messageShown(rows, brokenMessage) && !rows.some((r) => r.includes("broken.polar")) ? rows : null;
    },
    30_000,
  ).catch((e) => (check("deleted folder clears diagnostics", false, String(e)), null));
  timings.deleteToClearMs = Date.now() - t;
  if (afterDelete) check("a folder deleted on disk clears its diagnostics", true);
  await page.screenshot({ path: join(ARTIFACTS, "3-after-folder-delete.png") });

  // Telemetry: wait for the batches of every state above to arrive, then compare with the read API.
  t = Date.now();
  const accepted = () => requests.filter((r) => r.url?.startsWith("/track") && r.status === 200);
  await waitFor("a telemetry batch to reach the collector", () => accepted().length > 0, 30_000).catch((e) =>
    check("a batch reaches the collector", false, String(e)),
  );
  timings.firstBatchFromPageLoadMs = requests[0] ? requests[0].at - (s1.pageLoadedAt - T0) : null;
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
      if (/^(ParseError|ValidationError|ValidationWarning|OperationalError)_\w+_count$/.test(k) && v > 0)
        sentCodes[k] = (sentCodes[k] ?? 0) + v;
    }
  }
  const codeRows = Object.fromEntries(stats.codes.filter((c) => c.occurrences > 0).map((c) => [c.code, c.occurrences]));
  const normalized = Object.fromEntries(
    Object.entries(codeRows).map(([c, n]) => [c.replace(/::/g, "_") + (c.endsWith("_count") ? "" : "_count"), n]),
  );
  check(
    "collector: per-code occurrences = what was sent",
    JSON.stringify(sortKeys(normalized)) === JSON.stringify(sortKeys(sentCodes)),
    {
      collector: codeRows,
      sent: sentCodes,
    },
  );
  const shownAsProps = [...codesShown].map((c) => c.replace(/::/g, "_") + "_count").sort();
  check(
    "codes sent = codes shown in the Problems panel",
    JSON.stringify(Object.keys(sentCodes).sort()) === JSON.stringify(shownAsProps),
    {
      sent: Object.keys(sentCodes),
      shown: shownAsProps,
    },
  );
  check(
    "every event adds up (errors + warnings = diagnostics = sum of code counts)",
    sent.every((e) => {
      const p = e.properties;
      const codeSum = Object.entries(p)
        .filter(([k]) => /^(ParseError|ValidationError|ValidationWarning|OperationalError)_\w+_count$/.test(k))
        .reduce((s, [, v]) => s + v, p.unknown_diagnostic_count);
      return p.error_count + p.warning_count === p.diagnostic_count && codeSum === p.diagnostic_count;
    }),
  );

  // Privacy: nothing identifying in any byte sent.
  const bytes = requests
    .map((r) => `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}\n${JSON.stringify(eventsOf(r))}`)
    .join("\n");
  const forbidden = [
    ["workspace path", ws1],
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

  // Show Pending Telemetry opens the JSON payload.
  await runCommand(page, "Polar: Show Pending Telemetry");
  const pendingShown = await waitFor(
    "pending telemetry document",
    async () => {
      const text = await page
        .locator(".monaco-editor .view-lines")
        .last()
        .innerText()
        .catch(() => "");
      return text.trim().startsWith("[") ? text : null;
    },
    15_000,
  ).catch(() => null);
  check("Polar: Show Pending Telemetry opens a JSON payload", pendingShown !== null, pendingShown);
  await page.screenshot({ path: join(ARTIFACTS, "4-pending-telemetry.png") });

  // metrics.enabled off (the extension's own switch) stops sending at once.
  // As a user does it: Preferences: Open User Settings (JSON), edit, save. (Writing the file
  // behind VS Code's back is not noticed reliably by code-server.) The command's answer tells
  // when the extension has switched off — the same answer a user would see.
  await runCommand(page, "Preferences: Open User Settings (JSON)");
  await page.waitForSelector('.tab.active[aria-label*="settings.json"]', { timeout: 15_000 }).catch(() => null);
  await sleep(800);
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(JSON.stringify({ ...baseSettings, "oso.polarLanguageServer.metrics.enabled": "off" }));
  await page.keyboard.press("Control+S");
  await sleep(500);
  const offSeen = await waitFor(
    "the extension to report telemetry off",
    async () => {
      await runCommand(page, "Polar: Show Pending Telemetry");
      await sleep(700);
      const toasts = await page.locator(".notification-list-item-message").allInnerTexts();
      return toasts.some((m) => m.includes("telemetry is off")) ? toasts : null;
    },
    30_000,
    1000,
  ).catch(() => null);
  check("metrics.enabled off is reported by Show Pending Telemetry", offSeen !== null, offSeen);
  const before = requests.length;
  fs.appendFileSync(join(ws1, "app/policy.polar"), 'allow(actor, "write", doc) if doc.owner = actor;\n');
  await sleep((FLUSH_SECONDS * 3 + 2) * 1000);
  check(
    "metrics.enabled off: nothing more is sent",
    requests.length === before,
    requests.slice(before).map((r) => r.url),
  );

  // The Restart command works and diagnostics come back.
  fs.writeFileSync(join(ws1, "services/billing/billing.polar"), POLICIES["services/billing/billing.polar"]);
  await runCommand(page, "Polar: Restart Language Server");
  const billingMessage = osoLoad([["x", POLICIES["services/billing/billing.polar"]]])[0].split("\n")[0];
  const afterRestart = await waitFor(
    "diagnostics after restart",
    async () => {
      const rows = markerRows(await problems(page));
      return messageShown(rows, billingMessage) ? rows : null;
    },
    30_000,
  ).catch(() => null);
  check("Polar: Restart Language Server restarts and diagnostics return", afterRestart !== null, afterRestart);
  await page.screenshot({ path: join(ARTIFACTS, "workbench.png") });
  fs.writeFileSync(join(ARTIFACTS, "console-errors-run1.json"), JSON.stringify(s1.consoleErrors, null, 2));
  await s1.browser.close();
  const run1Children = children.filter((c) => c.spawnfile !== process.execPath);
  for (const c of run1Children) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await sleep(1500);

  // ---------------------------------------------------------------------------------------------
  // Run 2: VS Code's telemetry off → nothing is sent at all (not even at shutdown).
  const run2Start = requests.length;
  const ws2 = join(scratchRoot, "ws2");
  const wsFile2 = makeWorkspace(ws2);
  const expected2 = expectedMessages(ws2);
  const s2 = await session({
    name: "run2",
    codeServer,
    vsix,
    scratch: join(scratchRoot, "run2"),
    settings: { ...baseSettings, "telemetry.telemetryLevel": "off" },
    wsFile: wsFile2,
    logDir,
  });
  await openProblems(s2.page);
  const initial2 = await waitFor(
    "diagnostics with telemetry off",
    async () => {
      const rows = markerRows(await problems(s2.page));
      return expected2.every((m) => messageShown(rows, m)) ? rows : null;
    },
    90_000,
  ).catch(() => null);
  check("telemetry off: the extension still works (diagnostics shown)", initial2 !== null, initial2);
  await openFile(s2.page, "docs.polar");
  await s2.page.keyboard.press("Control+End");
  await s2.page.keyboard.insertText(DOCS_FIX);
  await sleep((FLUSH_SECONDS * 3 + 2) * 1000);
  await runCommand(s2.page, "Polar: Show Pending Telemetry");
  await sleep(1500);
  await s2.page.screenshot({ path: join(ARTIFACTS, "5-telemetry-off.png") });
  await s2.browser.close();
  await stopAll();
  await sleep(500);
  check(
    "telemetry.telemetryLevel off: nothing is sent",
    requests.length === run2Start,
    requests.slice(run2Start).map((r) => r.url),
  );
  proxy.close();

  const failed = checks.filter((c) => !c.ok);
  timings.totalMs = since();
  const result = { ok: failed.length === 0, timings, checks, codeServer, vsix };
  fs.writeFileSync(join(ARTIFACTS, "result.json"), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(timings, null, 2));
  console.log(`${checks.length - failed.length} passed, ${failed.length} failed`);
  fs.rmSync(scratchRoot, { recursive: true, force: true });
  if (failed.length > 0) process.exitCode = 1;
}

function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

main()
  .catch(async (e) => {
    console.error("e2e FAILED:", e);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
  });
