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

/** A cell under suppression; `P` names the rollup cells its users come from. */
export interface WorkCell<P = CellRef> {
  readonly id: string;
  /** Distinct users the cell rests on. */
  readonly users: number;
  /** Its summed value (tie-break: hide the smallest). */
  readonly total: number;
  /** The rollup cells whose union of users is this cell's users. */
  readonly parts: readonly P[];
  hidden: boolean;
}

/** Figures that add up: `total` (when published) equals the sum of `members`. */
export interface Relation<P = CellRef> {
  readonly name: string;
  readonly total: WorkCell<P> | null;
  readonly members: readonly WorkCell<P>[];
}

/** Distinct users over a union of rollup cells. */
export type UnionUsers<P = CellRef> = (parts: readonly P[]) => Promise<number>;

/**
 * Hides cells below k, then complements every relation until each is safe. Mutates `hidden`.
 *
 * A relation is safe when nothing hidden in it can be computed from what is shown in it:
 * - every member shown: then the total is their sum, so a hidden total is not hidden — hide the
 *   smallest member;
 * - some members hidden, some shown: the hidden members' sum is the total minus the shown ones
 *   (or, the total hidden, it is tied to the total, itself a figure to protect), so the hidden
 *   members together must rest on at least k users — else hide the smallest shown member;
 * - every member hidden: the total is their sum; a shown total must rest on k users.
 */
export async function suppress<P = CellRef>(
  cells: readonly WorkCell<P>[],
  relations: readonly Relation<P>[],
  k: number,
  unionUsers: UnionUsers<P>,
): Promise<void> {
  // k = 1 is "no anonymity threshold" (the operator's choice, e.g. a test sink): no figure can rest on
  // fewer than one user except an empty cell, whose 0 concerns nobody. Hiding the empty "other" folds
  // would then force a real cell of every relation into hiding as their complement.
  if (k <= 1) return;
  for (const c of cells) if (c.users < k) c.hidden = true;
  const memo = new Map<string, number>();
  const union = async (hidden: readonly WorkCell<P>[]): Promise<number> => {
    // A hidden cell resting on k or more users makes the union large enough by itself; users
    // adding up to fewer than k cannot unite into k.
    const big = hidden.find((c) => c.users >= k);
    if (big !== undefined) return big.users;
    const sum = hidden.reduce((s, c) => s + c.users, 0);
    if (sum < k) return sum;
    const parts = hidden.flatMap((c) => c.parts);
    const key = parts
      .map((p) => JSON.stringify(p))
      .sort()
      .join("\u0001");
    let u = memo.get(key);
    if (u === undefined) {
      u = await unionUsers(parts);
      memo.set(key, u);
    }
    return u;
  };
  const smallest = (list: readonly WorkCell<P>[]): WorkCell<P> | undefined =>
    [...list].sort((a, b) => a.users - b.users || a.total - b.total || a.id.localeCompare(b.id))[0];
  for (let changed = true; changed;) {
    changed = false;
    for (const r of relations) {
      const hidden = r.members.filter((c) => c.hidden);
      const shown = r.members.filter((c) => !c.hidden);
      const totalShown = r.total !== null && !r.total.hidden;
      let victim: WorkCell<P> | undefined;
      if (hidden.length === 0) {
        if (r.total === null || totalShown) continue;
        victim = smallest(shown);
      } else if (shown.length === 0) {
        if (!totalShown || (await union(hidden)) >= k) continue;
        victim = r.total!;
      } else {
        if ((await union(hidden)) >= k) continue;
        victim = smallest(shown);
      }
      if (victim !== undefined) {
        victim.hidden = true;
        changed = true;
      }
    }
  }
}
