/**
 * A map bounded by a total cost (bytes, entries...) that keeps what was used
 * recently, the cost of a value being `costOf(value)` (which must not change
 * while the value is cached).
 *
 * Recency is kept in two generations rather than in exact order: an entry
 * set or hit goes to the young generation; when the total passes the budget,
 * the old generation is dropped and the young one becomes old. A hit in the
 * young generation (most hits) is then one lookup, where an exact order
 * costs a delete and an insert per hit (4% of a history walk). Anything used
 * since the last turnover stays, and what goes is what was used least
 * recently, as a whole generation at a time.
 *
 * Values are stored as they are, with no wrapper object per entry: every
 * entry a cache holds survives the young generation's collections, and each
 * object fewer is less for the collector to copy.
 */
export class Lru<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  #youngCost = 0;
  #oldCost = 0;
  constructor(
    readonly budget: number,
    readonly costOf: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const hit = this.#young.get(key);
    if (hit !== undefined) return hit;
    const old = this.#old.get(key);
    if (old === undefined) return undefined;
    this.#old.delete(key);
    const cost = this.costOf(old);
    this.#oldCost -= cost;
    this.#add(key, old, cost);
    return old;
  }

  set(key: K, value: V): void {
    const cost = this.costOf(value);
    if (cost > this.budget) return;
    const young = this.#young.get(key);
    if (young !== undefined) {
      this.#young.delete(key);
      this.#youngCost -= this.costOf(young);
    } else {
      const old = this.#old.get(key);
      if (old !== undefined) {
        this.#old.delete(key);
        this.#oldCost -= this.costOf(old);
      }
    }
    this.#add(key, value, cost);
  }

  #add(key: K, value: V, cost: number): void {
    this.#young.set(key, value);
    this.#youngCost += cost;
    if (this.#youngCost + this.#oldCost <= this.budget) return;
    // Turn over: the old generation goes, the young one ages.
    this.#old = this.#young;
    this.#oldCost = this.#youngCost;
    this.#young = new Map();
    this.#youngCost = 0;
    // Still over (the young generation had grown past the budget alone): its oldest go too.
    if (this.#oldCost <= this.budget) return;
    for (const [k, v] of this.#old) {
      this.#old.delete(k);
      this.#oldCost -= this.costOf(v);
      if (this.#oldCost <= this.budget) break;
    }
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
    this.#youngCost = this.#oldCost = 0;
  }
}

/**
 * The admission rule of caches that keep a value from its second use on: a
 * pass that reads everything once (every file of a snapshot, every commit's
 * trees down a history) then fills no cache. Remembers the keys seen
 * last: at least the last `entries / 2`, at most `entries`.
 */
export class SecondUse<K> {
  readonly #seen: Lru<K, true>;
  constructor(entries: number) {
    this.#seen = new Lru(entries);
  }

  /** Whether `key` was seen before (then it is worth caching); otherwise it is remembered. */
  again(key: K): boolean {
    if (this.#seen.get(key)) return true;
    this.#seen.set(key, true);
    return false;
  }

  clear(): void {
    this.#seen.clear();
  }
}
