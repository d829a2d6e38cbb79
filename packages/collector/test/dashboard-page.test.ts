/**
 * The dashboard page as a reader sees it, in headless Chromium: the trends panel (per week, per
 * day, a chosen code, split by version), every chart's axes titled, the top user's share chart
 * titled with its unit, "events" and "loads" each used for one meaning, a panel whose figures are
 * all hidden saying so instead of drawing an empty axis, no request answered 4xx (the favicon
 * included), and a 420 px wide window without horizontal scrolling. Screenshots go to .artifacts/.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ValidEvent } from "@polar-ide/telemetry";
import { launchChromium } from "@polar-ide/testing";
import { startCollector, utcDay, type RunningCollector } from "../src/index.js";
import { addDays } from "../src/db/trend-sql.js";
import { READ_TOKEN, freePort, makeEvent, sqliteUrl } from "./helpers.js";
import { testConfig } from "./harness.js";

const ARTIFACTS = fileURLToPath(new URL("../../../.artifacts", import.meta.url));
const CODE = "ParseError::UnrecognizedEOF";
const TODAY = utcDay();

let collector: RunningCollector;
let browser: Browser;
const db = sqliteUrl();

beforeAll(async () => {
  collector = await startCollector({ ...testConfig(db.url, 3), port: await freePort() });
  // Three weeks of eight users, every day, on two extension versions; everyone local (remote
  // "none"), so the remotes panel has nothing it may show.
  for (let d = 21; d >= 1; d--) {
    const day = addDays(TODAY, -d);
    const events = [];
    for (let u = 0; u < 8; u++) {
      events.push(
        makeEvent({
          user: u,
          codes: {
            ...((u + d) % 3 !== 0 ? { [CODE]: 1 + (u % 2) } : {}),
            ...(u % 2 === 0 ? { "ValidationWarning::MissingAllowRule": 2 } : {}),
          },
          // Unknown diagnostics of k users: error_count minus the shown codes is not one user's.
          unknown: u < 4 && d % 2 === 0 ? 1 : 0,
          successes: 1 + (u % 3),
          gauges: { polar_chars: 200 * (u + 1) ** 2, polar_files: 1 + (u % 3), rule_types: u % 2 },
          env: { extversion: u < 4 || d < 10 ? "1.1.0" : "1.0.0", remotename: "none" },
        }) as unknown as ValidEvent,
      );
    }
    expect(await collector.store.insertBatch(day, events)).toBe(8);
  }
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  db.cleanup();
});

/** A logged-in page of `width` px; every answer of 400 or more is recorded in `failed`. */
async function open(
  width: number,
): Promise<{ context: BrowserContext; page: Page; failed: string[]; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${collector.url}/dashboard`);
  await page.fill("input[name=token]", READ_TOKEN);
  const failed: string[] = [];
  const errors: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.click("button[type=submit]");
  await page.waitForSelector("#app[data-state=ready]", { timeout: 30_000 });
  return { context, page, failed, errors };
}

async function ready(page: Page): Promise<void> {
  await page.waitForSelector("#trends[data-trends=ready]", { timeout: 30_000 });
}

/** Per chart: its axes' titles and its datasets' labels and lengths (from Chart.js itself). */
function describeCharts(page: Page) {
  return page.evaluate(() => {
    const chartJs = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }).Chart;
    return Array.from(document.querySelectorAll<HTMLCanvasElement>("canvas[data-chart]")).map((canvas) => {
      const chart = chartJs.getChart(canvas) as {
        options: { scales: Record<string, { title?: { display?: boolean; text?: string } }> };
        data: { labels: unknown[]; datasets: { label: string; data: unknown[] }[] };
      };
      const title = (axis: string): string | null => {
        const t = chart.options.scales[axis]?.title;
        return t?.display === true && typeof t.text === "string" && t.text !== "" ? t.text : null;
      };
      return {
        id: canvas.dataset.chart!,
        x: title("x"),
        y: title("y"),
        labels: chart.data.labels.length,
        datasets: chart.data.datasets.map((d) => d.label),
        shown: chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
      };
    });
  });
}

describe("dashboard page", () => {
  it("draws the trends, titles every axis, says when a panel is all hidden, and requests nothing missing", async () => {
    const { context, page, failed, errors } = await open(1400);
    try {
      await page.goto(`${collector.url}/dashboard?view=operator`);
      await page.waitForSelector("#app[data-state=ready]", { timeout: 30_000 });
      await ready(page);
      let charts = await describeCharts(page);
      // Every chart has both axes titled.
      for (const c of charts) expect([c.id, c.x, c.y]).toEqual([c.id, expect.any(String), expect.any(String)]);
      const byId = new Map(charts.map((c) => [c.id, c]));
      // Weekly series, live: the three whole weeks before this one and this week (or four whole
      // weeks and this one, when today is a Monday… the data ends yesterday).
      const events = byId.get("trend-events")!;
      expect(events.labels).toBeGreaterThanOrEqual(4);
      expect(events.shown).toBeGreaterThanOrEqual(3);
      expect(byId.get("trend-users")!.y).toBe("distinct users");
      expect(byId.get("trend-success")!.y).toBe("% of loads that succeeded");
      // One word per meaning: events are events, loads are loads.
      expect(byId.get("codes")!.datasets).toEqual(["occurrences", "events with the code", "distinct users"]);
      expect(byId.get("polar-chars")!.datasets).toEqual(["events"]);
      expect(byId.get("polar-files")!.datasets).toEqual(["events"]);
      expect(byId.get("load")!.datasets).toEqual(["loads"]);
      expect(byId.get("lsp-methods")!.datasets).toEqual(["loads"]);
      expect(await page.$$eval("#codes-table th", (ths) => ths.map((th) => th.textContent))).not.toContain("loads");
      // The chart under the codes table says what it is, in which unit.
      expect(await page.textContent("#top-share-title")).toBe("Top user's share of each code's occurrences (%)");
      if (byId.has("top-share")) expect(byId.get("top-share")!.x).toBe("% of the code's occurrences");
      // Everyone is local: the remotes panel says that all is hidden rather than drawing an empty axis.
      expect(byId.has("env-remotename")).toBe(false);
      expect(await page.textContent("[data-hidden-chart=env-remotename]")).toMatch(/Every figure of .* is hidden/);

      // Per day, a chosen code, split by version.
      await page.selectOption("#trend-grain", "day");
      await ready(page);
      await page.selectOption("#trend-code", CODE);
      await ready(page);
      await page.check("#trend-split");
      await ready(page);
      charts = await describeCharts(page);
      const daily = charts.find((c) => c.id === "trend-events")!;
      expect(daily.labels).toBeGreaterThanOrEqual(21);
      expect(daily.datasets).toEqual(["1.1.0", "1.0.0", "other versions (fewer than k users)"]);
      const code = charts.find((c) => c.id === "trend-code")!;
      expect(code.y).toBe("occurrences");
      expect(code.shown).toBeGreaterThan(0);
      // Every canvas drew something.
      const painted = await page.$$eval("canvas", (canvases) =>
        canvases.map((c) => {
          const { data } = (c as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, c.width, c.height);
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
          return n;
        }),
      );
      for (const n of painted) expect(n).toBeGreaterThan(500);
      expect(Number(await page.getAttribute("#app", "data-charts"))).toBe(painted.length);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/collector-dashboard-trends.png`, fullPage: true });
      // No request of the session failed: the favicon is served, not a 404.
      expect(failed).toEqual([]);
      expect(errors).toEqual([]);
      const icon = await page.evaluate(async () => {
        const r = await fetch("/favicon.ico");
        return [r.status, r.headers.get("content-type")];
      });
      expect(icon).toEqual([200, "image/svg+xml"]);
    } finally {
      await context.close();
    }
  });

  it.each(["shared", "operator"])("fits a 420 px wide window without scrolling sideways (%s view)", async (view) => {
    const { context, page, failed, errors } = await open(420);
    try {
      if (view === "operator") {
        await page.goto(`${collector.url}/dashboard?view=operator`);
        await page.waitForSelector("#app[data-state=ready]", { timeout: 30_000 });
      }
      await ready(page);
      expect(await page.getAttribute("#view", "data-view")).toBe(view);
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        window: window.innerWidth,
      }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.window);
      expect(widths.body).toBeLessThanOrEqual(widths.window);
      // Nothing sticks out of the window either.
      const outside = await page.$$eval("body *", (all) =>
        all
          .filter((e) => e.closest(".table-scroll") === null || e.classList.contains("table-scroll"))
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
      );
      expect(outside).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/collector-dashboard-420-${view}.png`, fullPage: true });
      expect(failed).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
