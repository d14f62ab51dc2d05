import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lru } from "../../src/objects/lru.js";

/** The obvious model: an array in recency order, oldest first. */
class Model {
  items: { key: number; value: number; cost: number }[] = [];
  constructor(readonly budget: number) {}
  get(key: number): number | undefined {
    const i = this.items.findIndex((x) => x.key === key);
    if (i < 0) return undefined;
    const [hit] = this.items.splice(i, 1);
    this.items.push(hit!);
    return hit!.value;
  }
  set(key: number, value: number, cost: number): void {
    if (cost > this.budget) return;
    this.items = this.items.filter((x) => x.key !== key);
    this.items.push({ key, value, cost });
    while (this.items.reduce((n, x) => n + x.cost, 0) > this.budget) this.items.shift();
  }
}

describe("Lru", () => {
  it("agrees with a model on any sequence of gets, sets and clears", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer(), cost: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant("clear" as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(op, { maxLength: 200 }), (budget, ops) => {
        // Each value carries its cost, as cached bytes do their length.
        const lru = new Lru<number, { value: number; cost: number }>(budget, (v) => v.cost);
        let model = new Model(budget);
        for (const o of ops) {
          if (o.kind === "get") expect(lru.get(o.key)?.value).toBe(model.get(o.key));
          else if (o.kind === "set") {
            lru.set(o.key, { value: o.value, cost: o.cost });
            model.set(o.key, o.value, o.cost);
          } else {
            lru.clear();
            model = new Model(budget);
          }
        }
        for (let k = 0; k <= 12; k++) expect(lru.get(k)?.value).toBe(model.get(k));
      }),
      { seed: 20261127, numRuns: 500 },
    );
  });
});
