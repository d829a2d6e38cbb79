// The quick-fix check of run 1: a policy of the `services/docs` root calls a misspelt rule; with the
// cursor on the call, Ctrl+. opens VS Code's quick-fix menu, which offers the server's did-you-mean
// fix; choosing it rewrites the call, and the Problems panel no longer shows the diagnostic (nor any
// other about that rule). Screenshots: 10-quick-fix-menu.png, 11-quick-fix-applied.png.
import * as fs from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, check, sleep, timings, waitFor } from "./harness.mjs";
import {
  editorText,
  gotoText,
  markerRows,
  openFile,
  openPath,
  openProblems,
  problemsMatching,
  runCommand,
} from "./workbench.mjs";

const FILE = "services/docs/archive.polar";
const TEXT = [
  "may_archive(user, doc) if doc.owner = user;",
  'allow(user, "archive", doc) if may_archiv(user, doc);',
  "",
].join("\n");
const MESSAGE = "Call to undefined rule: may_archiv(user, doc)";
const TITLE = "Change may_archiv to may_archive";

/** The rows of the visible code-action menu (their text), or [] when it is not shown. */
async function menuRows(page) {
  const rows = page.locator(".action-widget .monaco-list-row");
  if ((await rows.count()) === 0) return [];
  return rows.evaluateAll((list) => list.map((r) => `${r.getAttribute("aria-label") ?? ""} ${r.textContent ?? ""}`));
}

/** Opens the quick-fix menu at the cursor (Ctrl+., else the "Quick Fix..." command); returns its rows or null. */
async function openQuickFixMenu(page) {
  const offered = async () => ((await menuRows(page)).some((r) => r.includes(TITLE)) ? menuRows(page) : null);
  await page.keyboard.press("Control+.");
  const rows = await waitFor("the quick-fix menu (Ctrl+.)", offered, 10_000).catch(() => null);
  if (rows !== null) return rows;
  await page.keyboard.press("Escape");
  await runCommand(page, "Quick Fix...");
  return waitFor("the quick-fix menu (Quick Fix... command)", offered, 10_000).catch(() => null);
}

/**
 * Opens the policy and makes sure its editor is the active one: on a loaded machine Quick Open may
 * still list the previous match when Enter is pressed, so the active tab is checked, and the file
 * opened by its path when another one came up.
 */
async function openTarget(page, ws) {
  for (let i = 0; i < 3; i++) {
    if (i === 0) await openFile(page, "archive.polar");
    else await openPath(page, join(ws, FILE), "archive.polar");
    if ((await page.locator('.tab.active[aria-label*="archive.polar"]').count()) > 0) return true;
    await page.keyboard.press("Escape");
  }
  return false;
}

/** Moves the menu's focus to the fix (Down, at most 10 times) and presses Enter; false when never focused. */
async function chooseByKeyboard(page) {
  for (let i = 0; i < 10; i++) {
    const focused = await page
      .locator(".action-widget .monaco-list-row.focused")
      .evaluateAll((rows) => rows.map((r) => `${r.getAttribute("aria-label") ?? ""} ${r.textContent ?? ""}`));
    if (focused.some((r) => r.includes(TITLE))) {
      await page.keyboard.press("Enter");
      return true;
    }
    await page.keyboard.press("ArrowDown");
    await sleep(150);
  }
  return false;
}

/** Run 1: a quick fix removes a diagnostic (and adds none about the rule it fixes). */
export async function checkQuickFix(s, ws) {
  try {
    await quickFix(s, ws);
  } catch (e) {
    // A broken step is a failed check, not the end of the run (run 2 still has to run).
    await s.page.screenshot({ path: join(ARTIFACTS, "11-quick-fix-error.png") }).catch(() => undefined);
    check("quick fix: the check ran to the end", false, String(e).slice(0, 500));
    await s.page.keyboard.press("Escape").catch(() => undefined);
  }
}

async function quickFix(s, ws) {
  fs.writeFileSync(join(ws, FILE), TEXT);
  await openProblems(s.page);
  const opened = await openTarget(s.page, ws);
  check("quick fix: the policy is the active editor", opened);
  if (!opened) return;
  const shown = await waitFor(
    "the misspelt call's diagnostic",
    async () => markerRows(await problemsMatching(s.page, "may_archiv")).some((r) => r.includes(MESSAGE)),
    30_000,
  ).catch(() => false);
  check("quick fix: the misspelt call is reported", shown, MESSAGE);

  await gotoText(s.page, TEXT, "may_archiv(user, doc);", 3);
  const t = Date.now();
  const rows = await openQuickFixMenu(s.page);
  timings.quickFixMenuMs = Date.now() - t;
  await s.page.screenshot({ path: join(ARTIFACTS, "10-quick-fix-menu.png") });
  check("quick fix: Ctrl+. offers the did-you-mean fix", rows !== null, rows ?? (await menuRows(s.page)));
  if (rows === null) {
    await s.page.keyboard.press("Escape");
    return;
  }
  // Chosen with the keyboard: while the menu is open, VS Code lays a pointer-blocking layer over the page.
  const chosen = await chooseByKeyboard(s.page);
  check("quick fix: the fix is chosen in the menu", chosen, await menuRows(s.page));
  if (!chosen) {
    await s.page.keyboard.press("Escape");
    return;
  }
  await sleep(500);

  const fixed = await waitFor(
    "the diagnostic to go",
    async () => {
      const text = await editorText(s.page);
      if (!text.includes("if may_archive(user, doc);")) return false;
      // Nothing about the rule any more: neither the old call nor the new one is reported.
      return markerRows(await problemsMatching(s.page, "may_archiv")).length === 0;
    },
    30_000,
  ).catch(() => false);
  await s.page.screenshot({ path: join(ARTIFACTS, "11-quick-fix-applied.png") });
  check("quick fix: choosing it rewrites the call and its diagnostic goes, none added", fixed, {
    editor: await editorText(s.page),
    rows: markerRows(await problemsMatching(s.page, "may_archiv")),
  });
}
