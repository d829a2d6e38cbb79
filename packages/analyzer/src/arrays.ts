/**
 * Arrays a load keeps (issue 13). An array grown by `push` from empty keeps room for 17 entries
 * (V8 grows a backing store to 1.5 × its length + 16): 152 bytes of store for the two or three
 * entries most of the arrays a resource block keeps hold, copied from young to old space with
 * everything else a load keeps.
 */

/** A copy of `items` whose store is exactly its length (the pushed one dies young). */
export function exactLength<T>(items: readonly T[]): T[] {
  return items.slice();
}
