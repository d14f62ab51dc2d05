/** A least-recently-used map bounded by a total cost (bytes, entries...). */
export class Lru<K, V> {
  readonly #map = new Map<K, { value: V; cost: number }>();
  #total = 0;
  constructor(readonly budget: number) {}

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: K, value: V, cost = 1): void {
    if (cost > this.budget) return;
    const old = this.#map.get(key);
    if (old) {
      this.#total -= old.cost;
      this.#map.delete(key);
    }
    this.#map.set(key, { value, cost });
    this.#total += cost;
    while (this.#total > this.budget) {
      const [k, v] = this.#map.entries().next().value as [K, { value: V; cost: number }];
      this.#map.delete(k);
      this.#total -= v.cost;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#total = 0;
  }
}
