// The formatting check of run 1: a badly laid-out policy in `services/formatting` (outside the
// project roots: a one-file policy, so no other check's policy changes) is opened, "Format
// Document" rewrites the editor's text to the formatter's layout, and the saved file is exactly
// what the analyzer's formatter produces. Screenshot: 14-format-document.png.
import * as fs from "node:fs";
import { join } from "node:path";
import { formatPolar } from "@polar-ide/analyzer";
import { ARTIFACTS, check, sleep, timings, waitFor } from "./harness.mjs";
import { editorText, openPath } from "./workbench.mjs";

const FILE = "services/formatting/layout.polar";
const TEXT = [
  "# Laid out by hand, badly.",
  'allow(actor,action,resource)if has_role(actor,"reader",resource)and action="read";',
  "",
  "",
  "",
  'resource Document{roles=["reader"];permissions=["read"];"read" if "reader";}',
  "actor   User{ }",
  'has_role(user:User,name:String,doc:Document)if doc.owner=user and name="reader"; # owners read',
  "",
].join("\n");

/** Runs "Format Document" from the command palette (not "Format Document With...", listed beside it). */
async function formatDocument(page) {
  await page.keyboard.press("Control+Shift+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10_000 });
  // The palette may open with its `>` already typed: replace whatever the input holds.
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(">Format Document");
  const rows = page.locator(".quick-input-widget .monaco-list-row");
  const index = await waitFor(
    "Format Document in the command palette",
    async () => {
      const labels = await rows.evaluateAll((list) => list.map((r) => r.getAttribute("aria-label") ?? ""));
      const i = labels.findIndex((l) => l.startsWith("Format Document") && !l.includes("With"));
      return i < 0 ? null : i + 1;
    },
    10_000,
  );
  await rows.nth(index - 1).click();
}

/** Run 1: Format Document changes the file to the formatter's layout. */
export async function checkFormatDocument(s, ws) {
  const expected = formatPolar(TEXT)?.text ?? null;
  check("format: the analyzer formats the test policy", expected !== null && expected !== TEXT, expected);
  if (expected === null) return;
  const path = join(ws, FILE);
  fs.mkdirSync(join(ws, "services/formatting"), { recursive: true });
  fs.writeFileSync(path, TEXT);
  // Quick Open by absolute path; retried, as a file created a moment ago may not be listed yet.
  const opened = await waitFor(
    "the policy in the editor",
    async () => {
      if ((await editorText(s.page)).includes("allow(actor,action")) return true;
      // An earlier check may leave the focus in a panel (the Problems filter takes Ctrl+P's text): back to the editor.
      await s.page.keyboard.press("Escape");
      await s.page
        .locator(".editor-group-container.active .monaco-editor .view-lines")
        .last()
        .click()
        .catch(() => null);
      await openPath(s.page, path, "layout.polar");
      return (await editorText(s.page)).includes("allow(actor,action");
    },
    45_000,
    1000,
  ).catch(() => false);
  check("format: the badly laid-out policy is open", opened, await editorText(s.page));
  await sleep(1000); // the language client attaches to the document

  const t = Date.now();
  // The language server may still be starting for this document: retry the command until the text changes.
  const formatted = await waitFor(
    "the formatted text in the editor",
    async () => {
      if ((await editorText(s.page)).includes("resource Document {")) return true;
      await s.page.keyboard.press("Escape");
      await formatDocument(s.page);
      await sleep(1500);
      return (await editorText(s.page)).includes("resource Document {");
    },
    45_000,
    500,
  ).catch(() => false);
  timings.formatDocumentMs = Date.now() - t;
  await s.page.screenshot({ path: join(ARTIFACTS, "14-format-document.png") });
  check("format: Format Document changes the editor's text", formatted, await editorText(s.page));

  await s.page.keyboard.press("Control+S");
  const saved = await waitFor(
    "the formatted file on disk",
    async () => fs.readFileSync(path, "utf8") === expected,
    15_000,
  ).catch(() => false);
  check("format: the saved file is exactly the formatter's output", saved, {
    disk: fs.readFileSync(path, "utf8"),
    expected,
  });
}
