/**
 * k-suppression with complementary suppression, independent of where the figures come from.
 *
 * A cell is a group of events (one key of one dimension, or a fold of rare keys) with its
 * distinct users; all its figures are shown or all hidden. Primary suppression hides every
 * cell resting on fewer than k distinct users (zero included). A relation is a set of published
 * cells whose figures add up (a partition and its total; error codes, unknown diagnostics and
 * `error_count`; …): subtracting the shown members from the others gives the sum of the hidden
 * ones. So within every relation the hidden members together must rest on at least k distinct
 * users; while they do not, the smallest shown member (then the relation's total) is hidden too.
 * That is repeated until no relation changes, since hiding a cell can break another relation.
 */
import type { CellRef } from "../db/queries.js";

/** A cell under suppression. */
export interface WorkCell {
  readonly id: string;
  /** Distinct users the cell rests on. */
  readonly users: number;
  /** Its summed value (tie-break: hide the smallest). */
  readonly total: number;
  /** The rollup cells whose union of users is this cell's users. */
  readonly parts: readonly CellRef[];
  hidden: boolean;
}

/** Figures that add up: `total` (when published) equals the sum of `members`. */
export interface Relation {
  readonly name: string;
  readonly total: WorkCell | null;
  readonly members: readonly WorkCell[];
}

/** Distinct users over a union of rollup cells. */
export type UnionUsers = (parts: readonly CellRef[]) => Promise<number>;

/** Hides cells below k, then complements every relation until each is safe. Mutates `hidden`. */
export async function suppress(
  cells: readonly WorkCell[],
  relations: readonly Relation[],
  k: number,
  unionUsers: UnionUsers,
): Promise<void> {
  // k = 1 is "no anonymity threshold" (the operator's choice, e.g. a test sink): no figure can rest on
  // fewer than one user except an empty cell, whose 0 concerns nobody. Hiding the empty "other" folds
  // would then force a real cell of every relation into hiding as their complement.
  if (k <= 1) return;
  for (const c of cells) if (c.users < k) c.hidden = true;
  const memo = new Map<string, number>();
  const union = async (hidden: readonly WorkCell[]): Promise<number> => {
    // A hidden cell resting on k or more users makes the union large enough by itself.
    const big = hidden.find((c) => c.users >= k);
    if (big !== undefined) return big.users;
    const parts = hidden.flatMap((c) => c.parts);
    const key = parts
      .map((p) => `${p.dim}\u0000${p.key}`)
      .sort()
      .join("\u0001");
    let u = memo.get(key);
    if (u === undefined) {
      u = await unionUsers(parts);
      memo.set(key, u);
    }
    return u;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const r of relations) {
      const all = r.total === null ? r.members : [r.total, ...r.members];
      const hidden = all.filter((c) => c.hidden);
      if (hidden.length === 0 || (await union(hidden)) >= k) continue;
      const shown = r.members
        .filter((c) => !c.hidden)
        .sort((a, b) => a.users - b.users || a.total - b.total || a.id.localeCompare(b.id));
      const victim = shown[0] ?? (r.total !== null && !r.total.hidden ? r.total : undefined);
      if (victim !== undefined) {
        victim.hidden = true;
        changed = true;
      }
    }
  }
}
