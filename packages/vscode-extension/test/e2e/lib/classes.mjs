// The application's classes in run 1, in the `services/billing` root (the one the earlier checks
// leave loadable: the completion check leaves `app` with a half-typed line, and a root whose
// policy does not parse reports no class, in Oso as here). A file with a resource block `Invoice`
// is added, which Oso's editor view never reports. A polar.json written at the root on disk,
// registering only `User`, makes the server report what Oso's engine reports when an application
// registers `User` ("Unregistered class: Invoice", computed by oso@0.27.3 from the root's files);
// deleting polar.json takes it away again. Both go through VS Code's file watcher (the server's
// dynamic registration for polar.json) to the language server. Then the same classes as the user
// setting `oso.polarLanguageServer.classes` (sent by the extension as workspace/didChangeConfiguration,
// no restart) and back; the added file is removed at the end. Screenshots: 12-polar-json-classes.png,
// 13-polar-json-deleted.png, 15-classes-setting.png.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ARTIFACTS, check, sleep, timings, waitFor } from "./harness.mjs";
import { markerRows, openProblems, problemsMatching, runCommandExactly } from "./workbench.mjs";

const require = createRequire(import.meta.url);
const { Oso } = require("oso");

const ROOT = "services/billing";
const FILE = "accounts.polar";
const TEXT = "actor User {}\n\nresource Invoice {}\n\nallow(_actor, _action, _resource) if accounts_rule();\n";
/** Reported with or without classes: tells that the server has loaded FILE. */
const LOADED = "Call to undefined rule: accounts_rule()";
const REGISTERED = ["User"];

/** The first line of what Oso reports loading `paths` in an application that registered `classes`. */
async function osoWithClasses(paths, classes) {
  const oso = new Oso();
  for (const name of classes) oso.registerClass(class {}, { name });
  try {
    await oso.loadFiles(paths);
    return null;
  } catch (e) {
    const message = String(e.message ?? e).split("\n")[0];
    const at = message.search(/ at line \d+, column \d+/);
    return (at < 0 ? message : message.slice(0, at)).replace(/^\w+::\w+: /, "").trim();
  }
}

const rowsAbout = async (page, message) => markerRows(await problemsMatching(page, message));

/** Run 1: a polar.json with classes makes an UnregisteredClass appear; deleting it clears it. */
export async function checkClasses(s, ws) {
  const root = join(ws, ROOT);
  fs.writeFileSync(join(root, FILE), TEXT);
  try {
    // A failure is a failed check, never an exception that would end the run.
    await checkPolarJson(s, root).catch((e) => check("classes: the checks ran", false, String(e)));
  } finally {
    fs.rmSync(join(root, "polar.json"), { force: true });
    fs.rmSync(join(root, FILE), { force: true });
  }
}

async function checkPolarJson(s, root) {
  const polarFiles = fs
    .readdirSync(root)
    .filter((f) => f.endsWith(".polar"))
    .map((f) => join(root, f));
  const message = await osoWithClasses(polarFiles, REGISTERED);
  check(
    "classes: Oso reports an unregistered class for the billing root",
    message === "Unregistered class: Invoice",
    message,
  );
  if (message === null) return;
  await openProblems(s.page);
  const loaded = await waitFor(
    `${FILE} loaded by the server`,
    async () => (await rowsAbout(s.page, LOADED)).length > 0,
    30_000,
  ).catch(() => false);
  check(
    "classes: without polar.json it is not reported (Oso's editor view)",
    loaded && (await rowsAbout(s.page, message)).length === 0,
    { loaded, rows: await rowsAbout(s.page, message) },
  );

  const config = join(root, "polar.json");
  fs.writeFileSync(config, JSON.stringify({ classes: Object.fromEntries(REGISTERED.map((c) => [c, {}])) }, null, 2));
  let t = Date.now();
  const shown = await waitFor(
    "UnregisteredClass after polar.json appears",
    async () => {
      const rows = await rowsAbout(s.page, message);
      return rows.some((r) => r.includes("UnregisteredClass")) ? rows : null;
    },
    30_000,
  ).catch(() => null);
  timings.polarJsonToDiagnosticMs = Date.now() - t;
  await s.page.screenshot({ path: join(ARTIFACTS, "12-polar-json-classes.png") });
  check("classes: a polar.json with classes makes an UnregisteredClass appear", shown !== null, {
    message,
    rows: shown ?? (await rowsAbout(s.page, "Unregistered")),
  });

  fs.rmSync(config);
  t = Date.now();
  const gone = await waitFor(
    "UnregisteredClass gone after polar.json is deleted",
    async () => (await rowsAbout(s.page, message)).length === 0,
    30_000,
  ).catch(() => false);
  timings.polarJsonDeletedToClearedMs = Date.now() - t;
  await s.page.screenshot({ path: join(ARTIFACTS, "13-polar-json-deleted.png") });
  check("classes: deleting polar.json takes it away again", gone, await rowsAbout(s.page, message));

  // The same classes as the user setting: the extension sends it (didChangeConfiguration), no restart.
  // A failure here is a failed check, never an exception that would end the run.
  await checkClassesSetting(s, message).catch((e) => check("classes: the setting checks ran", false, String(e)));
}

async function checkClassesSetting(s, message) {
  const settings = { ...s.settings, "oso.polarLanguageServer.metrics.enabled": "off" };
  await writeUserSettings(s, { ...settings, "oso.polarLanguageServer.classes": { User: {} } });
  await openProblems(s.page);
  const bySetting = await waitFor(
    "UnregisteredClass from the classes setting",
    async () => ((await rowsAbout(s.page, message)).some((r) => r.includes("UnregisteredClass")) ? true : null),
    30_000,
  ).catch(() => false);
  await s.page.screenshot({ path: join(ARTIFACTS, "15-classes-setting.png") });
  check(
    "classes: the oso.polarLanguageServer.classes setting does the same",
    bySetting,
    await rowsAbout(s.page, message),
  );
  // Back to the settings of run 1; the settings editor closed for the checks that follow.
  await writeUserSettings(s, settings);
  // Picked by its exact title: a half-filtered palette would run whatever was listed first.
  await runCommandExactly(s.page, "View: Close Editor");
  await s.page.keyboard.press("Escape");
  await openProblems(s.page);
  const cleared = await waitFor(
    "UnregisteredClass gone with the setting",
    async () => (await rowsAbout(s.page, message)).length === 0,
    30_000,
  ).catch(() => false);
  check("classes: removing the setting takes it away", cleared, await rowsAbout(s.page, message));
}

/** Replaces the user settings through the settings.json editor (a file written behind code-server's back is not noticed reliably). */
async function writeUserSettings(s, settings) {
  await runCommandExactly(s.page, "Preferences: Open User Settings (JSON)");
  await s.page.waitForSelector('.tab.active[aria-label*="settings.json"]', { timeout: 15_000 }).catch(() => null);
  await sleep(800);
  await s.page.keyboard.press("Control+A");
  await s.page.keyboard.insertText(JSON.stringify(settings));
  // The editor's auto-closing leaves the brackets and quotes it added after the typed text: drop them.
  await s.page.keyboard.press("Control+Shift+End");
  await s.page.keyboard.press("Delete");
  await s.page.keyboard.press("Control+S");
  const saved = await waitFor(
    "settings.json saved",
    () => JSON.stringify(JSON.parse(fs.readFileSync(s.settingsFile, "utf8"))) === JSON.stringify(settings),
    10_000,
  ).catch(() => false);
  check(
    "classes: user settings written through the settings.json editor",
    saved,
    fs.readFileSync(s.settingsFile, "utf8"),
  );
}
