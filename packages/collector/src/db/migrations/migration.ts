/** The shape of one migration: literal statements per dialect, to apply and to revert. */
import type { Dialect } from "../driver.js";

/** One numbered migration. Its statements are literal text: nothing in them is computed. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly up: Readonly<Record<Dialect["name"], readonly string[]>>;
  readonly down: Readonly<Record<Dialect["name"], readonly string[]>>;
  /**
   * Tables whose rows reverting would lose (acknowledged data not yet materialised elsewhere):
   * `migrateDown` refuses, with a clear error, while one of them holds a row.
   */
  readonly mustBeEmptyToRevert?: readonly string[];
}
