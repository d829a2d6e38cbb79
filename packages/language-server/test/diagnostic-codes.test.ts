/**
 * The analyzer reports codes; telemetry counts them (`<code>_count`, anything else is "unknown").
 * The telemetry package keeps its list as data so that it does not depend on the analyzer; this test,
 * in the one package that depends on both, keeps the two lists equal (CONTRIBUTING.md, "adding a
 * diagnostic code", step 5).
 */
import { DIAGNOSTIC_CODES as ANALYZER_CODES } from "@polar-ide/analyzer";
import { DIAGNOSTIC_CODES as TELEMETRY_CODES } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";

describe("diagnostic codes", () => {
  it("telemetry counts exactly the codes the analyzer can report", () => {
    expect([...TELEMETRY_CODES].sort()).toEqual([...ANALYZER_CODES].sort());
  });

  it("has no duplicates on either side", () => {
    expect(new Set(ANALYZER_CODES).size).toBe(ANALYZER_CODES.length);
    expect(new Set(TELEMETRY_CODES).size).toBe(TELEMETRY_CODES.length);
  });
});
