// The dashboard's script: draws every panel with Chart.js from one of two views —
// - the SHARED view (default): /api/shared/dashboard, a snapshot as of the end of the last
//   complete UTC day, k-anonymous with complementary suppression;
// - the OPERATOR view (?view=operator): /api/dashboard, live figures of every stored event (the
//   operator's own data), k-suppressed the same way.
// Suppressed figures are shown as "hidden"; keys below k are folded into "other (fewer than k users)".
// Words: an EVENT is one telemetry event (one batch of loads of one workspace folder); a LOAD is one
// load of a policy by the language server (an event reports how many succeeded and failed).
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

  // Says so instead of drawing an empty axis when every figure of a chart is hidden.
  function allHidden(p, id, what) {
    p.append(
      el("p", { class: "all-hidden", "data-hidden-chart": id }, [
        "Every figure of " +
          what +
          " is hidden: each rests on fewer than k users, or would let such a figure be recomputed.",
      ]),
    );
  }

  // A chart with titled axes: `axes.value` names the unit of the bars, `axes.category` what they are.
  function chart(p, id, type, labels, datasets, axes, horizontal) {
    const canvas = el("canvas", { id: id, "data-chart": id, role: "img", "aria-label": axes.title || id });
    p.append(el("div", { class: "chart" }, [canvas]));
    const value = { beginAtZero: true, title: { display: true, text: axes.value } };
    const category = { title: { display: true, text: axes.category } };
    if (axes.max !== undefined) value.max = axes.max;
    const instance = new Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        spanGaps: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: horizontal ? { x: value, y: category } : { x: category, y: value },
      },
    });
    charts++;
    return instance;
  }

  // `shown[i]`: whether the figures of label i are shown; none shown: no chart, a sentence.
  function barChart(p, id, labels, datasets, axes, shown, horizontal) {
    if (!shown.some((x) => x)) {
      allHidden(p, id, axes.what);
      return;
    }
    chart(p, id, "bar", labels, datasets, axes, horizontal);
  }

  // Labels of suppressed cells say so; their bars are empty.
  function cells(list, k, value) {
    return {
      labels: list.map((c) => (c.suppressed ? (c.key || "(none)") + " (hidden)" : c.key || "(none)")),
      values: list.map((c) => (c.suppressed ? 0 : value(c))),
      shown: list.map((c) => !c.suppressed),
    };
  }

  // Trends over time: per week or per day, all versions or split by extension version, with a
  // chosen code; fetched on their own and redrawn when a control changes.
  const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
  let trendCharts = [];

  function option(value, text) {
    return el("option", { value: value }, [text]);
  }

  function drawTrends(body, t) {
    for (const c of trendCharts) c.destroy();
    trendCharts = [];
    charts = Number(app.getAttribute("data-base-charts") || charts);
    body.textContent = "";
    const unit = t.grain === "week" ? "week (ISO, from Monday, UTC)" : "day (UTC)";
    body.append(
      el("p", { class: "note", id: "trend-note" }, [
        (t.view === "shared"
          ? "Complete days and complete weeks only, through " + t.through + ". "
          : "Live, through " + t.through + " (today's figures and this week's are still growing). ") +
          "Gaps are hidden cells: fewer than k = " +
          t.k +
          " users, or a figure that would let one be recomputed.",
      ]),
    );
    const columns = t.split === "version" ? t.series.slice(1) : t.series.slice(0, 1);
    const labels = t.periods;
    const draw = (id, title, value, pick, axis) => {
      body.append(el("h3", { class: "trend-title" }, [title]));
      const datasets = columns.map((s, i) => ({
        label: s.label,
        data: pick(s),
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: 3,
      }));
      if (labels.length === 0 || datasets.every((ds) => ds.data.every((v) => v === null))) {
        allHidden(body, id, title.toLowerCase());
        return;
      }
      trendCharts.push(chart(body, id, "line", labels, datasets, { value: value, category: unit, max: axis }, false));
    };
    const figure = (list, f) => list.map((c) => (c.suppressed ? null : f(c)));
    draw("trend-events", "Events", "events", (s) => figure(s.events, (c) => c.total));
    draw("trend-users", "Distinct users", "distinct users", (s) => figure(s.events, (c) => c.users));
    draw(
      "trend-success",
      "Load success rate",
      "% of loads that succeeded",
      (s) => s.success_rate.map((r) => (r === null ? null : +(100 * r).toFixed(1))),
      100,
    );
    if (t.code !== null) {
      draw("trend-code", t.code + ": occurrences", "occurrences", (s) => figure(s.code, (c) => c.total));
      draw("trend-code-users", t.code + ": distinct users", "distinct users", (s) => figure(s.code, (c) => c.users));
    }
  }

  function trendsPanel(grid, d) {
    const p = panel(
      grid,
      "Trends over time",
      "Events, distinct users, the load success rate and a chosen code's occurrences, per week or per day (the one time kept is the UTC day of arrival).",
      true,
    );
    p.id = "trends";
    const grain = el("select", { id: "trend-grain" }, [option("week", "per week"), option("day", "per day")]);
    const named = d.codes.filter((c) => c.other !== true).map((c) => c.code);
    const code = el("select", { id: "trend-code" }, [option("", "(none)"), ...named.map((c) => option(c, c))]);
    const split = el("input", { type: "checkbox", id: "trend-split" });
    p.append(
      el("div", { class: "controls" }, [
        el("label", {}, ["Period ", grain]),
        el("label", {}, ["Code ", code]),
        el("label", {}, [split, " split by extension version"]),
      ]),
    );
    const body = el("div", { id: "trend-body" });
    p.append(body);
    const load = () => {
      const q = new URLSearchParams({ grain: grain.value });
      if (code.value !== "") q.set("code", code.value);
      if (split.checked) q.set("split", "version");
      p.setAttribute("data-trends", "loading");
      return fetch((operator ? "/api/trends?" : "/api/shared/trends?") + q.toString(), { credentials: "same-origin" })
        .then((r) => {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then((t) => {
          drawTrends(body, t);
          p.setAttribute("data-trends", "ready");
          app.setAttribute("data-charts", String(charts));
        })
        .catch((e) => {
          body.textContent = "Could not load the trends: " + e.message;
          p.setAttribute("data-trends", "error");
        });
    };
    for (const c of [grain, code, split]) c.addEventListener("change", load);
    return load;
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
    const loadTrends = trendsPanel(grid, d);

    // Diagnostic codes: the seed's "1 user × 10,000 vs 1,000 users × 10" question.
    const codes = d.codes;
    let p = panel(
      grid,
      "Diagnostics by code",
      "Occurrences, events reporting the code, distinct users and workspaces, the top user's share of occurrences and per-user percentiles (a per-user figure is shown only when at least k users have exactly that value). Codes of fewer than k users are folded, without their names.",
      true,
    );
    const shown = codes.filter((c) => !c.suppressed);
    barChart(
      p,
      "codes",
      codes.map((c) => (c.suppressed ? c.code + " (hidden)" : c.code)),
      [
        { label: "occurrences", data: codes.map((c) => c.occurrences || 0), backgroundColor: "#4e79a7" },
        { label: "events with the code", data: codes.map((c) => c.events || 0), backgroundColor: "#f28e2b" },
        { label: "distinct users", data: codes.map((c) => c.distinct_users || 0), backgroundColor: "#59a14f" },
      ],
      { value: "count", category: "diagnostic code", what: "the codes chart" },
      codes.map((c) => !c.suppressed),
      true,
    );
    const table = el("table", { id: "codes-table" }, [
      el(
        "tr",
        {},
        [
          "code",
          "occurrences",
          "events",
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
    // Folds have no per-user figures and no event count (events are not additive over codes).
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
    // A wide table scrolls inside its own box, never the page.
    p.append(el("div", { class: "table-scroll" }, [table]));
    p.append(
      el("h3", { id: "top-share-title" }, ["Top user's share of each code's occurrences (%)"]),
      el("p", { class: "note" }, [
        "For each code, the occurrences of the one user with the most, as a percentage of all its occurrences: near 100 % means one user accounts for nearly all of them. Shown only when at least k users have that same maximum.",
      ]),
    );
    const shares = shown.filter((c) => c.top_user_share !== null && c.other !== true);
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
      { value: "% of the code's occurrences", category: "diagnostic code", max: 100, what: "the top user's shares" },
      shares.map(() => true),
      true,
    );

    // Load success rate.
    p = panel(grid, "Load success rate", "Loads of a policy by the language server, by outcome.");
    const load = d.load;
    const success = load[0].total,
      failure = load[1].total;
    const rate =
      success !== null && failure !== null && success + failure > 0
        ? ((100 * success) / (success + failure)).toFixed(1) + " %"
        : "hidden";
    p.append(el("p", { id: "success-rate" }, ["Loads without errors: " + rate]));
    const lc = cells(load, k, (c) => c.total);
    barChart(
      p,
      "load",
      lc.labels,
      [{ label: "loads", data: lc.values, backgroundColor: ["#59a14f", "#e15759"] }],
      { value: "loads", category: "outcome", what: "the loads by outcome" },
      lc.shown,
    );

    // Feature adoption: share of distinct users whose policy uses the feature.
    p = panel(grid, "Feature adoption", "Distinct users whose policy used the feature at least once (% of all users).");
    const fc = cells(d.features, k, (c) =>
      d.totals.distinct_users ? +((100 * c.users) / d.totals.distinct_users).toFixed(1) : 0,
    );
    barChart(
      p,
      "features",
      fc.labels,
      [{ label: "% of users", data: fc.values, backgroundColor: "#76b7b2" }],
      { value: "% of users", category: "feature", max: 100, what: "feature adoption" },
      fc.shown,
      true,
    );

    p = panel(grid, "Policy size (polar_chars)", "Events per size bucket (characters of the policy).");
    const pc = cells(d.polar_chars, k, (c) => c.events);
    barChart(
      p,
      "polar-chars",
      pc.labels,
      [{ label: "events", data: pc.values, backgroundColor: "#edc948" }],
      { value: "events", category: "characters", what: "policy sizes" },
      pc.shown,
    );

    p = panel(grid, "Files per policy (polar_files)", "Events per bucket of files in the policy.");
    const pf = cells(d.polar_files, k, (c) => c.events);
    barChart(
      p,
      "polar-files",
      pf.labels,
      [{ label: "events", data: pf.values, backgroundColor: "#b07aa1" }],
      { value: "events", category: "files", what: "files per policy" },
      pf.shown,
    );

    p = panel(
      grid,
      "Invalid rule type errors",
      "ValidationError::InvalidRuleType occurrences, by whether the policy declares rule types of its own.",
    );
    const ir = cells(d.invalid_rule_type, k, (c) => c.total);
    barChart(
      p,
      "invalid-rule-type",
      ir.labels,
      [{ label: "occurrences", data: ir.values, backgroundColor: "#ff9da7" }],
      { value: "occurrences", category: "rule types", what: "the invalid rule type errors" },
      ir.shown,
    );

    for (const [name, title, category] of [
      ["os", "Platforms", "platform"],
      ["vscodeversion", "VS Code versions", "VS Code version"],
      ["extversion", "Extension versions", "extension version"],
      ["product", "Products", "product"],
      ["remotename", "Remotes", "remote"],
    ]) {
      p = panel(grid, title, "Distinct users.");
      const ec = cells(d.environment[name] || [], k, (c) => c.users);
      barChart(
        p,
        "env-" + name,
        ec.labels,
        [{ label: "users", data: ec.values, backgroundColor: "#9c755f" }],
        { value: "distinct users", category: category, what: "this breakdown" },
        ec.shown,
        true,
      );
    }

    p = panel(grid, "LSP methods", "Loads triggered by each notification.");
    const lm = cells(d.lsp_methods, k, (c) => c.total);
    barChart(
      p,
      "lsp-methods",
      lm.labels,
      [{ label: "loads", data: lm.values, backgroundColor: "#4e79a7" }],
      { value: "loads", category: "LSP notification", what: "the loads by notification" },
      lm.shown,
      true,
    );

    p = panel(grid, "File extensions", "Distinct users per extension.");
    const le = cells(d.lsp_extensions, k, (c) => c.users);
    barChart(
      p,
      "lsp-extensions",
      le.labels,
      [{ label: "users", data: le.values, backgroundColor: "#bab0ac" }],
      { value: "distinct users", category: "file extension", what: "the file extensions" },
      le.shown,
      true,
    );

    app.setAttribute("data-base-charts", String(charts));
    // Ready once the trends are drawn too.
    return loadTrends().then(() => {
      app.setAttribute("data-state", "ready");
      app.setAttribute("data-charts", String(charts));
    });
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
