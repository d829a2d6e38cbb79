// The dashboard's script: draws every panel with Chart.js from one of two views —
// - the SHARED view (default): /api/shared/dashboard, a snapshot as of the end of the last
//   complete UTC day, k-anonymous with complementary suppression;
// - the OPERATOR view (?view=operator): /api/dashboard, live figures of every stored event (the
//   operator's own data), k-suppressed the same way.
// Suppressed figures are shown as "hidden"; keys below k are folded into "other (fewer than k users)".
/* global Chart, document, fetch, window, URLSearchParams */
"use strict";

(function () {
  const app = document.getElementById("app");

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children || []) e.append(c);
    return e;
  }

  const operator = new URLSearchParams(window.location.search).get("view") === "operator";

  function fmt(v, k, digits) {
    // Hidden: fewer than k users, or a figure that would let such a figure be recomputed (the
    // page cannot tell which, and must not: that would point at the small cell).
    if (v === null || v === undefined) return "hidden";
    if (typeof v === "number" && digits !== undefined) return v.toFixed(digits);
    return typeof v === "number" ? v.toLocaleString("en-US") : String(v);
  }

  function td(v, k, digits) {
    const cell = el("td", {}, [fmt(v, k, digits)]);
    if (v === null || v === undefined) cell.className = "suppressed";
    return cell;
  }

  let charts = 0;
  function panel(grid, title, note, wide) {
    const p = el("section", { class: wide ? "panel wide" : "panel" }, [el("h2", {}, [title])]);
    if (note) p.append(el("p", { class: "note" }, [note]));
    grid.append(p);
    return p;
  }

  function barChart(p, id, labels, datasets, horizontal) {
    const canvas = el("canvas", { id: id, "data-chart": id });
    p.append(el("div", { class: "chart" }, [canvas]));
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 } },
      },
    });
    charts++;
  }

  // Labels of suppressed cells say so; their bars are empty.
  function cells(list, k, value) {
    return {
      labels: list.map((c) => (c.suppressed ? (c.key || "(none)") + " (hidden)" : c.key || "(none)")),
      values: list.map((c) => (c.suppressed ? 0 : value(c))),
    };
  }

  function render(d) {
    const k = d.k;
    app.textContent = "";
    const other = operator
      ? el("a", { href: "/dashboard", id: "view-switch" }, ["Shared view"])
      : el("a", { href: "/dashboard?view=operator", id: "view-switch" }, ["Operator view (live)"]);
    app.append(
      el("p", { class: "view", id: "view", "data-view": d.view }, [
        d.view === "shared"
          ? "Shared view: every figure as of the end of " +
            d.as_of +
            " (UTC), updated once a day. Figures resting on fewer than k = " +
            k +
            " users are hidden, and so are the figures that would let them be recomputed. "
          : "Operator view: live figures of every stored event — the operator's own data — hidden below k = " +
            k +
            " users as in the shared view. ",
        other,
      ]),
    );
    app.append(
      el("div", { class: "cards" }, [
        el("div", { class: "card" }, [el("b", { id: "total-events" }, [fmt(d.totals.events, k)]), "events"]),
        el("div", { class: "card" }, [
          el("b", { id: "total-users" }, [fmt(d.totals.distinct_users, k)]),
          "distinct users",
        ]),
        el("div", { class: "card" }, [
          el("b", { id: "total-workspaces" }, [fmt(d.totals.distinct_workspaces, k)]),
          "distinct workspaces",
        ]),
        el("div", { class: "card" }, [el("b", {}, ["k = " + k]), "smallest group shown"]),
      ]),
    );
    const grid = el("div", { class: "grid" });
    app.append(grid);

    // Diagnostic codes: the seed's "1 user × 10,000 vs 1,000 users × 10" question.
    const codes = d.codes;
    let p = panel(
      grid,
      "Diagnostics by code",
      "Occurrences, loads with the code, distinct users and workspaces, the top user's share of occurrences and per-user percentiles (a per-user figure is shown only when at least k users have exactly that value). Codes of fewer than k users are folded, without their names.",
      true,
    );
    const shown = codes.filter((c) => !c.suppressed);
    barChart(
      p,
      "codes",
      codes.map((c) => (c.suppressed ? c.code + " (hidden)" : c.code)),
      [
        { label: "occurrences", data: codes.map((c) => c.occurrences || 0), backgroundColor: "#4e79a7" },
        { label: "loads", data: codes.map((c) => c.events || 0), backgroundColor: "#f28e2b" },
        { label: "distinct users", data: codes.map((c) => c.distinct_users || 0), backgroundColor: "#59a14f" },
      ],
      true,
    );
    const table = el("table", { id: "codes-table" }, [
      el(
        "tr",
        {},
        [
          "code",
          "occurrences",
          "loads",
          "users",
          "workspaces",
          "top user share",
          "p50 / user",
          "p90 / user",
          "p99 / user",
          "max / user",
        ].map((h) => el("th", {}, [h])),
      ),
    ]);
    // Folds have no per-user figures and no load count (loads are not additive over codes).
    const na = () => el("td", { class: "na" }, ["—"]);
    for (const c of codes) {
      const u = c.per_user || {};
      const fold = c.other === true && !c.suppressed;
      table.append(
        el("tr", { "data-code": c.code }, [
          el("td", {}, [c.code]),
          td(c.occurrences, k),
          fold ? na() : td(c.events, k),
          td(c.distinct_users, k),
          td(c.distinct_workspaces, k),
          fold ? na() : td(c.top_user_share === null ? null : (c.top_user_share * 100).toFixed(1) + " %", k),
          fold ? na() : td(c.per_user ? u.p50 : null, k),
          fold ? na() : td(c.per_user ? u.p90 : null, k),
          fold ? na() : td(c.per_user ? u.p99 : null, k),
          fold ? na() : td(c.per_user ? u.max : null, k),
        ]),
      );
    }
    p.append(table);
    const shares = shown.filter((c) => c.top_user_share !== null);
    if (shares.length > 0) {
      barChart(
        p,
        "top-share",
        shares.map((c) => c.code),
        [
          {
            label: "top user's share of occurrences (%)",
            data: shares.map((c) => +(c.top_user_share * 100).toFixed(1)),
            backgroundColor: "#e15759",
          },
        ],
        true,
      );
    }

    // Load success rate.
    p = panel(grid, "Load success rate", null);
    const load = d.load;
    const success = load[0].total,
      failure = load[1].total;
    const rate =
      success !== null && failure !== null && success + failure > 0
        ? ((100 * success) / (success + failure)).toFixed(1) + " %"
        : "hidden";
    p.append(el("p", { id: "success-rate" }, ["Loads without errors: " + rate]));
    const lc = cells(load, k, (c) => c.total);
    barChart(p, "load", lc.labels, [{ label: "loads", data: lc.values, backgroundColor: ["#59a14f", "#e15759"] }]);

    // Feature adoption: share of distinct users whose policy uses the feature.
    p = panel(grid, "Feature adoption", "Distinct users whose policy used the feature at least once (% of all users).");
    const fc = cells(d.features, k, (c) =>
      d.totals.distinct_users ? +((100 * c.users) / d.totals.distinct_users).toFixed(1) : 0,
    );
    barChart(p, "features", fc.labels, [{ label: "% of users", data: fc.values, backgroundColor: "#76b7b2" }], true);

    p = panel(grid, "Policy size (polar_chars)", "Loads per size bucket.");
    const pc = cells(d.polar_chars, k, (c) => c.events);
    barChart(p, "polar-chars", pc.labels, [{ label: "loads", data: pc.values, backgroundColor: "#edc948" }]);

    p = panel(grid, "Files per policy (polar_files)", "Loads per bucket.");
    const pf = cells(d.polar_files, k, (c) => c.events);
    barChart(p, "polar-files", pf.labels, [{ label: "loads", data: pf.values, backgroundColor: "#b07aa1" }]);

    p = panel(
      grid,
      "Invalid rule type errors",
      "ValidationError::InvalidRuleType occurrences, by whether the policy declares rule types of its own.",
    );
    const ir = cells(d.invalid_rule_type, k, (c) => c.total);
    barChart(p, "invalid-rule-type", ir.labels, [
      { label: "occurrences", data: ir.values, backgroundColor: "#ff9da7" },
    ]);

    for (const [name, title] of [
      ["os", "Platforms"],
      ["vscodeversion", "VS Code versions"],
      ["extversion", "Extension versions"],
      ["product", "Products"],
      ["remotename", "Remotes"],
    ]) {
      p = panel(grid, title, "Distinct users.");
      const ec = cells(d.environment[name] || [], k, (c) => c.users);
      barChart(p, "env-" + name, ec.labels, [{ label: "users", data: ec.values, backgroundColor: "#9c755f" }], true);
    }

    p = panel(grid, "LSP methods", "Loads triggered by each notification.");
    const lm = cells(d.lsp_methods, k, (c) => c.total);
    barChart(p, "lsp-methods", lm.labels, [{ label: "loads", data: lm.values, backgroundColor: "#4e79a7" }], true);

    p = panel(grid, "File extensions", "Distinct users per extension.");
    const le = cells(d.lsp_extensions, k, (c) => c.users);
    barChart(p, "lsp-extensions", le.labels, [{ label: "users", data: le.values, backgroundColor: "#bab0ac" }], true);

    app.setAttribute("data-state", "ready");
    app.setAttribute("data-charts", String(charts));
  }

  fetch(operator ? "/api/dashboard" : "/api/shared/dashboard", { credentials: "same-origin" })
    .then((r) => {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(render)
    .catch((e) => {
      app.setAttribute("data-state", "error");
      app.textContent = "Could not load the data: " + e.message;
    });
})();
