/**
 * The UTC day stamped on every stored batch (`dayClock`): formatted once per day, yet always the
 * day `utcDay` gives for the clock's time — across midnight, when the clock goes back, before 1970.
 */
import { describe, expect, it, vi } from "vitest";
import { dayClock, utcDay } from "../src/app.js";

describe("dayClock", () => {
  it("gives utcDay's answer at every step of a clock that jumps both ways", () => {
    const DAY = 86_400_000;
    const midnight = Date.UTC(2026, 11, 2);
    const times = [
      midnight - 1,
      midnight,
      midnight + 1,
      midnight + DAY - 1,
      midnight + DAY,
      midnight - 1,
      midnight + 5 * DAY + 123,
      midnight,
      -1,
      -DAY,
      -DAY - 1,
      0,
      midnight + DAY / 2,
    ];
    let t = 0;
    const today = dayClock(() => t);
    for (const time of times) {
      t = time;
      expect(today(), new Date(time).toISOString()).toBe(utcDay(new Date(time)));
    }
  });

  it("formats the date only when the day changes", () => {
    let t = Date.UTC(2026, 0, 1, 10);
    const today = dayClock(() => t);
    const format = vi.spyOn(Date.prototype, "toISOString");
    try {
      expect(today()).toBe("2026-01-01");
      for (let i = 0; i < 100; i++) {
        t += 60_000;
        expect(today()).toBe("2026-01-01");
      }
      expect(format).toHaveBeenCalledTimes(1);
      t = Date.UTC(2026, 0, 2);
      expect(today()).toBe("2026-01-02");
      expect(format).toHaveBeenCalledTimes(2);
    } finally {
      format.mockRestore();
    }
  });
});
