/**
 * The caps: at most `dailyCap` events per UTC calendar day OR `monthlyCap` per UTC month are
 * sealed for sending; the rest keep aggregating until a period resets. Pure functions over the
 * persisted counters (local bookkeeping, never sent).
 */
import { calendarDay, calendarMonth } from "./event.js";

/** Events sealed in the current day and month. */
export interface CapCounters {
  readonly day: string;
  readonly dayCount: number;
  readonly month: string;
  readonly monthCount: number;
}

/** The limits; both apply (whichever is reached first stops sealing). */
export interface CapLimits {
  readonly daily: number;
  readonly monthly: number;
}

export const NO_CAPS_YET: CapCounters = { day: "", dayCount: 0, month: "", monthCount: 0 };

/** The counters as of `nowMs`: a new day or month starts from zero. */
export function rollCaps(c: CapCounters, nowMs: number): CapCounters {
  const day = calendarDay(nowMs);
  const month = calendarMonth(nowMs);
  return {
    day,
    dayCount: c.day === day ? c.dayCount : 0,
    month,
    monthCount: c.month === month ? c.monthCount : 0,
  };
}

/** How many more events may be sealed now (0 when a cap is reached). */
export function capRoom(c: CapCounters, limits: CapLimits): number {
  return Math.max(0, Math.min(limits.daily - c.dayCount, limits.monthly - c.monthCount));
}

/** Which cap stops sealing (for the log), or null when there is room. */
export function capReached(c: CapCounters, limits: CapLimits): "daily" | "monthly" | null {
  if (c.dayCount >= limits.daily) return "daily";
  if (c.monthCount >= limits.monthly) return "monthly";
  return null;
}

/** The counters after sealing `n` events. */
export function countSealed(c: CapCounters, n: number): CapCounters {
  return { ...c, dayCount: c.dayCount + n, monthCount: c.monthCount + n };
}

/** Counters read back from the store; anything malformed reads as "nothing sealed yet". */
export function parseCaps(raw: unknown): CapCounters {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return NO_CAPS_YET;
  const c = raw as Record<string, unknown>;
  return {
    day: typeof c.day === "string" ? c.day : "",
    dayCount: count(c.dayCount),
    month: typeof c.month === "string" ? c.month : "",
    monthCount: count(c.monthCount),
  };
}

/** A non-negative integer, or 0. */
export function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}
