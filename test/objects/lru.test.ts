import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lru, SecondUse, WindowedCache } from "../../src/objects/lru.js";

/** The policy written plainly: two generations as arrays, oldest first. */
class Model {
  young: { key: number; value: number; cost: number }[] = [];
  old: { key: number; value: number; cost: number }[] = [];
  constructor(readonly budget: number) {}
  #take(key: number): { key: number; value: number; cost: number } | undefined {
    for (const gen of [this.young, this.old]) {
      const i = gen.findIndex((x) => x.key === key);
      if (i >= 0) return gen.splice(i, 1)[0];
    }
    return undefined;
  }
  get(key: number): number | undefined {
    if (this.young.some((x) => x.key === key)) return this.young.find((x) => x.key === key)!.value;
    const hit = this.#take(key);
    if (hit) this.#add(hit);
    return hit?.value;
  }
  set(key: number, value: number, cost: number): void {
    if (cost > this.budget) return;
    this.#take(key);
    this.#add({ key, value, cost });
  }
  #add(item: { key: number; value: number; cost: number }): void {
    this.young.push(item);
    const total = (gen: typeof this.young): number => gen.reduce((n, x) => n + x.cost, 0);
    if (total(this.young) + total(this.old) <= this.budget) return;
    this.old = this.young;
    this.young = [];
    while (total(this.old) > this.budget) this.old.shift();
  }
}

describe("Lru", () => {
  it("agrees with the two-generation policy on any sequence of gets, sets and clears", () => {
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
        // What is kept never costs more than the budget.
        expect([...model.young, ...model.old].reduce((n, x) => n + x.cost, 0)).toBeLessThanOrEqual(budget);
      }),
      { seed: 20261127, numRuns: 500 },
    );
  });
});

describe("SecondUse", () => {
  // Ids with distinct first eight digits (their fingerprints), the rest random.
  const ID_POOL = Array.from({ length: 16 }, (_, i) => (0x1000_0000 + i * 0x0123_4567).toString(16).padStart(8, "0") + "5".repeat(32));

  it("answers as two generations of ids, each holding half the entries, would", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.oneof({ arbitrary: fc.integer({ min: 0, max: ID_POOL.length - 1 }), weight: 30 }, { arbitrary: fc.constant(-1), weight: 1 }), { maxLength: 300 }), (entries, ops) => {
        const use = new SecondUse(entries);
        const half = Math.max(1, entries >> 1);
        let young = new Set<string>();
        let old = new Set<string>();
        for (const i of ops) {
          if (i < 0) {
            use.clear();
            young = new Set();
            old = new Set();
            continue;
          }
          const id = ID_POOL[i]!;
          let expected = young.has(id);
          if (!expected) {
            expected = old.has(id);
            if (young.size >= half) [old, young] = [young, new Set()];
            young.add(id);
          }
          expect(use.again(id)).toBe(expected);
        }
      }),
      { seed: 20261128, numRuns: 500 },
    );
  });

  it("tells ids apart by their first eight hex digits, in either letter case", () => {
    const use = new SecondUse(16);
    expect(use.again("00000000" + "a".repeat(32))).toBe(false);
    expect(use.again("00000000" + "b".repeat(32))).toBe(true);
    expect(use.again("ABCDEF01" + "0".repeat(32))).toBe(false);
    expect(use.again("abcdef01" + "1".repeat(32))).toBe(true);
    expect(use.again("abcdef02" + "1".repeat(32))).toBe(false);
  });

  it("remembers numeric keys (pack page keys, past 2^32) apart", () => {
    const use = new SecondUse(64);
    const keys = [0, 65536, 2 ** 40, 2 ** 40 + 65536, 3 * 2 ** 40 + 2 ** 33];
    for (const k of keys) expect(use.again(k)).toBe(false);
    for (const k of keys) expect(use.again(k)).toBe(true);
  });
});

describe("WindowedCache", () => {
  const page = (n: number) => new Uint8Array(n);

  it("keeps a value set once only while it is among the last ones set", () => {
    const cache = new WindowedCache<Uint8Array>(20, 1000, (v) => v.length);
    for (let k = 0; k < 5; k++) cache.set(k, page(10));
    // A window of 20 holds the last two or so; the first ones are gone.
    expect(cache.get(0)).toBeUndefined();
    expect(cache.get(4)).toBeDefined();
  });

  it("keeps a value set again after it left the window in the main part", () => {
    const cache = new WindowedCache<Uint8Array>(20, 1000, (v) => v.length);
    const first = page(10);
    cache.set(0, first);
    for (let k = 1; k < 6; k++) cache.set(k, page(10));
    expect(cache.get(0)).toBeUndefined();
    const again = page(10);
    cache.set(0, again); // read again: a second pass
    for (let k = 6; k < 20; k++) cache.set(k, page(10));
    expect(cache.get(0)).toBe(again);
    cache.clear();
    expect(cache.get(0)).toBeUndefined();
  });

  it("keeps a value read again in the window when the main part could not hold it", () => {
    const cache = new WindowedCache<Uint8Array>(64, 80, (v) => v.length); // main part: 16
    cache.set(0, page(40));
    cache.set(1, page(40));
    cache.set(2, page(40));
    expect(cache.get(0)).toBeUndefined();
    const again = page(40);
    cache.set(0, again);
    expect(cache.get(0)).toBe(again);
  });

  it("never holds more than its budget", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 30 })), { maxLength: 300 }), (ops) => {
        const cache = new WindowedCache<Uint8Array>(32, 100, (v) => v.length);
        const seen = new Map<number, Uint8Array>();
        for (const [k, n] of ops) {
          const v = page(n);
          cache.set(k, v);
          seen.set(k, v);
          let held = 0;
          for (const key of seen.keys()) held += cache.get(key)?.length ?? 0;
          expect(held).toBeLessThanOrEqual(100);
        }
      }),
      { seed: 20261128, numRuns: 300 },
    );
  });
});
