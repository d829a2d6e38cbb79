/**
 * polar.json's schema is declared once, in the language server: the file VS Code validates
 * polar.json with (`jsonValidation` → schemas/polar.schema.json) and the `classes` setting's schema
 * in package.json must be exactly that declaration (`npm run schema` rewrites both), and the .vsix
 * must ship the schema file.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CLASSES_SETTING,
  CLASSES_SETTING_SCHEMA,
  parseProjectConfig,
  POLAR_JSON_SCHEMA,
} from "@polar-ide/language-server/project-config";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  contributes: {
    jsonValidation?: { fileMatch: string; url: string }[];
    configuration: { properties: Record<string, unknown> };
  };
};

describe("the polar.json schema", () => {
  it("VS Code validates every polar.json with the shipped schema file", () => {
    expect(pkg.contributes.jsonValidation).toEqual([{ fileMatch: "polar.json", url: "./schemas/polar.schema.json" }]);
    expect(existsSync(new URL("../schemas/polar.schema.json", import.meta.url))).toBe(true);
  });

  it("the shipped file is the language server's declaration (else: npm run schema)", () => {
    const shipped = JSON.parse(
      readFileSync(new URL("../schemas/polar.schema.json", import.meta.url), "utf8"),
    ) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(POLAR_JSON_SCHEMA)));
  });

  it("the classes setting has the same schema as polar.json's classes, null by default", () => {
    const setting = pkg.contributes.configuration.properties[CLASSES_SETTING];
    expect(setting).toEqual(JSON.parse(JSON.stringify(CLASSES_SETTING_SCHEMA)));
    const { type, default: byDefault, scope, markdownDescription, ...shape } = CLASSES_SETTING_SCHEMA;
    expect([type, byDefault, scope, typeof markdownDescription]).toEqual([
      ["object", "null"],
      null,
      "resource",
      "string",
    ]);
    expect(shape).toEqual(
      Object.fromEntries(Object.entries(POLAR_JSON_SCHEMA.properties?.classes ?? {}).filter(([k]) => k !== "type")),
    );
  });

  it("its example is a valid polar.json", () => {
    const example = POLAR_JSON_SCHEMA.properties?.classes?.examples?.[0];
    expect(parseProjectConfig(JSON.stringify({ classes: example })).ok).toBe(true);
  });

  it("ships in the .vsix", () => {
    const script = readFileSync(new URL("../scripts/package.mjs", import.meta.url), "utf8");
    expect(script).toMatch(/for \(const f of \[[^\]]*"schemas"/);
  });
});
