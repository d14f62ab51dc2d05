/**
 * Pack index files (`.idx` v2, and v1 for reading): a fan-out table, sorted
 * ids, CRCs and offsets. Held in memory; lookups are a binary search.
 */
import { CorruptObjectError } from "../errors.js";
import { hashBytes, toHex, writeHex, type HashAlgorithm } from "./hash.js";

const MAGIC = 0xff744f63;

export class PackIndex {
  readonly count: number;
  /** The pack's trailer hash as recorded by the index. */
  readonly packChecksum: string;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #h: number;
  readonly #version: 1 | 2;
  readonly #fanout: number; // byte offset of the fan-out table
  readonly #ids: number; // byte offset of the first id
  readonly #stride: number; // bytes from one id to the next
  readonly #offsets: number; // v2: byte offset of the 32-bit offsets table
  readonly #large: number; // v2: byte offset of the 64-bit table

  private constructor(
    bytes: Uint8Array,
    private readonly algo: HashAlgorithm,
    private readonly where: string,
    made: boolean,
  ) {
    const h = algo.size;
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#h = h;
    const bad = (why: string): never => {
      throw new CorruptObjectError(`${where}: ${why}`);
    };
    if (bytes.length < 1024 + 2 * h) bad("pack index too short");
    if (this.#view.getUint32(0) === MAGIC) {
      if (this.#view.getUint32(4) !== 2) bad(`unsupported pack index version ${this.#view.getUint32(4)}`);
      this.#version = 2;
      this.#fanout = 8;
    } else {
      this.#version = 1;
      this.#fanout = 0;
    }
    let n = 0;
    if (made) n = this.#view.getUint32(this.#fanout + 255 * 4);
    else {
      for (let b = 0; b < 256; b++) {
        const v = this.#view.getUint32(this.#fanout + b * 4);
        if (v < n) bad("non-monotonic fan-out table");
        n = v;
      }
    }
    this.count = n;
    if (this.#version === 2) {
      this.#ids = 8 + 1024;
      this.#stride = h;
      this.#offsets = this.#ids + n * h + n * 4;
      this.#large = this.#offsets + n * 4;
      const min = this.#large + 2 * h;
      if (bytes.length < min || (bytes.length - min) % 8 !== 0) bad("pack index has the wrong size");
    } else {
      this.#ids = 1024 + 4; // ids interleaved with offsets: record = 4 + h
      this.#stride = 4 + h;
      this.#offsets = 1024;
      this.#large = 0;
      if (bytes.length !== 1024 + n * (4 + h) + 2 * h) bad("pack index has the wrong size");
    }
    this.packChecksum = toHex(bytes.subarray(bytes.length - 2 * h, bytes.length - h));
    this.#verified = made;
  }

  /**
   * Parse and check the structure: header, fan-out order, size. The index's
   * own checksum is checked by {@link verify}, here only when `verify` is set.
   */
  static decode(bytes: Uint8Array, algo: HashAlgorithm, where: string, verify = true): PackIndex {
    const idx = new PackIndex(bytes, algo, where, false);
    if (verify) idx.verify();
    return idx;
  }

  /**
   * The index of a pack this process just wrote, from the bytes
   * `encodePackIndex` made: its fan-out table and checksum are not checked
   * again (a merge of small packs would otherwise hash each of their indexes).
   */
  static ofWritten(bytes: Uint8Array, algo: HashAlgorithm, where: string): PackIndex {
    return new PackIndex(bytes, algo, where, true);
  }

  #verified = false;

  /** Throws `CorruptObjectError` unless the index's trailing checksum matches its bytes (checked once). */
  verify(): void {
    if (this.#verified) return;
    const bytes = this.#bytes;
    const h = this.#h;
    const sum = hashBytes(this.algo, bytes.subarray(0, bytes.length - h));
    const stored = bytes.subarray(bytes.length - h);
    for (let i = 0; i < h; i++) if (sum[i] !== stored[i]) throw new CorruptObjectError(`${this.where}: pack index checksum mismatch`);
    this.#verified = true;
  }

  #idAt(i: number): number {
    return this.#ids + i * this.#stride;
  }

  /** The id at sorted position `i`. */
  id(i: number): string {
    const p = this.#idAt(i);
    return toHex(this.#bytes, p, p + this.#h);
  }

  /** Offset of the object at sorted position `i` in the pack. */
  offset(i: number): number {
    if (this.#version === 1) return this.#view.getUint32(this.#offsets + i * (4 + this.#h));
    const o = this.#view.getUint32(this.#offsets + i * 4);
    if (!(o & 0x80000000)) return o;
    const slot = this.#large + (o & 0x7fffffff) * 8;
    if (slot + 8 > this.#bytes.length - 2 * this.#h) throw new CorruptObjectError(`pack index: large offset slot out of range`);
    const big = this.#view.getBigUint64(slot);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptObjectError(`pack index: offset out of range`);
    return Number(big);
  }

  /** CRC-32 of the entry at position `i` (v2 only). */
  crc(i: number): number | undefined {
    return this.#version === 2 ? this.#view.getUint32(this.#ids + this.count * this.#h + i * 4) : undefined;
  }

  /** Sorted position of `id` (lowercase hex), or -1. */
  find(id: string): number {
    return this.findKeyed(searchKey(id), id);
  }

  /** {@link find} with the id's {@link searchKey} already made (one for a search over many packs). */
  findKeyed(key: number, id: string): number {
    return this.#search(key, id);
  }

  /** Like {@link find}, for an id in raw form. */
  findRaw(raw: Uint8Array): number {
    return this.#search(((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0, raw);
  }

  /** Sorted positions whose id starts with `prefix` (lowercase hex, at least one digit). */
  findPrefix(prefix: string): number[] {
    const first = parseInt(prefix.slice(0, 2).padEnd(2, "0"), 16);
    const last = prefix.length === 1 ? first | 0x0f : first;
    const out: number[] = [];
    const hi = this.#view.getUint32(this.#fanout + last * 4);
    for (let i = first === 0 ? 0 : this.#view.getUint32(this.#fanout + (first - 1) * 4); i < hi; i++) {
      if (this.id(i).startsWith(prefix)) out.push(i);
    }
    return out;
  }

  /**
   * Binary search for the id `want` (hex or raw) whose {@link searchKey} is
   * `key`. The ids of one fan-out bucket share their first byte and nearly
   * always differ in the next three: one comparison of those decides a step,
   * and the rest of the id is compared only where they agree. (A search
   * often runs before the JIT has compiled it, where each byte costs, and
   * where a number above 2^30 is an allocation; a hex id is never converted
   * whole.)
   */
  #search(key: number, want: string | Uint8Array): number {
    const first = key >>> 24;
    const next = key & 0xffffff;
    const view = this.#view;
    let lo = first === 0 ? 0 : view.getUint32(this.#fanout + (first - 1) * 4);
    let hi = view.getUint32(this.#fanout + first * 4);
    const stride = this.#stride;
    const ids = this.#ids;
    const bytes = this.#bytes;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = ids + mid * stride;
      let cmp = ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) - next;
      if (cmp === 0) cmp = this.#compareRest(p, first, want);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** The id at byte `p` against `want` (first byte `first`), but for bytes 1 to 3 (known equal). */
  #compareRest(p: number, first: number, want: string | Uint8Array): number {
    const bytes = this.#bytes;
    // A damaged fan-out table could put an id of another first byte here.
    if (bytes[p] !== first) return bytes[p]! - first;
    const h = this.#h;
    if (typeof want !== "string") {
      for (let k = 4; k < h; k++) {
        const d = bytes[p + k]! - want[k]!;
        if (d !== 0) return d;
      }
      return 0;
    }
    // Three bytes (six hex digits) at a time.
    for (let k = 4; k < h; k += 3) {
      const n = Math.min(3, h - k);
      let x = 0;
      for (let j = 0; j < n; j++) x = x * 256 + bytes[p + k + j]!;
      const d = x - parseInt(want.slice(2 * k, 2 * (k + n)), 16);
      if (d !== 0) return d;
    }
    return 0;
  }
}

/**
 * What a pack index search starts from: the first four bytes of the hex id
 * `id` (lowercase, checked by the caller) as one number.
 */
export function searchKey(id: string): number {
  return parseInt(id.slice(0, 8), 16);
}

/** One object of a pack, as its index records it. */
export interface PackIndexEntry {
  readonly id: string;
  readonly offset: number;
  readonly crc: number;
}

/** Serialize a v2 index (entries in any order), with 64-bit offsets where needed. */
export function encodePackIndex(entries: readonly PackIndexEntry[], packChecksum: Uint8Array, algo: HashAlgorithm): Uint8Array {
  const h = algo.size;
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = sorted.length;
  let large = 0;
  for (const e of sorted) if (e.offset >= 0x80000000) large++;
  const size = 8 + 1024 + n * (h + 8) + large * 8 + 2 * h;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC);
  v.setUint32(4, 2);
  const ids = 8 + 1024;
  const crcs = ids + n * h;
  const offs = crcs + n * 4;
  const big = offs + n * 4;
  let slot = 0;
  for (let i = 0; i < n; i++) {
    const e = sorted[i]!;
    writeHex(e.id, out, ids + i * h);
    v.setUint32(crcs + i * 4, e.crc >>> 0);
    if (e.offset >= 0x80000000) {
      v.setUint32(offs + i * 4, (0x80000000 | slot) >>> 0);
      v.setBigUint64(big + slot * 8, BigInt(e.offset));
      slot++;
    } else {
      v.setUint32(offs + i * 4, e.offset);
    }
  }
  // Fan-out: how many ids start with a byte up to b, from the ids just
  // written. It is filled run by run (each slot from one id's first byte up
  // to the next one's holds the same count), not slot by slot: a commit's
  // pack holds a handful of objects, and 256 steps a commit kept this
  // function hot enough for V8 to spend 10 ms compiling it.
  const fanout = new Uint32Array(out.buffer, out.byteOffset + 8, 256);
  // Slots [from, to) hold `count`: written big-endian into the first, its bytes copied to the rest.
  const run = (count: number, from: number, to: number): void => {
    v.setUint32(8 + 4 * from, count);
    fanout.fill(fanout[from]!, from, to);
  };
  let b = 0;
  for (let i = 0; i < n; i++) {
    const first = out[ids + i * h]!;
    if (first > b) {
      run(i, b, first);
      b = first;
    }
  }
  run(n, b, 256);
  out.set(packChecksum, size - 2 * h);
  out.set(hashBytes(algo, out.subarray(0, size - h)), size - h);
  return out;
}
