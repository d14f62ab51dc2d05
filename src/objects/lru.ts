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
 * trees down a history) then fills no cache. Remembers the object ids seen
 * last: at least the last `entries / 2`, at most `entries`.
 *
 * An id is remembered as a 32-bit fingerprint (its first eight hex digits)
 * in a flat table, not as a string in a map: a walk down history passes a
 * few new ids per commit, and as map entries each survived the young
 * generation's collections and grew it. Two ids sharing a fingerprint (one
 * chance in about 250,000 among 16,384) only make a value cached at its
 * first use.
 */
export class SecondUse {
  #young: Int32Array;
  #old: Int32Array;
  #count = 0;
  readonly #half: number;
  readonly #mask: number;
  constructor(entries: number) {
    this.#half = Math.max(1, entries >> 1);
    // At most half full, so probes stay short.
    let size = 2;
    while (size < this.#half * 2) size *= 2;
    this.#mask = size - 1;
    this.#young = new Int32Array(size);
    this.#old = new Int32Array(size);
  }

  /** Whether `id` (an object id, or a numeric key) was seen before (then it is worth caching); otherwise it is remembered. */
  again(id: string | number): boolean {
    const f = typeof id === "string" ? fingerprint(id) : (id % 2 ** 32 ^ Math.floor(id / 2 ** 32)) | 0 || 1;
    if (this.#has(this.#young, f)) return true;
    const seen = this.#has(this.#old, f);
    this.#add(f);
    return seen;
  }

  #has(table: Int32Array, f: number): boolean {
    for (let i = f & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = table[i]!;
      if (v === f) return true;
      if (v === 0) return false;
    }
  }

  #add(f: number): void {
    if (this.#count >= this.#half) {
      const old = this.#old;
      this.#old = this.#young;
      this.#young = old.fill(0);
      this.#count = 0;
    }
    let i = f & this.#mask;
    while (this.#young[i] !== 0) i = (i + 1) & this.#mask;
    this.#young[i] = f;
    this.#count++;
  }

  clear(): void {
    this.#young.fill(0);
    this.#old.fill(0);
    this.#count = 0;
  }
}

/**
 * A cache for data read once by most passes (pack pages): what was set last
 * stays in a small window, and only what is set again after leaving it (a
 * second pass over the same data) goes to the main part. One pass down a
 * large pack then keeps a few pages alive instead of every page it read.
 */
export class WindowedCache<V> {
  readonly #window: Lru<number, V>;
  readonly #main: Lru<number, V>;
  readonly #use = new SecondUse(4096);
  constructor(window: number, budget: number, costOf: (value: V) => number) {
    this.#window = new Lru(Math.min(window, budget), costOf);
    this.#main = new Lru(Math.max(0, budget - window), costOf);
  }

  get(key: number): V | undefined {
    return this.#window.get(key) ?? this.#main.get(key);
  }

  set(key: number, value: V): void {
    const main = this.#use.again(key) && this.#main.costOf(value) <= this.#main.budget;
    (main ? this.#main : this.#window).set(key, value);
  }

  clear(): void {
    this.#window.clear();
    this.#main.clear();
    this.#use.clear();
  }
}

/** The first eight hex digits of an id as a nonzero 32-bit number. */
function fingerprint(id: string): number {
  let f = 0;
  for (let i = 0; i < 8; i++) {
    const c = id.charCodeAt(i);
    f = (f << 4) | (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return f | 0 || 1;
}
