/**
 * The quick-fix row of `bench/server.mjs`: a rule call of the edited file is misspelt
 * (`has_permission` → `has_permision`, an UndefinedRuleCall whose fix is a did-you-mean over every
 * rule of the workspace), then `textDocument/codeAction` is timed at the call, as an editor asks
 * when the cursor rests on the diagnostic; the file is restored afterwards. The first request
 * after the change also waits for the analysis of the changed workspace: it is one of the
 * unmeasured warm-up requests.
 */
import { positionOf, timeRequest } from "./lsp-features.mjs";

/** Document versions of the two changes (above any the edit loop reaches). */
const VERSION = 1_000_000;

export async function timeQuickFix(connection, uri, text, options) {
  const needle = 'has_permission(user, "read", resource)';
  const broken = text.replace(needle, needle.replace("has_permission", "has_permision"));
  const position = positionOf(broken, "has_permision(", 1);
  const change = (version, t) =>
    connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ text: t }],
    });
  await change(VERSION, broken);
  const result = await timeRequest(
    connection,
    "textDocument/codeAction",
    { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } },
    options,
  );
  await change(VERSION + 1, text);
  return { ...result, method: "textDocument/codeAction (quick fix)" };
}
