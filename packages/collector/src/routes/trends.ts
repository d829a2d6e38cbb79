/**
 * `GET …/trends` of both views: the query string (`grain`, `code`, `split`) checked, then the
 * series of `../read/trends.ts`. Registered by `api.ts` (operator) and `shared-api.ts` (shared),
 * inside the scope whose hook authorises the view.
 */
import { DIAGNOSTIC_CODES } from "@polar-ide/telemetry";
import { HttpError } from "../http-error.js";
import type { TrendQuery } from "../read/trends.js";

const PARAMS = new Set(["grain", "code", "split"]);
const CODES: ReadonlySet<string> = new Set(DIAGNOSTIC_CODES);

/** Reads `?grain=day|week&code=<diagnostic code>&split=version`; a bad value is a 400 naming it. */
export function parseTrendQuery(raw: unknown): TrendQuery {
  const q = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  for (const name of Object.keys(q)) {
    if (!PARAMS.has(name)) throw new HttpError(400, `unknown parameter "${name}" (grain, code, split)`);
  }
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw new HttpError(400, `parameter "${name}" may be given once`);
    return v;
  };
  const grain = one("grain") ?? "week";
  if (grain !== "day" && grain !== "week")
    throw new HttpError(400, `grain must be "day" or "week", not ${JSON.stringify(grain)}`);
  const code = one("code") ?? null;
  if (code !== null && !CODES.has(code)) {
    throw new HttpError(
      400,
      `code must be a diagnostic code such as "ParseError::UnrecognizedEOF", not ${JSON.stringify(code.slice(0, 80))}`,
    );
  }
  const split = one("split") ?? null;
  if (split !== null && split !== "version")
    throw new HttpError(400, `split must be "version", not ${JSON.stringify(split.slice(0, 80))}`);
  return { grain, code, split };
}
