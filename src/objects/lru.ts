/**
 * A least-recently-used map bounded by a total cost (bytes, entries...), the
 * cost of a value being `costOf(value)` (which must not change while the
 * value is cached). Values are stored as they are, with no wrapper object
 * per entry: every entry a cache holds survives the young generation's
 * collections, and each object fewer is less for the collector to copy.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  #total = 0;
  constructor(
    readonly budget: number,
    readonly costOf: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit;
  }

  set(key: K, value: V): void {
    const cost = this.costOf(value);
    if (cost > this.budget) return;
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#total -= this.costOf(old);
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#total += cost;
    if (this.#total <= this.budget) return;
    for (const [k, v] of this.#map) {
      this.#map.delete(k);
      this.#total -= this.costOf(v);
      if (this.#total <= this.budget) break;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#total = 0;
  }
}

/**
 * The admission rule of caches that keep a value from its second use on: a
 * pass that reads everything once (every file of a snapshot, every commit's
 * trees down a history) then fills no cache. Remembers the last `entries`
 * keys seen.
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
