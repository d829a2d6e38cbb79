/** The pure parts of delivery and caps, on their own: back-off schedule, result checking, cap arithmetic. */
import { describe, expect, it } from "vitest";
import { backoffDelay, capReached, capRoom, checkResult, countSealed, rollCaps } from "../src/client/index.js";

const POLICY = { baseMs: 1000, maxMs: 8000 };

describe("backoffDelay", () => {
  it.each([
    // attempts, random, expected: between exp/2 (random 0) and exp (random 1), exp = base·2^(n-1) ≤ max
    [1, 0, 500],
    [1, 1, 1000],
    [2, 0, 1000],
    [2, 0.5, 1500],
    [3, 1, 4000],
    [4, 1, 8000],
    [5, 1, 8000], // capped at maxMs
    [60, 0, 4000], // huge attempt counts stay capped, no overflow
  ])("attempt %d with jitter %d waits %d ms", (attempts, random, expected) => {
    expect(backoffDelay(attempts, POLICY, random)).toBe(expected);
  });

  it("never retries sooner than Retry-After, and Retry-After does not shorten the back-off", () => {
    expect(backoffDelay(1, POLICY, 0, 120_000)).toBe(120_000);
    expect(backoffDelay(4, POLICY, 1, 10)).toBe(8000);
  });

  it("treats nonsense inputs safely (jitter clamped, attempts at least 1, negative Retry-After ignored)", () => {
    expect(backoffDelay(1, POLICY, 7)).toBe(1000);
    expect(backoffDelay(1, POLICY, -3)).toBe(500);
    expect(backoffDelay(1, POLICY, Number.NaN)).toBe(750);
    expect(backoffDelay(0, POLICY, 0)).toBe(500);
    expect(backoffDelay(1, POLICY, 0, -5000)).toBe(500);
  });

  it("is monotonic in the attempt number at fixed jitter", () => {
    let previous = 0;
    for (let n = 1; n < 20; n++) {
      const d = backoffDelay(n, { baseMs: 30_000, maxMs: 6 * 3_600_000 }, 0.3);
      expect(d).toBeGreaterThanOrEqual(previous);
      previous = d;
    }
    expect(previous).toBe(Math.ceil(6 * 3_600_000 * 0.65));
  });
});

describe("checkResult", () => {
  it.each([
    [{ kind: "ok" }, { kind: "ok" }],
    [
      { kind: "drop", reason: "HTTP 400" },
      { kind: "drop", reason: "HTTP 400" },
    ],
    [
      { kind: "retry", reason: "x", retryAfterMs: 5 },
      { kind: "retry", reason: "x", retryAfterMs: 5 },
    ],
    [
      { kind: "retry", reason: "x", retryAfterMs: -1 },
      { kind: "retry", reason: "x" },
    ],
    [null, { kind: "retry", reason: "sender returned no result" }],
    [{ nonsense: true }, { kind: "retry", reason: "sender returned no result" }],
  ])("%j → %j", (input, expected) => {
    expect(checkResult(input)).toEqual(expected);
  });
});

describe("caps", () => {
  const limits = { daily: 3, monthly: 5 };
  it("counts per UTC day and month, and resets each on its own", () => {
    const d1 = Date.UTC(2025, 10, 30, 23, 0);
    let c = countSealed(rollCaps({ day: "", dayCount: 0, month: "", monthCount: 0 }, d1), 3);
    expect(capRoom(c, limits)).toBe(0);
    expect(capReached(c, limits)).toBe("daily");
    c = rollCaps(c, d1 + 3_600_000 * 2); // 1 December: both reset
    expect(c).toEqual({ day: "2025-12-01", dayCount: 0, month: "2025-12", monthCount: 0 });
    c = countSealed(c, 2);
    c = countSealed(rollCaps(c, Date.UTC(2025, 11, 2)), 3); // next day, month keeps counting
    expect(c.monthCount).toBe(5);
    expect(c.dayCount).toBe(3);
    c = rollCaps(c, Date.UTC(2025, 11, 3));
    expect(capRoom(c, limits)).toBe(0);
    expect(capReached(c, limits)).toBe("monthly");
  });
});
