// VS Code in the browser: one code-server session per run (its own profile, the .vsix installed),
// opened in headless Chromium (the launcher shared with the collector's dashboard test), and the
// few UI gestures the run needs.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { launchChromium } from "@polar-ide/testing";
import { freePort, sleep, start, timings, waitFor } from "./harness.mjs";

/** Starts code-server with a fresh profile and `settings`, and opens `wsFile` in Chromium. */
export async function session({ name, codeServer, vsix, scratch, settings, wsFile, logDir }) {
  const home = join(scratch, "home");
  const userData = join(scratch, "user-data");
  const extDir = join(scratch, "extensions");
  for (const d of [home, join(scratch, "tmp"), join(userData, "User"), extDir]) fs.mkdirSync(d, { recursive: true });
  const settingsFile = join(userData, "User", "settings.json");
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  const env = {
    ...process.env,
    HOME: home,
    TMPDIR: join(scratch, "tmp"),
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
  // prettier-ignore
  const flags = [
    "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--user-data-dir", userData, "--extensions-dir", extDir,
    "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
    "--disable-getting-started-override", "--ignore-last-opened",
  ];
  start(`${name}-code-server`, codeServer, flags, { env, logDir });
  await waitFor(
    "code-server listening",
    () => fs.readFileSync(join(logDir, `${name}-code-server.log`), "utf8").includes("HTTP server listening"),
    60_000,
  );
  timings[`${name}.codeServerListeningMs`] = Date.now() - t;

  const browser = await launchChromium();
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

/** Every row of the Problems panel (aria label + text). */
export async function problems(page) {
  return page
    .locator(".markers-panel .monaco-list-row")
    .evaluateAll((rows) => rows.map((r) => `${r.getAttribute("aria-label") ?? ""} ${r.textContent ?? ""}`));
}

/** Problems-panel rows that are diagnostics (file rows have no "line"). */
export const markerRows = (labels) => labels.filter((l) => /Polar Language Server/.test(l));

export const messageShown = (labels, message) => labels.some((l) => l.includes(message));

/** Diagnostic rows, polled until `done(rows)` holds. */
export function waitForRows(page, what, done, ms = 30_000, read = problems) {
  return waitFor(
    what,
    async () => {
      const rows = markerRows(await read(page));
      return done(rows) ? rows : null;
    },
    ms,
  );
}

/**
 * The Problems-panel rows whose text contains `text`, read through the panel's own filter box: the
 * panel's list is virtual (only the visible rows are in the DOM), so a diagnostic listed below a long
 * expanded warning would otherwise be missed. The filter is cleared again before returning.
 */
export async function problemsMatching(page, text) {
  // Other views (Output, Debug Console) have filter boxes of the same kind that stay in the DOM,
  // hidden, once created: only the visible one is the Problems panel's.
  const input = page.locator(".markers-panel-action-filter input:visible, .viewpane-filter input:visible").first();
  for (let attempt = 1; ; attempt++) {
    await input.fill(text);
    if ((await input.inputValue()) === text) break;
    if (attempt === 3) throw new Error(`the Problems filter did not take "${text}"`);
    // Something else held the focus (a menu, a quick pick): close it and try again.
    await page.keyboard.press("Escape");
    await sleep(500);
  }
  await sleep(500);
  // Belt and braces: a row the filter let through must contain the text.
  const rows = (await problems(page)).filter((r) => r.includes(text));
  await input.fill("");
  await sleep(200);
  return rows;
}

export async function openProblems(page) {
  if ((await page.locator(".markers-panel").count()) > 0 && (await page.locator(".markers-panel").isVisible())) return;
  await page.keyboard.press("Control+Shift+M");
  await page.waitForSelector(".markers-panel", { timeout: 15_000 });
}

export async function runCommand(page, title) {
  await page.keyboard.press("Control+Shift+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  await page.keyboard.insertText(`>${title}`);
  await sleep(400);
  await page.keyboard.press("Enter");
}

export async function openFile(page, name) {
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

/** The visible text of the active editor (Monaco renders spaces as U+00A0). */
export async function editorText(page) {
  const text = await page
    .locator(".editor-group-container.active .monaco-editor .view-lines")
    .last()
    .innerText()
    .catch(() => "");
  return text.replace(/\u00a0/g, " ");
}

/**
 * Runs "Polar: Show Pending Telemetry" until the read-only view's visible text satisfies `done`;
 * returns that text, or null after `ms`.
 */
export function showTelemetryView(page, what, done, ms = 30_000) {
  return waitFor(
    what,
    async () => {
      await runCommand(page, "Polar: Show Pending Telemetry");
      await sleep(700);
      const text = await editorText(page);
      return text.includes("# Polar telemetry") && done(text) ? text : null;
    },
    ms,
    1000,
  ).catch(() => null);
}

/** The rows of the visible suggest widget (aria labels), or [] when it is not shown. */
export async function suggestions(page) {
  const widget = page.locator(".editor-widget.suggest-widget.visible");
  if ((await widget.count()) === 0) return [];
  return widget
    .locator(".monaco-list-row")
    .evaluateAll((rows) => rows.map((r) => `${r.getAttribute("aria-label") ?? ""} ${r.textContent ?? ""}`));
}

/**
 * Puts the cursor of the active editor, whose text is `text`, `shift` characters into the first
 * occurrence of `needle` (Go to Line with `line:column`; the text is given because Monaco's DOM
 * does not keep its lines in order).
 */
export async function gotoText(page, text, needle, shift = 0) {
  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`${JSON.stringify(needle)} is not in the text`);
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  await page.keyboard.insertText(`${line + 1}:${lines[line].indexOf(needle) + shift + 1}`);
  await sleep(300);
  await page.keyboard.press("Enter");
  await sleep(300);
}

/** Opens a file by absolute path through Quick Open (how a file outside the workspace is opened). */
export async function openPath(page, path, name) {
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  await page.keyboard.insertText(path);
  await sleep(1500);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 10_000 }).catch(() => null);
  await sleep(500);
}

/**
 * Types `text` into the open quick pick and chooses the row whose label begins with `label` (the
 * list filters asynchronously, and its fuzzy order may put a longer title first). Chosen with the
 * keyboard, checked on the focused row: a click can land on a keybinding hover left over the list
 * by the pointer.
 */
export async function pickExactly(page, text, label) {
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  await page.keyboard.insertText(text);
  const rows = page.locator(".quick-input-widget .monaco-list-row");
  await waitFor(
    `the quick pick to focus ${label}`,
    async () => {
      const shown = await rows.evaluateAll((all) =>
        all.map((r) => ({
          label: r.getAttribute("aria-label") ?? r.textContent ?? "",
          index: Number(r.getAttribute("data-index")),
          focused: r.classList.contains("focused"),
        })),
      );
      const target = shown.find((r) => r.label.startsWith(label));
      if (target === undefined) throw new Error(shown.map((r) => r.label).join(" | "));
      const focused = shown.find((r) => r.focused);
      if (focused?.index === target.index) return true;
      // The input keeps the focus; the arrows move the list's, from wherever the filter left it.
      const from = focused?.index ?? 0;
      const key = target.index > from ? "ArrowDown" : "ArrowUp";
      for (let k = 0; k < Math.abs(target.index - from); k++) await page.keyboard.press(key);
      return false;
    },
    10_000,
  );
  await page.keyboard.press("Enter");
}

/** Runs a command by its exact title (see {@link pickExactly}). */
export async function runCommandExactly(page, title) {
  await page.keyboard.press("Control+Shift+P");
  await pickExactly(page, `>${title}`, title);
}
