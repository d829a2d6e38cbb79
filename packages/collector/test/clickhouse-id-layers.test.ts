/**
 * The delta base's `$insert_id`s (`IdLayers` in `src/db/clickhouse/reader.ts`): grown batch by
 * batch without copying the whole set each time, an earlier set unchanged (the previous state may
 * still be read or be another delta's base), the same members as a plain set, and logarithmically
 * many layers.
 */
import { describe, expect, it } from "vitest";
import { IdLayers } from "../src/db/clickhouse/reader.js";
import { seededRandom } from "./helpers.js";

describe("IdLayers", () => {
  it("holds what a set grown by the same batches holds, and leaves each earlier one as it was", () => {
    const random = seededRandom(12);
    const base = new Set(Array.from({ length: 5000 }, (_, i) => `base-${i}`));
    let layers = IdLayers.of(base);
    const plain = new Set(base);
    const earlier: { layers: IdLayers; members: Set<string> }[] = [];
    let next = 0;
    for (let batch = 0; batch < 400; batch++) {
      const added = new Set(Array.from({ length: 1 + Math.floor(random() * 20) }, () => `b-${next++}`));
      earlier.push({ layers, members: new Set(plain) });
      layers = layers.with(added);
      for (const id of added) plain.add(id);
      expect(layers.size).toBe(plain.size);
    }
    expect(layers.with(new Set())).toBe(layers);
    for (const id of plain) expect(layers.has(id)).toBe(true);
    for (const id of ["b-" + next, "base-5000", "", "other"]) expect(layers.has(id)).toBe(false);
    // The sets it was made of are not changed: every earlier state holds exactly what it held.
    for (const { layers: then, members } of earlier.filter((_, i) => i % 37 === 0)) {
      expect(then.size).toBe(members.size);
      for (const id of plain) expect(then.has(id)).toBe(members.has(id));
    }
    expect(base.size).toBe(5000);
    // Logarithmically many layers, not one per batch.
    expect(layers.depth).toBeLessThanOrEqual(Math.ceil(Math.log2(plain.size)) + 1);
  });
});
