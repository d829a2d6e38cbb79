/** The real Oso 0.27.3 (a dev dependency of the repository) for tests that compare with it. */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const { Oso } = require("oso") as typeof import("oso");

/** Whether `new Oso().registerClass` refuses a class registered under `name`. */
export function osoRefusesClassName(name: string): boolean {
  try {
    new Oso().registerClass(class {}, { name });
    return false;
  } catch {
    return true;
  }
}
