/**
 * Reading objects out of one `.pack` through its `.idx`, by byte range, with
 * delta chains resolved iteratively and recently resolved bases cached.
 */
import { CorruptObjectError, FileNotFoundError } from "../errors.js";
import type { Storage } from "../storage/storage.js";
import { hashBytes, toHex } from "./hash.js";
import { applyDelta } from "./delta.js";
import type { Lru, WindowedCache } from "./lru.js";
import { markCached, type GitObject } from "./object.js";
import { OBJ_OFS_DELTA, OBJ_REF_DELTA, PACK_HEADER_SIZE, PACK_TYPE_NAMES, decodeEntryHeader, decodeOfsDistance, decodePackHeader, ofsDistanceLength } from "./pack.js";
import { PackIndex } from "./pack-index.js";
import { findSharedIndex, shareIndex } from "./shared-indexes.js";
import type { Platform } from "./platform.js";
import type { Soon } from "./soon.js";
import { ZlibError } from "./zlib.js";

let packSerial = 0;

/** Size of the pages pack bytes are read and cached in. */
const PAGE = 64 * 1024;

interface Entry {
  type: number;
  size: number;
  /** Offset of the delta base, for delta entries. */
  base: number | undefined;
  dataStart: number;
  /** The start of the zlib data (all of it unless `more` is set). */
  data: Uint8Array;
  /** Whether the first read may have cut the stream short: then the whole window is read when needed. */
  more: boolean;
  /** How many bytes from `dataStart` on can hold the zlib data. */
  window: number;
}

/** How much zlib data is read before the stream proves it needs more. */
const FIRST_READ = 1024 * 1024;

/** Read first for every entry: more than any header with its base id (10 + 32 bytes), and all of a small entry. */
const SMALL_ENTRY = 4096;

/** Longest delta chain we follow before calling it a cycle (git's hard maximum is 4095). */
const MAX_CHAIN = 10_000;

export class PackFile {
  private constructor(
    readonly storage: Storage,
    readonly platform: Platform,
    /** Storage path of the `.pack`. */
    readonly path: string,
    readonly index: PackIndex,
    readonly packSize: number,
    readonly cache: Lru<number, GitObject>,
    readonly pages: WindowedCache<Uint8Array>,
  ) {}

  /**
   * Open `<base>.idx` + `<base>.pack`; `undefined` when either vanished
   * meanwhile. A pack we just wrote passes its index and size instead of
   * having them read back, and its bytes when it kept them: reads then come
   * from memory. An index of up to `checkIndexUpTo` bytes has its checksum
   * verified now, a larger one by `index.verify()` when relied on. An index
   * that a handle on the same `location` read is used instead of read again
   * (see shared-indexes.ts; those of packs just written, mostly small ones
   * soon merged, are not offered).
   */
  static async open(storage: Storage, platform: Platform, base: string, cache: Lru<number, GitObject>, pages: WindowedCache<Uint8Array>, how: { written: { idx: Uint8Array; bytes: number; data?: Uint8Array } } | { checkIndexUpTo: number }, location?: unknown): Promise<PackFile | undefined> {
    if ("written" in how) {
      const pack = new PackFile(storage, platform, `${base}.pack`, PackIndex.ofWritten(how.written.idx, platform.hash, `${base}.idx`), how.written.bytes, cache, pages);
      pack.#data = how.written.data;
      pack.#freshened = true;
      return pack;
    }
    let index = findSharedIndex(location, base);
    if (!index) {
      const idxBytes = await storage.read(`${base}.idx`);
      if (!idxBytes) return undefined;
      index = PackIndex.decode(idxBytes, platform.hash, `${base}.idx`, idxBytes.length <= how.checkIndexUpTo);
      shareIndex(location, base, index);
    }
    const packStat = await storage.stat(`${base}.pack`);
    if (!packStat) return undefined;
    const h = platform.hash.size;
    const path = `${base}.pack`;
    if (packStat.size < PACK_HEADER_SIZE + h) throw new CorruptObjectError(`${path}: pack file too short`);
    let head: Uint8Array, trailer: Uint8Array;
    try {
      head = await storage.readRange(path, 0, PACK_HEADER_SIZE);
      trailer = await storage.readRange(path, packStat.size - h, h);
    } catch (e) {
      // Removed since the stat: another process merged it (its index goes first, the pack next).
      if (e instanceof FileNotFoundError) return undefined;
      throw e;
    }
    const count = decodePackHeader(head, path);
    if (count !== index.count) throw new CorruptObjectError(`${path}: pack holds ${count} objects, its index ${index.count}`);
    if (toHex(trailer) !== index.packChecksum) throw new CorruptObjectError(`${path}: pack checksum does not match its index`);
    return new PackFile(storage, platform, path, index, packStat.size, cache, pages);
  }

  // The whole pack, when we wrote it and kept it (a commit's small pack).
  #data: Uint8Array | undefined;

  #freshened = false;

  /**
   * Set the pack's modification time to now, once per handle (as git does
   * for a pack holding an object it was about to write): a writer about to
   * reference one of its objects again keeps a pruning gc from dropping it
   * as old and unreachable. A pack we wrote is fresh already. The touch in
   * flight, if one was needed.
   */
  freshen(): Promise<boolean> | undefined {
    if (this.#freshened) return undefined;
    this.#freshened = true;
    return this.storage.touch?.(this.path);
  }

  // Cache keys: a number per (pack, offset); the shared caches hold every pack's entries.
  readonly #serial = ++packSerial;
  #key(offset: number): number {
    return this.#serial * 2 ** 40 + offset;
  }

  /**
   * Bytes of the pack, read through pages of {@link PAGE} bytes kept in the
   * shared cache: neighbouring entries (a commit walk, a tree and its blobs)
   * then cost one read, not one each. Large entries are read directly.
   */
  async #bytes(offset: number, length: number): Promise<Uint8Array> {
    if (this.#data) return this.#data.subarray(offset, offset + length);
    const first = Math.floor(offset / PAGE);
    const last = Math.floor((offset + length - 1) / PAGE);
    if (last - first > 1) return this.storage.readRange(this.path, offset, length);
    for (let p = first; p <= last; p++) {
      const key = this.#key(p * PAGE);
      if (!this.pages.get(key)) {
        const page = await this.storage.readRange(this.path, p * PAGE, Math.min(PAGE, this.packSize - p * PAGE));
        this.pages.set(key, page);
      }
    }
    // A page evicted meanwhile (by a concurrent read) is simply read directly.
    return this.#cachedBytes(offset, length) ?? this.storage.readRange(this.path, offset, length);
  }

  /** The bytes when the pages they lie in are cached, else `undefined` (no I/O). */
  #cachedBytes(offset: number, length: number): Uint8Array | undefined {
    if (this.#data) return this.#data.subarray(offset, offset + length);
    const first = Math.floor(offset / PAGE);
    const start = offset - first * PAGE;
    const a = this.pages.get(this.#key(first * PAGE));
    if (!a) return undefined;
    if (start + length <= a.length) return a.subarray(start, start + length);
    if (start + length > 2 * PAGE) return undefined;
    const b = this.pages.get(this.#key((first + 1) * PAGE));
    if (!b) return undefined;
    const out = new Uint8Array(length);
    out.set(a.subarray(start));
    out.set(b.subarray(0, length - (a.length - start)), a.length - start);
    return out;
  }

  /**
   * Every entry's bytes, end to end as they lie in the pack (without its
   * header and trailer), checked against the pack's checksum unless they are
   * the bytes we wrote. Copied as one block into another pack, the entries
   * keep their distances to each other, so delta bases stay where their
   * deltas point. Reads the whole pack: for small ones.
   */
  async entryBytes(): Promise<Uint8Array> {
    const h = this.platform.hash.size;
    if (this.#data) return this.#data.subarray(PACK_HEADER_SIZE, this.#data.length - h);
    const all = await this.storage.readRange(this.path, 0, this.packSize);
    const sum = all.length === this.packSize ? toHex(hashBytes(this.platform.hash, all.subarray(0, all.length - h))) : undefined;
    if (sum !== this.index.packChecksum || toHex(all.subarray(all.length - h)) !== sum) throw new CorruptObjectError(`${this.path}: pack checksum mismatch`);
    return all.subarray(PACK_HEADER_SIZE, all.length - h);
  }

  /**
   * The raw bytes of the entry at sorted position `i` when it is stored whole
   * (not as a delta), checked against the index's CRC: copying them into
   * another pack needs no inflating and deflating. `undefined` for a delta.
   */
  async rawWholeEntry(i: number): Promise<Uint8Array | undefined> {
    const offset = this.index.offset(i);
    const where = new Where(this.path, this.index.id(i), undefined);
    const crc = this.index.crc(i);
    let length: number;
    if (crc !== undefined) {
      // Entries lie end to end: this one ends where the next begins. The CRC
      // then vouches for the bytes without inflating them.
      this.#checkOffset(offset, where);
      length = this.#entryEnd(offset) - offset;
    } else {
      await this.platform.zlib.load?.();
      const entry = await this.#entry(offset, where);
      if (entry.base !== undefined) return undefined;
      length = entry.dataStart - offset + (this.#inflateNow(entry, where) ?? (await this.#inflateMore(entry, where))).consumed;
    }
    const raw = await this.#bytes(offset, length);
    if (crc !== undefined && this.platform.crc32(raw) !== crc) throw new CorruptObjectError(`${where}: CRC mismatch`);
    const type = decodeEntryHeader(raw, 0, where).type;
    return type === OBJ_OFS_DELTA || type === OBJ_REF_DELTA ? undefined : raw;
  }

  // Every entry's offset in pack order, for finding where an entry ends.
  #starts: Float64Array | undefined;

  #entryEnd(offset: number): number {
    if (!this.#starts) {
      this.#starts = new Float64Array(this.index.count);
      for (let i = 0; i < this.index.count; i++) this.#starts[i] = this.index.offset(i);
      this.#starts.sort();
    }
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length ? starts[lo]! : this.#limit;
  }

  /**
   * The entry at `offset`: its header, where its base is, and a window of
   * bytes that holds all of its zlib data. The compressed length is stored
   * nowhere; zlib never expands data by more than 5 bytes per 16 KiB block
   * plus its framing, so the declared size bounds the window (reading needs
   * no table of entry ends), and the inflater stops at the end of the stream.
   */
  async #entry(offset: number, where: Where): Promise<Entry> {
    const entry = this.#cachedEntry(offset, where);
    if (entry) return entry;
    return this.#parseEntry(await this.#bytes(offset, Math.min(SMALL_ENTRY, this.#limit - offset)), offset, where, true);
  }

  /** {@link #entry} from cached pages only, without waiting; `undefined` if bytes must be read first. */
  #cachedEntry(offset: number, where: Where): Entry | undefined {
    this.#checkOffset(offset, where);
    const head = this.#cachedBytes(offset, Math.min(SMALL_ENTRY, this.#limit - offset));
    return head && this.#parseEntry(head, offset, where, false);
  }

  #checkOffset(offset: number, where: Where): void {
    if (offset < PACK_HEADER_SIZE || offset >= this.#limit) throw new CorruptObjectError(`${where}: entry offset ${offset} outside the pack`);
  }

  get #limit(): number {
    return this.packSize - this.platform.hash.size;
  }

  /**
   * Parse the entry header at the start of `head` (the first bytes at
   * `offset`). When its zlib data runs past `head`, the window is read (if
   * `read`) or `undefined` is returned.
   */
  #parseEntry(head: Uint8Array, offset: number, where: Where, read: true): Promise<Entry> | Entry;
  #parseEntry(head: Uint8Array, offset: number, where: Where, read: false): Entry | undefined;
  #parseEntry(head: Uint8Array, offset: number, where: Where, read: boolean): Promise<Entry> | Entry | undefined {
    const hdr = decodeEntryHeader(head, 0, where);
    let p = hdr.length;
    let base: number | undefined;
    if (hdr.type === OBJ_OFS_DELTA) {
      const d = decodeOfsDistance(head, p, where);
      if (d <= 0 || d > offset - PACK_HEADER_SIZE) throw new CorruptObjectError(`${where}: delta base offset out of range`);
      base = offset - d;
      p += ofsDistanceLength(head, p);
    } else if (hdr.type === OBJ_REF_DELTA) {
      const h = this.platform.hash.size;
      if (p + h > head.length) throw new CorruptObjectError(`${where}: truncated delta base id`);
      const i = this.index.findRaw(head.subarray(p, p + h));
      if (i < 0) throw new CorruptObjectError(`${where}: delta base ${toHex(head.subarray(p, p + h))} is not in the pack`);
      base = this.index.offset(i);
      p += h;
    } else if (!PACK_TYPE_NAMES[hdr.type]) {
      throw new CorruptObjectError(`${where}: invalid entry type ${hdr.type}`);
    }
    const dataStart = offset + p;
    const window = Math.max(0, Math.min(hdr.size + Math.ceil(hdr.size / 16384) * 5 + 64, this.#limit - dataStart));
    const { type, size } = hdr;
    if (p + window <= head.length) return { type, size, base, dataStart, data: head.subarray(p, p + window), more: false, window };
    // A large declared size is only believed as far as the data bears it out:
    // the first read is bounded, the rest follows once the stream needs it.
    const more = window > FIRST_READ;
    const first = more ? FIRST_READ : window;
    const cached = this.#cachedBytes(dataStart, first);
    if (cached) return { type, size, base, dataStart, data: cached, more, window };
    return read ? this.#bytes(dataStart, first).then((data) => ({ type, size, base, dataStart, data, more, window })) : undefined;
  }

  /** Cache the object resolved at `offset` as a delta base (its bytes are then the cache's). */
  #keep(offset: number, obj: GitObject): void {
    this.cache.set(this.#key(offset), obj);
    markCached(obj.data);
  }

  /**
   * The object at `offset` (named `id` for errors): at once when every byte
   * it needs is cached, else a promise, the walk resuming where it had to
   * wait (nothing resolved so far is done again). Not hash-checked here.
   */
  readAt(offset: number, id: string): Soon<GitObject> {
    const loading = this.platform.zlib.load?.();
    if (loading) return loading.then(() => this.readAt(offset, id));
    const cached = this.cache.get(this.#key(offset));
    if (cached) return cached;
    const where = new Where(this.path, id, offset);
    // Most reads: a small entry whose bytes are in cached pages, stored whole
    // or as a delta on a base in the cache (the version read before it, down a
    // history), done without the generator, arrays and set a walk down a
    // delta chain needs.
    const entry = this.#cachedEntry(offset, where);
    const base = entry?.base === undefined ? undefined : this.cache.get(this.#key(entry.base));
    const inflated = entry && !entry.more && (entry.base === undefined || base) ? this.#inflateNow(entry, where) : undefined;
    if (inflated && !base) return { type: PACK_TYPE_NAMES[entry!.type]!, data: inflated.output };
    if (inflated && base) {
      const obj = { type: base.type, data: applyDelta(base.data, inflated.output, where) };
      this.#keep(offset, obj);
      return obj;
    }
    const walk = this.#resolve(offset, where, entry);
    const step = walk.next();
    return step.done ? step.value : this.#resume(walk, step);
  }

  async #resume(walk: Generator<() => Promise<unknown>, GitObject, unknown>, step: IteratorResult<() => Promise<unknown>, GitObject>): Promise<GitObject> {
    while (!step.done) step = walk.next(await step.value());
    return step.value;
  }

  /**
   * Resolve the delta chain from `offset`, which is not in the cache (the
   * caller looked), its entry `first` when already parsed. Where bytes must be
   * read first it yields the read (a function, called by {@link readAt} as it
   * resumes the walk) and resumes with its result.
   */
  *#resolve(offset: number, where: Where, first: Entry | undefined): Generator<() => Promise<unknown>, GitObject, unknown> {
    // Allocated at the first delta: most reads hit the cache or a whole entry.
    let deltas: Uint8Array[] | undefined;
    let chainOffsets: number[] | undefined;
    let seen: Set<number> | undefined;
    let base: GitObject | undefined;
    let off = offset;
    let known = first;
    for (;;) {
      const at = off;
      const entry = known ?? this.#cachedEntry(at, where) ?? ((yield () => this.#entry(at, where)) as Entry);
      known = undefined;
      const data = this.#inflateNow(entry, where)?.output ?? ((yield () => this.#inflateMore(entry, where)) as { output: Uint8Array }).output;
      if (entry.base === undefined) {
        base = { type: PACK_TYPE_NAMES[entry.type]!, data };
        break;
      }
      const next = entry.base;
      (deltas ??= []).push(data);
      (chainOffsets ??= []).push(off);
      (seen ??= new Set()).add(off);
      if (seen.has(next) || deltas.length > MAX_CHAIN) throw new CorruptObjectError(`${where}: delta chain loops`);
      off = next;
      base = this.cache.get(this.#key(off));
      if (base) break;
    }
    if (!deltas || !chainOffsets) return base;
    // Keep what delta chains produce (the next read of a neighbouring version
    // resumes from there); an object stored whole is not kept until it serves
    // as a base.
    this.#keep(off, base);
    let data = base.data;
    for (let i = deltas.length - 1; i >= 0; i--) {
      data = applyDelta(data, deltas[i]!, where);
      this.#keep(chainOffsets[i]!, { type: base.type, data });
    }
    return { type: base.type, data };
  }

  /** Inflate the entry from the bytes at hand; `undefined` when the stream runs past them and more must be read. */
  #inflateNow(entry: Entry, where: Where): { output: Uint8Array; consumed: number } | undefined {
    try {
      return this.#checked(entry, this.platform.zlib.inflate(entry.data, entry.size), where);
    } catch (e) {
      if (e instanceof ZlibError && entry.more) return undefined;
      throw this.#corrupt(e, where);
    }
  }

  async #inflateMore(entry: Entry, where: Where): Promise<{ output: Uint8Array; consumed: number }> {
    const all = await this.#bytes(entry.dataStart, entry.window);
    try {
      return this.#checked(entry, this.platform.zlib.inflate(all, entry.size), where);
    } catch (e) {
      throw this.#corrupt(e, where);
    }
  }

  #checked(entry: Entry, r: { output: Uint8Array; consumed: number }, where: Where): { output: Uint8Array; consumed: number } {
    if (r.output.length !== entry.size) throw new CorruptObjectError(`${where}: entry inflates to ${r.output.length} bytes, header says ${entry.size}`);
    return r;
  }

  #corrupt(e: unknown, where: Where): unknown {
    return e instanceof ZlibError ? new CorruptObjectError(`${where}: ${e.message}`) : e;
  }
}

/**
 * Names an entry in error messages; a string only when one is made (every
 * read would otherwise build one).
 */
class Where {
  constructor(
    readonly path: string,
    readonly id: string,
    readonly offset: number | undefined,
  ) {}
  toString(): string {
    return this.offset === undefined ? `${this.path} (object ${this.id})` : `${this.path} (object ${this.id} at offset ${this.offset})`;
  }
}
