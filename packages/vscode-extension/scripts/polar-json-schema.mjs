// Writes the polar.json schema the extension ships (schemas/polar.schema.json, which the
// `jsonValidation` contribution points at) and the schema of the `oso.polarLanguageServer.classes`
// setting in package.json, both from the one declaration in the language server
// (`@polar-ide/language-server/project-config`; build it first: `npx tsc -b packages/language-server`).
// test/polar-json-schema.test.ts fails when either is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import prettier from "prettier";
import { CLASSES_SETTING, CLASSES_SETTING_SCHEMA, POLAR_JSON_SCHEMA } from "@polar-ide/language-server/project-config";

const here = fileURLToPath(new URL("..", import.meta.url));

const schemaPath = `${here}schemas/polar.schema.json`;
const options = (await prettier.resolveConfig(schemaPath)) ?? {};
writeFileSync(
  schemaPath,
  await prettier.format(JSON.stringify(POLAR_JSON_SCHEMA), { ...options, filepath: schemaPath }),
);

const manifestPath = `${here}package.json`;
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
manifest.contributes.configuration.properties[CLASSES_SETTING] = CLASSES_SETTING_SCHEMA;
manifest.contributes.jsonValidation = [{ fileMatch: "polar.json", url: "./schemas/polar.schema.json" }];
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
console.log(`wrote schemas/polar.schema.json and the ${CLASSES_SETTING} setting's schema in package.json`);
