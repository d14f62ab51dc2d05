import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LoopCheck } from "../../src/fs/loop-check.js";

/** Steps until `LoopCheck` reports a loop in `walk` (its first id starts it), or `undefined` if it never does. */
function stepsToLoop(walk: readonly string[]): number | undefined {
  const check = new LoopCheck(walk[0]!);
  for (let i = 1; i < walk.length; i++) if (check.loops(walk[i]!)) return i;
  return undefined;
}

describe("LoopCheck", () => {
  it("never reports a walk of distinct ids", () => {
    const walk = Array.from({ length: 5000 }, (_, i) => `c${i}`);
    expect(stepsToLoop(walk)).toBeUndefined();
  });

  it("reports any loop once it has come round, within three times its lead and length", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 300 }), (lead, length) => {
        // lead ids, then a loop of `length` ids, followed round many times.
        const walk = Array.from({ length: lead + 4 * (lead + length) + 8 }, (_, i) => (i < lead ? `t${i}` : `l${(i - lead) % length}`));
        const at = stepsToLoop(walk);
        expect(at).toBeDefined();
        expect(at!).toBeGreaterThanOrEqual(lead + length);
        // The mark sits at 2^k - 1 for the first k that puts it in the loop with 2^k >= length.
        expect(at!).toBeLessThanOrEqual(2 * Math.max(lead + 1, length) - 1 + length);
        // Where it is reported, the walk has indeed returned to an id it passed.
        expect(walk.slice(0, at!)).toContain(walk[at!]);
      }),
      { seed: 20261128, numRuns: 300 },
    );
  });
});
