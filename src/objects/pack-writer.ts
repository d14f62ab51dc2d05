/**
 * Writing a pack and its index the way git does: entries streamed into
 * `objects/pack/tmp_pack_*`, the trailer hash computed on the way, the index
 * written to `tmp_idx_*`, then the pack renamed to `pack-<hash>.pack` and the
 * index renamed last, since the `.idx` appearing is what publishes a pack.
 * A pack made whole in memory (a commit's) is created under its final name
 * at once instead: nobody sees it before its index either.
 */
import type { Storage } from "../storage/storage.js";
import { hashBytes, toHex, type Hasher } from "./hash.js";
import { hashObject, type ObjectType } from "./object.js";
import { encodePackIndex, type PackIndexEntry } from "./pack-index.js";
import { OBJ_OFS_DELTA, PACK_TYPE_CODES, encodeEntryHeader, encodeOfsDistance, encodePackHeader } from "./pack.js";
import type { Platform } from "./platform.js";
import type { Soon } from "./soon.js";
import type { TreeView } from "./tree.js";
import { deflateObject } from "./zlib.js";

/** zlib's default level, as `git pack-objects` uses (commits' small packs ask for speed instead). */
const DEFAULT_LEVEL = 6;
/** Written to storage in pieces of about this size once the object count is known. */
const FLUSH_BYTES = 4 * 1024 * 1024;
const EMPTY = new Uint8Array(0);

export interface PublishedPack {
  /** Storage path without extension: `objects/pack/pack-<hash>`. */
  readonly base: string;
  readonly count: number;
  /** Size of the `.pack`. */
  readonly bytes: number;
  /** The `.idx` as written. */
  readonly idx: Uint8Array;
  /** The whole `.pack`, when it is small enough to keep for reading (see {@link KEEP_BYTES}). */
  readonly data?: Uint8Array;
}

/**
 * A pack up to this size (a commit's) is handed back whole for reading: the
 * merge that soon copies it, and reads of what was just written, then need
 * no file opened.
 */
const KEEP_BYTES = 64 * 1024;

export class PackWriter {
  readonly #entries: PackIndexEntry[] = [];
  readonly #offsets = new Map<string, number>();
  #chunks: Uint8Array[] = [];
  #chunkBytes = 0;
  #offset = 12;
  // Made when the pack is streamed: a commit's small pack is hashed in one call.
  #streamHash: Hasher | undefined;
  readonly #tmp: string;
  readonly #tmpIdx: string;
  readonly #tmpBody: string;
  #spilled = false;
  #started = false;
  #closed = false;

  /**
   * `count`, when known up front, lets entries stream into the pack as they
   * come; without it they stream into a side file copied behind the header at
   * the end. Either way at most a few MiB are held in memory.
   */
  constructor(
    readonly storage: Storage,
    readonly platform: Platform,
    readonly count?: number,
    /** zlib level of the entries (see `deflateObject` for what the fast level does). */
    readonly level = DEFAULT_LEVEL,
  ) {
    const suffix = Math.random().toString(36).slice(2, 10);
    this.#tmp = `objects/pack/tmp_pack_${suffix}`;
    this.#tmpIdx = `objects/pack/tmp_idx_${suffix}`;
    this.#tmpBody = `objects/pack/tmp_pack_${suffix}_body`;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Whether nothing was written to storage yet (the entries wait in memory for `finish`). */
  get inMemory(): boolean {
    return !this.#started && !this.#spilled;
  }

  has(id: string): boolean {
    return this.#offsets.has(id);
  }

  /** Where an entry starts (for OFS_DELTA bases), or `undefined`. */
  offsetOf(id: string): number | undefined {
    return this.#offsets.get(id);
  }

  /**
   * Add a whole object; its id, at once unless compressing or writing out
   * had to wait. An object already in the pack is not added again. `tree`:
   * the tree `data` holds (see `deflateObject`).
   */
  add(type: ObjectType, data: Uint8Array, id = hashObject(this.platform.hash, type, data), tree?: TreeView): Soon<string> {
    if (this.#offsets.has(id)) return id;
    const head = encodeEntryHeader(PACK_TYPE_CODES[type], data.length);
    const body = deflateObject(this.platform.zlib, data, this.level, type, tree);
    const pushed = body instanceof Promise ? body.then((b) => this.#push(id, head, b)) : this.#push(id, head, body);
    return pushed instanceof Promise ? pushed.then(() => id) : id;
  }

  /**
   * Add an entry copied verbatim from another pack (a whole object, header
   * and zlib data), with its CRC-32 when already known.
   */
  async addRaw(id: string, entry: Uint8Array, crc?: number): Promise<void> {
    if (this.#offsets.has(id)) return;
    await this.#push(id, EMPTY, entry, crc);
  }

  /** Add object `id` as a delta against `baseId`, which must already be in this pack. */
  async addDelta(id: string, baseId: string, delta: Uint8Array): Promise<void> {
    const base = this.#offsets.get(baseId);
    if (base === undefined) throw new Error(`delta base ${baseId} is not in the pack yet`);
    const head = encodeEntryHeader(OBJ_OFS_DELTA, delta.length);
    const dist = encodeOfsDistance(this.#offset - base);
    const prefix = new Uint8Array(head.length + dist.length);
    prefix.set(head);
    prefix.set(dist, head.length);
    await this.#push(id, prefix, await deflateObject(this.platform.zlib, delta, this.level));
  }

  /**
   * Add the entries of another pack copied as one block (see
   * `PackFile.entryBytes`), each `offset` counted from the block's start.
   * None may be in this pack already.
   */
  async addEntries(block: Uint8Array, entries: readonly PackIndexEntry[]): Promise<void> {
    this.#check(entries.length);
    for (const e of entries) if (this.#offsets.has(e.id)) throw new Error(`object ${e.id} is in the pack already`);
    for (const e of entries) {
      this.#entries.push({ id: e.id, offset: this.#offset + e.offset, crc: e.crc });
      this.#offsets.set(e.id, this.#offset + e.offset);
    }
    this.#buffer(block);
    if (this.#chunkBytes >= FLUSH_BYTES) await this.#flush();
  }

  /** Buffer an entry; a promise only when the buffer was due to be written out. */
  #push(id: string, head: Uint8Array, body: Uint8Array, crc = this.platform.crc32(body, this.platform.crc32(head))): Soon<void> {
    this.#check(1);
    this.#entries.push({ id, offset: this.#offset, crc });
    this.#offsets.set(id, this.#offset);
    if (head.length > 0) this.#buffer(head);
    this.#buffer(body);
    if (this.#chunkBytes >= FLUSH_BYTES) return this.#flush();
  }

  #check(adding: number): void {
    if (this.#closed) throw new Error("pack writer already finished");
    if (this.count !== undefined && this.#entries.length + adding > this.count) throw new Error(`pack declared ${this.count} objects`);
  }

  /** Entry bytes, in pack order. */
  #buffer(bytes: Uint8Array): void {
    this.#offset += bytes.length;
    this.#chunks.push(bytes);
    this.#chunkBytes += bytes.length;
  }

  /** Write out what is buffered (see {@link FLUSH_BYTES}). */
  async #flush(): Promise<void> {
    if (this.count !== undefined) await this.#flushChunks(this.count);
    else {
      // The count (first in the file) is not known yet: park the entries in a
      // side file, copied behind the header at the end.
      await this.storage.append(this.#tmpBody, this.#takeChunks());
      this.#spilled = true;
    }
  }

  #hasher(): Hasher {
    return (this.#streamHash ??= this.platform.hash.create());
  }

  /** The buffered entries as one array, with `spare` bytes after them; the buffer is emptied. */
  #takeChunks(spare = 0): Uint8Array {
    const joined = new Uint8Array(this.#chunkBytes + spare);
    let p = 0;
    for (const c of this.#chunks) {
      joined.set(c, p);
      p += c.length;
    }
    this.#chunks = [];
    this.#chunkBytes = 0;
    return joined;
  }

  async #flushChunks(count: number): Promise<void> {
    if (!this.#started) {
      const header = encodePackHeader(count);
      this.#hasher().update(header);
      if (!(await this.storage.createExclusive(this.#tmp, header))) throw new Error(`temporary pack ${this.#tmp} exists`);
      this.#started = true;
    }
    if (this.#chunks.length === 0) return;
    const joined = this.#takeChunks();
    this.#hasher().update(joined);
    await this.storage.append(this.#tmp, joined);
  }

  /** Copy the parked entries behind the header, hashing them on the way. */
  async #copySpilled(): Promise<void> {
    for (let offset = 0; ; offset += FLUSH_BYTES) {
      const piece = await this.storage.readRange(this.#tmpBody, offset, FLUSH_BYTES);
      if (piece.length === 0) break;
      this.#hasher().update(piece);
      await this.storage.append(this.#tmp, piece);
      if (piece.length < FLUSH_BYTES) break;
    }
    await this.storage.remove(this.#tmpBody);
  }

  // Set by `seal`: where the pack's bytes lie, and what `finish` publishes.
  #sealed: { written: string; published: PublishedPack } | undefined;

  /**
   * Write the trailer and the index where no one sees them yet (the index
   * under a temporary name), both flushed with `sync`; `finish` publishes
   * them. A writer may take a lock in between, held then only while the pack
   * appears.
   */
  async seal(options: { sync?: boolean } = {}): Promise<void> {
    if (this.#sealed) return;
    const count = this.#entries.length;
    if (this.count !== undefined && count !== this.count) throw new Error(`pack declared ${this.count} objects, got ${count}`);
    const sync = options.sync ?? false;
    try {
      let trailer: Uint8Array;
      // The whole pack, when it was made in memory (a commit's few objects).
      let whole: Uint8Array | undefined;
      if (this.inMemory) {
        this.#chunks.unshift(encodePackHeader(count));
        this.#chunkBytes += 12;
        whole = this.#takeChunks(this.platform.hash.size);
        const body = whole.subarray(0, whole.length - this.platform.hash.size);
        trailer = hashBytes(this.platform.hash, body);
        whole.set(trailer, body.length);
      } else {
        if (this.#spilled) {
          const rest = this.#takeChunks();
          await this.#flushChunks(count); // the header
          await this.#copySpilled();
          this.#hasher().update(rest);
          await this.storage.append(this.#tmp, rest);
        } else {
          await this.#flushChunks(count);
        }
        trailer = this.#hasher().digest();
        await this.storage.append(this.#tmp, trailer);
      }
      this.#closed = true;
      const base = `objects/pack/pack-${toHex(trailer)}`;
      const idx = encodePackIndex(this.#entries, trailer, this.platform.hash);
      // With `sync`, the two files' contents are flushed at once, and `finish`
      // flushes their directory once, after the index's rename (an index whose
      // pack is missing is ignored, by git too: the pack's name need not be
      // durable first). Both writes settle before a failure is reported, so
      // that abort() finds every file made.
      const [packWrite, idxWrite] = await Promise.allSettled([
        whole ? this.#writeWhole(base, whole, sync) : this.#flushStreamed(sync),
        this.storage.createExclusive(this.#tmpIdx, idx, { sync }),
      ]);
      if (packWrite.status === "rejected") throw packWrite.reason;
      if (idxWrite.status === "rejected") throw idxWrite.reason;
      if (!idxWrite.value) throw new Error(`temporary index ${this.#tmpIdx} exists`);
      const data = whole && whole.length <= KEEP_BYTES ? whole : undefined;
      this.#sealed = { written: packWrite.value, published: { base, count, bytes: this.#offset + trailer.length, idx, ...(data ? { data } : {}) } };
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /**
   * Publish the pack (sealed first if it is not yet): the index appears last,
   * and with `sync` their directory is flushed after.
   */
  async finish(options: { sync?: boolean } = {}): Promise<PublishedPack> {
    await this.seal(options);
    const { written, published } = this.#sealed!;
    try {
      if (written === this.#tmp) await this.storage.rename(this.#tmp, `${published.base}.pack`);
      await this.storage.rename(this.#tmpIdx, `${published.base}.idx`, { sync: options.sync ?? false });
    } catch (e) {
      await this.abort();
      throw e;
    }
    return published;
  }

  /**
   * Write a pack made in memory; where its bytes went. Git and we find packs
   * through their indexes, so a pack is invisible until its .idx appears:
   * written under its final name, it needs no rename (30-60 us of a commit on
   * disk). If that name is taken (the same pack, published or left by a
   * crashed writer), it is written aside and renamed over, as a streamed pack is.
   */
  async #writeWhole(base: string, whole: Uint8Array, sync: boolean): Promise<string> {
    if (await this.storage.createExclusive(`${base}.pack`, whole, { sync })) return `${base}.pack`;
    if (!(await this.storage.createExclusive(this.#tmp, whole, { sync }))) throw new Error(`temporary pack ${this.#tmp} exists`);
    return this.#tmp;
  }

  /** The streamed pack, its content flushed with `sync`; where its bytes are. */
  async #flushStreamed(sync: boolean): Promise<string> {
    if (sync && this.storage.sync) await this.storage.sync([this.#tmp], { contentOnly: true });
    return this.#tmp;
  }

  /**
   * Drop the temporary files (nothing was published). A pack already under
   * its final name stays: no one sees it without its index, and another
   * writer may have published the very same pack under that name meanwhile.
   * gc removes such leftovers once older than its grace period (and an hour).
   */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#chunks = [];
    await this.storage.remove(this.#tmp).catch(() => undefined);
    await this.storage.remove(this.#tmpIdx).catch(() => undefined);
    await this.storage.remove(this.#tmpBody).catch(() => undefined);
  }
}

