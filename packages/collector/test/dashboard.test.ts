/**
 * The dashboard in headless Chromium (Debian's, driven by playwright-core): refused without the
 * read token, the shared view after login and the operator's live view on request, charts drawn
 * with data, k-suppressed cells shown as "hidden" and rare keys folded; a screenshot
 * is saved under .artifacts/.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium } from "@polar-ide/testing";
import { startCollector, type RunningCollector } from "../src/index.js";
import { READ_TOKEN, freePort, makeEvent, sqliteUrl } from "./helpers.js";
import { testConfig } from "./harness.js";

const ARTIFACTS = fileURLToPath(new URL("../../../.artifacts", import.meta.url));

let collector: RunningCollector;
let browser: Browser;
const db = sqliteUrl();

beforeAll(async () => {
  collector = await startCollector({ ...testConfig(db.url, 3), port: await freePort() });
  const events = [];
  for (let u = 0; u < 8; u++) {
    for (let i = 0; i <= u; i++) {
      events.push(
        makeEvent({
          user: u,
          workspace: u * 10 + (i % 2),
          codes: {
            "ParseError::UnrecognizedEOF": 1 + i,
            ...(u % 2 === 0 ? { "ValidationWarning::MissingAllowRule": 2 } : {}),
          },
          // Unknown diagnostics of k users: error_count minus the shown codes is then not the rare
          // code's lone user (complementary suppression hides unknown, not the common code).
          unknown: u < 3 && i === 0 ? 1 : 0,
          gauges: {
            polar_chars: 200 * (u + 1) ** 2,
            polar_files: 1 + (u % 3),
            resource_blocks: u % 4,
            rule_types: u % 2,
          },
          env: { os: u < 6 ? "linux" : "win32", vscodeversion: u < 4 ? "1.100.3" : "1.99.0" },
          method: i === 0 ? "textDocument/didOpen" : "textDocument/didChange",
        }),
      );
    }
  }
  // One user alone with a rare code: below k, it must be suppressed.
  events.push(makeEvent({ user: 99, codes: { "ValidationError::DuplicateResourceBlockDeclaration": 1 } }));
  // Two more users without the common code, so that "all users minus its users" is k strong.
  for (const user of [97, 98]) events.push(makeEvent({ user }));
  const r = await fetch(`${collector.url}/track?verbose=1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  expect(await r.json()).toEqual({ status: 1, error: null });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  db.cleanup();
});

describe("dashboard in Chromium", () => {
  it("refuses unauthenticated access", async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${collector.url}/dashboard`);
    expect(res?.status()).toBe(401);
    expect(await page.locator("form[action='/login']").count()).toBe(1);
    expect(await page.locator("#app").count()).toBe(0);
    const api = await page.evaluate(async () => (await fetch("/api/dashboard")).status);
    expect(api).toBe(401);
    await page.fill("input[name=token]", "not-the-token-at-all");
    await page.click("button[type=submit]");
    await expect(page.locator("[role=alert]").textContent()).resolves.toMatch(/not the read token/);
    await page.close();
  });

  it("shows the shared view after login, the operator view on request, suppressed cells as hidden", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 2400 } });
    const page = await context.newPage();
    await page.goto(`${collector.url}/dashboard`);
    await page.fill("input[name=token]", READ_TOKEN);
    // Errors from here on (the login page itself is a 401, which the console reports).
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.click("button[type=submit]");
    await page.waitForSelector("#app[data-state=ready]", { timeout: 20_000 });
    expect(errors).toEqual([]);
    // The shared view comes first: a snapshot as of yesterday, which holds none of today's events.
    expect(await page.getAttribute("#view", "data-view")).toBe("shared");
    expect(await page.textContent("#total-events")).toBe("hidden");
    // The operator asks for the live view.
    await page.click("#view-switch");
    await page.waitForSelector("#view[data-view=operator]", { timeout: 20_000 });
    await page.waitForSelector("#app[data-state=ready]", { timeout: 20_000 });
    expect(errors).toEqual([]);

    expect(await page.textContent("#total-events")).toBe("39");
    expect(await page.textContent("#total-users")).toBe("11");
    const charts = Number(await page.getAttribute("#app", "data-charts"));
    // Every panel draws its chart, or says that all its figures are hidden.
    expect(charts + (await page.locator("[data-hidden-chart]").count())).toBeGreaterThanOrEqual(12);
    expect(charts).toBeGreaterThanOrEqual(6);
    // Every chart drew something: its canvas has non-transparent pixels.
    const painted = await page.$$eval("canvas", (canvases) =>
      canvases.map((c) => {
        const ctx = (c as HTMLCanvasElement).getContext("2d")!;
        const { data } = ctx.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      }),
    );
    expect(painted.length).toBe(charts);
    for (const n of painted) expect(n).toBeGreaterThan(500);

    const eof = page.locator("tr[data-code='ParseError::UnrecognizedEOF'] td");
    expect(await eof.nth(3).textContent()).toBe("8");
    // The rare code is folded into "other errors", below k, and its name is nowhere on the page.
    const rare = page.locator("tr[data-code='other errors (fewer than k users)'] td");
    expect(await rare.nth(1).textContent()).toBe("hidden");
    expect(await rare.nth(3).textContent()).toBe("hidden");
    expect(await page.content()).not.toContain("DuplicateResourceBlockDeclaration");
    expect(await page.locator(".suppressed").count()).toBeGreaterThan(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/collector-dashboard.png`, fullPage: true });
    await context.close();
  });
});
