/**
 * The read API's exact figures for small, hand-checked populations, on SQLite and PostgreSQL:
 * what is shown is exactly what was sent, and what is hidden is hidden for a stated reason
 * (fewer than k users, or the complement of a hidden cell in a relation).
 */
import { describe, expect, it } from "vitest";
import { Harness } from "./harness.js";
import { makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

const HIDDEN = { occurrences: null, events: null, distinct_users: null };

describe.each(databases.backends)("read API on %s", (_name, makeDb) => {
  it("reports exactly what was sent in /api/summary, with primary and complementary suppression", async () => {
    const h = await Harness.start(await makeDb(), 2);
    try {
      await h.send([
        makeEvent({ user: 1, workspace: 1, codes: { "ParseError::UnrecognizedEOF": 3 }, unknown: 1 }),
        makeEvent({
          user: 1,
          workspace: 2,
          codes: { "ParseError::UnrecognizedEOF": 2, "ValidationWarning::MissingAllowRule": 1 },
        }),
        makeEvent({
          user: 2,
          workspace: 3,
          codes: { "ParseError::UnrecognizedEOF": 1, "ValidationWarning::MissingAllowRule": 2 },
          unknown: 2,
        }),
        makeEvent({ user: 3, workspace: 3, codes: {} }),
        makeEvent({ user: 4, workspace: 4, codes: {} }),
      ]);
      expect(await h.summary()).toEqual({
        view: "operator",
        as_of: null,
        k: 2,
        events: 5,
        distinct_users: 4,
        distinct_workspaces: 4,
        codes: [
          { code: "ParseError::UnrecognizedEOF", occurrences: 6, events: 3, distinct_users: 2 },
          // Two users, but the only shown member of warning_count besides the (empty, hidden)
          // fold of rare warnings: warning_count − it would give the fold.
          { code: "ValidationWarning::MissingAllowRule", ...HIDDEN },
          { code: "other errors (fewer than k users)", ...HIDDEN },
          { code: "other warnings (fewer than k users)", ...HIDDEN },
        ],
      });
      const d = await h.dashboard();
      // error_count = EOF + unknown + rare errors (hidden, empty): the smaller of EOF and unknown goes too.
      expect(d.unknown_diagnostics).toEqual({ key: "", users: null, total: null, events: null, suppressed: true });
      expect(d.severity).toEqual([
        { key: "error", users: 2, total: 9, events: 3, suppressed: false },
        { key: "warning", users: 2, total: 3, events: 2, suppressed: false },
      ]);
    } finally {
      await h.close();
    }
  });

  it("answers the dashboard's questions with per-user figures only where k users share them", async () => {
    const h = await Harness.start(await makeDb(), 2);
    try {
      const events = [];
      // 1 user × 10 vs 4 users × 1: the top user's share tells them apart — but it is one
      // user's exact figure, so it is shown only when k users share the top value.
      for (let i = 0; i < 10; i++)
        events.push(
          makeEvent({ user: 1, codes: { "ValidationError::InvalidRuleType": 1 }, gauges: { rule_types: 0 } }),
        );
      for (let u = 2; u <= 5; u++)
        events.push(
          makeEvent({ user: u, codes: { "ValidationError::InvalidRuleType": 1 }, gauges: { rule_types: 2 } }),
        );
      for (const u of [2, 3]) events.push(makeEvent({ user: u, unknown: 1 }));
      events.push(makeEvent({ user: 6, extensions: ["polar", "other"], env: { os: "darwin" } }));
      // Users without the code: "all users minus the code's users" must not single anyone out.
      for (const u of [7, 8]) events.push(makeEvent({ user: u }));
      await h.send(events);
      const d = await h.dashboard();
      expect(d.totals).toEqual({ events: 19, distinct_users: 8, distinct_workspaces: 8 });
      const irt = d.codes.find((c) => c.code === "ValidationError::InvalidRuleType")!;
      expect(irt).toMatchObject({ occurrences: 14, events: 14, distinct_users: 5, distinct_workspaces: 5 });
      expect(irt.per_user).toEqual({ p50: 1, p90: null, p99: null, max: null });
      expect(irt.top_user_share).toBeNull();
      // The split of the code: one side is one user's, so both sides are hidden.
      expect(d.invalid_rule_type).toEqual([
        { key: "with user-defined rule types", users: null, total: null, events: null, suppressed: true },
        { key: "built-in rule types only", users: null, total: null, events: null, suppressed: true },
      ]);
      // darwin is one user's: folded, hidden, and linux with it (total − linux = the fold).
      expect(d.environment.os).toEqual([
        { key: "linux", users: null, total: null, events: null, suppressed: true },
        { key: "other (fewer than k users)", users: null, total: null, events: null, suppressed: true, other: true },
      ]);
      expect(d.lsp_extensions).toEqual([
        { key: "polar", users: 8, total: 19, events: 19, suppressed: false },
        { key: "other (fewer than k users)", users: null, total: null, events: null, suppressed: true, other: true },
      ]);
      // Loads by trigger = successes + failures, and the other triggers are empty (hidden): the
      // smaller of successes and failures is hidden with them.
      expect(d.load).toEqual([
        { key: "success", users: null, total: null, events: null, suppressed: true },
        { key: "failure", users: 5, total: 16, events: 16, suppressed: false },
      ]);
      expect(d.lsp_methods.find((c) => c.key === "textDocument/didChange")).toEqual({
        key: "textDocument/didChange",
        users: 8,
        total: 19,
        events: 19,
        suppressed: false,
      });
      // Nothing below k leaks through the JSON: no "darwin".
      expect(JSON.stringify(d)).not.toContain("darwin");
    } finally {
      await h.close();
    }
  });

  it("nulls the totals when fewer than k users sent anything", async () => {
    const h = await Harness.start(await makeDb(), 3);
    try {
      await h.send([makeEvent({ user: 1 }), makeEvent({ user: 2, codes: { "ParseError::ExtraToken": 1 } })]);
      const s = await h.summary();
      expect(s).toMatchObject({ events: null, distinct_users: null, distinct_workspaces: null });
      expect(s.codes.every((c) => c.occurrences === null && c.distinct_users === null)).toBe(true);
      expect(JSON.stringify(s)).not.toContain("ExtraToken");
    } finally {
      await h.close();
    }
  });
  it("at k = 1 (no threshold) shows every figure exactly as sent: empty folds force no complement", async () => {
    const h = await Harness.start(await makeDb(), 1);
    try {
      await h.send([
        makeEvent({
          user: 1,
          workspace: 1,
          codes: { "ParseError::UnrecognizedToken": 1, "ValidationWarning::MissingAllowRule": 1 },
        }),
      ]);
      const s = await h.summary();
      expect(s.codes).toEqual([
        { code: "ParseError::UnrecognizedToken", occurrences: 1, events: 1, distinct_users: 1 },
        { code: "ValidationWarning::MissingAllowRule", occurrences: 1, events: 1, distinct_users: 1 },
        // Folds have no per-event figure of their own (events is never published for them).
        { code: "other errors (fewer than k users)", occurrences: 0, events: null, distinct_users: 0 },
        { code: "other warnings (fewer than k users)", occurrences: 0, events: null, distinct_users: 0 },
      ]);
    } finally {
      await h.close();
    }
  });
});
