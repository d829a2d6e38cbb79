/**
 * The quick-fix rows of `bench/server.mjs`: a rule call of the edited file is misspelt
 * (`has_permission` → `has_permision`, an UndefinedRuleCall whose fix is a did-you-mean over every
 * rule of the workspace, checked by the server on a fork of the policy before it is offered), then
 * `textDocument/codeAction` is timed at the call, as an editor asks when the cursor rests on the
 * diagnostic: again and again on the same text (the server keeps its verdicts per load), and right
 * after each of a series of edits (two misspellings in turn: the request pays for the analysis of
 * the changed workspace and the fork's check). The file is restored afterwards.
 */
import { performance } from "node:perf_hooks";
import { positionOf, sizeOf, timeRequest } from "./lsp-features.mjs";
import { quantile } from "./stats.mjs";

/** Document versions of the changes (above any the edit loop reaches). */
const VERSION = 1_000_000;
const NEEDLE = 'has_permission(user, "read", resource)';

export async function timeQuickFix(connection, uri, text, { runs = 100, warmup = 10 } = {}) {
  const misspelt = (name) => text.replace(NEEDLE, NEEDLE.replace("has_permission", name));
  const variants = [misspelt("has_permision"), misspelt("has_permissin")];
  let version = VERSION;
  const change = (t) =>
    connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: ++version },
      contentChanges: [{ text: t }],
    });
  const params = (t) => {
    const position = positionOf(t, "has_permis", 1);
    return { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } };
  };

  await change(variants[0]);
  const warm = await timeRequest(connection, "textDocument/codeAction", params(variants[0]), { runs, warmup });

  const times = [];
  let result;
  for (let i = 0; i < warmup + runs; i++) {
    const t = variants[i % 2];
    await change(t);
    const t0 = performance.now();
    result = await connection.sendRequest("textDocument/codeAction", params(t));
    if (i >= warmup) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  await change(text);
  return [
    { ...warm, method: "textDocument/codeAction (quick fix, same text)" },
    {
      method: "textDocument/codeAction (quick fix, right after an edit)",
      p50: quantile(times, 0.5),
      p95: quantile(times, 0.95),
      size: sizeOf(result),
    },
  ];
}
