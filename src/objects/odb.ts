/**
 * The object database: packs first (their indexes are in memory), then loose
 * files; on a miss the pack directory is rescanned once, since git may have
 * repacked behind our back. Every object returned is checked against its id.
 */
import { CorruptObjectError, FileNotFoundError } from "../errors.js";
import type { Storage } from "../storage/storage.js";
import type { Alternates } from "./alternates.js";
import { isId } from "./hash.js";
import { LooseStore } from "./loose.js";
import { Lru, SecondUse, WindowedCache } from "./lru.js";
import { hashObject, markCached, type GitObject, type ObjectType } from "./object.js";
import { writing } from "./lazy-writing.js";
import { PackFile } from "./pack-file.js";
import { searchKey } from "./pack-index.js";
import type { PublishedPack } from "./pack-writer.js";
import type { Platform } from "./platform.js";
import type { Soon } from "./soon.js";
import type { TreeView } from "./tree.js";

/** Where new objects go: the database itself (loose files) or a staging area (a pack). */
export interface ObjectWriter {
  /**
   * Store an object (once); its id, at once when nothing had to wait for
   * storage. `tree`: the tree `data` holds, whose compressed pieces a writer
   * may reuse (see tree-zlib.ts).
   */
  write(type: ObjectType, data: Uint8Array, tree?: TreeView): Soon<string>;
}

export interface ObjectDatabaseOptions {
  /**
   * Bytes the caches may hold between reads (default 52 MiB): 8/13 for
   * objects that delta chains produced, 4/13 for raw pack pages (those read
   * once only while among the last 256 KiB read), 1/13 for blobs read more
   * than once.
   */
  readonly cacheBytes?: number;
  /**
   * Identifies the repository: handles whose location is the same directory
   * path share the pack indexes they read (see shared-indexes.ts).
   */
  readonly location?: unknown;
  /**
   * Opens the object databases the repository borrows from
   * (`objects/info/alternates`: see alternates.ts), at the first scan. Without
   * it (a storage with no filesystem path), alternates are not followed.
   */
  readonly alternates?: (db: ObjectDatabase) => Promise<Alternates | undefined>;
  /** Whether {@link ObjectDatabase.consolidate} merges small packs (default true). */
  readonly mergePacks?: boolean;
  /**
   * Pack indexes up to this size (default 1 MiB) are hashed whole when
   * opened. A larger one (about 37,000 objects and up) is checked for
   * structure only, as git checks every index it opens, and its checksum is
   * verified before anything relies on the index alone: a lookup that finds
   * nothing (a damaged id would hide an object), a merge, a gc. Every object
   * read is checked against its id anyway, so a damaged index never hands out
   * wrong bytes. (Hashing a 3 MB index took 1.6 ms of the 25 ms a fresh
   * process needed to read 320 files.)
   */
  readonly indexCheckBytes?: number;
}

/**
 * Object-count tiers of small packs (`[from, below)`), and how many packs of
 * a tier get merged into one. The first tier, a commit's packs, merges 32 at
 * a time (half as many merges as 16: 200 commits took 2-5% less time); the
 * others 8, so that the three tiers hold at most 31 + 7 + 7 = 45 packs, under
 * the 50 at which git's `gc --auto` (`gc.autoPackLimit`) repacks. A merged pack may
 * stay in its tier (32 commits that wrote one object each) and be merged
 * again, but each tier's packs hold more objects than the one before, so an
 * object is copied a few times at most; 8 packs of the last tier (1,024
 * objects or more each) always make a pack past it.
 */
export const TIERS: readonly (readonly [from: number, below: number, mergeAt: number])[] = [
  [0, 64, 32],
  [64, 1024, 8],
  [1024, 8192, 8],
];

/** Reads of one object that may find its pack removed meanwhile before the error is passed on. */
const MAX_FIND_ATTEMPTS = 5;

const CACHE_BYTES = 52 * 1024 * 1024;
// Pack pages read once stay in a window this large (W3 on the large
// repository: as fast as with every page kept, 3 MB less peak memory).
const PAGE_WINDOW = 256 * 1024;
// Larger blobs are read rarely enough that caching them would only evict the small ones.
const BLOB_CACHE_MAX = 256 * 1024;

export class ObjectDatabase implements ObjectWriter {
  readonly loose: LooseStore;
  #packs: PackFile[] = [];
  #scanned = false;
  // Loose fan-out directories (`objects/xx`) as last scanned, for isStored().
  #looseDirs = new Set<string>();
  readonly #deltaCache: Lru<number, GitObject>;
  readonly #pages: WindowedCache<Uint8Array>;
  readonly #indexCheckBytes: number;
  readonly #options: ObjectDatabaseOptions;
  // The databases of objects/info/alternates, read at the first scan (`null` until then).
  #alternates: Alternates | undefined | null = null;
  // Loose files written since the last flush, for the durability barrier.
  #unflushed: string[] = [];
  /**
   * Re-hash every object read and compare it with its id (on by default; the
   * benchmark turns it off only to report what the check costs).
   */
  verifyReads = true;
  /**
   * Blobs already checked, by id: reading a file at every commit of a history
   * reads the same few versions over and over. (Trees and commits are cached
   * decoded one layer up.)
   */
  readonly #blobs: Lru<string, GitObject>;
  /**
   * Blobs read once, by id. A blob is cached on its second read: reading every
   * file of a snapshot reads each once, and caching them would only hold their
   * memory (and cost a copy each: see `isCached`).
   */
  readonly #blobUse = new SecondUse(16_384);
  // Ids known to exist, so repeated writes of the same content cost nothing.
  readonly #known = new Lru<string, true>(100_000);

  #consolidating = false;

  /** Git treats the empty tree as present in every repository, stored or not. */
  readonly emptyTree: string;

  constructor(
    readonly storage: Storage,
    readonly platform: Platform,
    options: ObjectDatabaseOptions = {},
  ) {
    this.loose = new LooseStore(storage, platform);
    const bytes = options.cacheBytes ?? CACHE_BYTES;
    this.#deltaCache = new Lru(Math.floor((bytes * 8) / 13), (o) => o.data.length);
    this.#pages = new WindowedCache(PAGE_WINDOW, Math.floor((bytes * 4) / 13), (page) => page.length);
    this.#blobs = new Lru(Math.floor(bytes / 13), (o) => o.data.length + 64);
    this.#indexCheckBytes = options.indexCheckBytes ?? 1024 * 1024;
    this.#options = options;
    this.emptyTree = hashObject(platform.hash, "tree", new Uint8Array(0));
  }

  /** The id `data` would have as an object of `type`. */
  hash(type: ObjectType, data: Uint8Array): string {
    return hashObject(this.platform.hash, type, data);
  }

  /** Re-read `objects/pack/` (open new packs, forget removed ones) and which loose fan-out directories exist. */
  async rescan(): Promise<void> {
    this.#looseDirs = new Set(await this.loose.fanOutDirs());
    const entries = (await this.storage.list("objects/pack")) ?? [];
    const bases = new Set(entries.filter((e) => e.name.endsWith(".idx") && e.name.startsWith("pack-")).map((e) => `objects/pack/${e.name.slice(0, -4)}`));
    const kept = this.#packs.filter((p) => bases.has(p.path.slice(0, -5)));
    const have = new Set(kept.map((p) => p.path.slice(0, -5)));
    for (const base of [...bases].sort()) {
      if (have.has(base)) continue;
      const pack = await PackFile.open(this.storage, this.platform, base, this.#deltaCache, this.#pages, { checkIndexUpTo: this.#indexCheckBytes }, this.#options.location);
      if (pack) kept.push(pack);
    }
    this.#packs = kept;
    this.#scanned = true;
    if (this.#alternates === null) this.#alternates = await this.#options.alternates?.(this);
  }

  /** Whether the object exists (packs as last scanned, then loose). */
  async has(id: string): Promise<boolean> {
    return this.#has(id, false);
  }

  /**
   * Whether a writer may skip storing `id`: {@link has}, except that loose
   * objects are looked for only in the fan-out directories that existed at
   * the last scan, so that a repository without loose objects (gitstore
   * writes none) costs no file lookup per new object. An object another
   * process wrote loose since then is stored again, which git tolerates and
   * gc undoes. The file holding an object found is freshened (its
   * modification time set to now, as git does), so that a gc pruning old
   * unreachable objects meanwhile keeps it.
   */
  isStored(id: string): Soon<boolean> {
    return this.#has(id, true);
  }

  /** At once when the packs answer (a writer's usual case), else a promise. */
  #has(id: string, writing: boolean): Soon<boolean> {
    if (this.#known.get(id)) return true;
    if (!this.#scanned) return this.rescan().then(() => this.#has(id, writing));
    const at = this.#inPack(id);
    // Only a writer remembers what it found: a later writer would otherwise skip freshening it.
    if (at) {
      if (!writing) return true;
      const touching = at.pack.freshen();
      return touching ? touching.then(() => this.#remember(id)) : this.#remember(id);
    }
    const looseMayHave = !writing || this.#looseDirs.has(id.slice(0, 2));
    return looseMayHave ? this.#hasLoose(id, writing) : this.#borrowed(id);
  }

  async #hasLoose(id: string, writing: boolean): Promise<boolean> {
    if (!(await this.loose.has(id))) return this.#borrowed(id);
    if (!writing) return true;
    // Gone between the lookup and the freshening (packed and removed by a gc): store it again.
    if (!(await this.loose.freshen(id))) return false;
    return this.#remember(id);
  }

  /** What the repositories this one borrows from hold counts as stored, as for git. */
  #borrowed(id: string): Soon<boolean> {
    return this.#alternates?.has(id) ?? false;
  }

  #remember(id: string): true {
    this.#known.set(id, true);
    return true;
  }

  /** The object, checked against its id, or `undefined` when absent. */
  async find(id: string): Promise<GitObject | undefined> {
    return this.findSoon(id);
  }

  /**
   * {@link find} at once when every byte the object needs is cached, else a
   * promise that resumes the same walk through its delta chain.
   */
  findSoon(id: string): Soon<GitObject | undefined> {
    const atHand = this.#atHand(id);
    if (atHand) return atHand;
    const at = this.#scanned ? this.#inPack(id) : undefined;
    if (!at) return this.#search(id, undefined);
    const got = at.pack.readAt(at.offset, id);
    return got instanceof Promise ? this.#search(id, got) : this.#accept(id, got);
  }

  /** {@link find} from the storage: `pending` is a read of the packs {@link findSoon} started. */
  async #search(id: string, pending: Promise<GitObject> | undefined): Promise<GitObject | undefined> {
    if (!this.#scanned) await this.rescan();
    let rescanned = false;
    for (let attempt = 1; ; attempt++) {
      let obj: GitObject | undefined;
      let vanished = false;
      try {
        if (pending) obj = await pending;
        else {
          const at = this.#inPack(id);
          // Whatever is cached resolves without waiting; only what must be read is awaited.
          const got = at ? at.pack.readAt(at.offset, id) : this.loose.find(id);
          obj = got instanceof Promise ? await got : got;
        }
      } catch (e) {
        // A pack removed behind our back (a merge or gc elsewhere): its objects
        // are in a newer one, which a rescan finds. Writers that keep merging
        // can do this more than once, but not forever.
        if (!(e instanceof FileNotFoundError) || attempt === MAX_FIND_ATTEMPTS) throw e;
        vanished = true;
      }
      pending = undefined;
      if (obj) return this.#accept(id, obj);
      // A repository that borrows objects finds most of them there: before
      // a rescan, which lists the pack directory.
      if (!rescanned && this.#alternates && (obj = await this.#alternates.find(id))) return obj;
      if (rescanned && !vanished) {
        // Before calling it absent: a damaged index may be hiding it.
        for (const p of this.#packs) p.index.verify();
        return undefined;
      }
      await this.rescan();
      rescanned = true;
    }
  }

  /** The object when it needs no lookup (a cached blob, the empty tree); a malformed id throws. */
  #atHand(id: string): GitObject | undefined {
    const cached = this.#blobs.get(id);
    if (cached) return cached;
    if (!isId(id, this.platform.hash)) throw new CorruptObjectError(`malformed object id ${JSON.stringify(id)}`);
    return id === this.emptyTree ? emptyTree() : undefined;
  }

  /** The pack holding `id` and where, among the packs as last scanned. */
  #inPack(id: string): { pack: PackFile; offset: number } | undefined {
    const key = searchKey(id);
    const packs = this.#packs;
    for (let k = 0; k < packs.length; k++) {
      const pack = packs[k]!;
      const i = pack.index.findKeyed(key, id);
      if (i >= 0) return { pack, offset: pack.index.offset(i) };
    }
    return undefined;
  }

  /** Check what was read against its id, and cache a blob read for the second time. */
  #accept(id: string, obj: GitObject): GitObject {
    if (this.verifyReads) {
      const actual = this.hash(obj.type, obj.data);
      if (actual !== id) throw new CorruptObjectError(`object ${id} is damaged: its content hashes to ${actual}`);
    }
    if (obj.type === "blob" && obj.data.length <= BLOB_CACHE_MAX) {
      if (this.#blobUse.again(id)) {
        this.#blobs.set(id, obj);
        markCached(obj.data);
      }
    }
    return obj;
  }

  /** The object; a missing one is corruption (something referenced it). */
  async read(id: string, expectedType?: ObjectType): Promise<GitObject> {
    return this.readSoon(id, expectedType);
  }

  /** {@link read} at once when every byte the object needs is cached (see {@link findSoon}). */
  readSoon(id: string, expectedType?: ObjectType): Soon<GitObject> {
    const got = this.findSoon(id);
    return got instanceof Promise ? got.then((obj) => checkType(id, obj, expectedType)) : checkType(id, got, expectedType);
  }

  /** Store an object (once: existing objects are not rewritten); resolves to its id. */
  async write(type: ObjectType, data: Uint8Array): Promise<string> {
    const id = this.hash(type, data);
    if (!(await this.isStored(id))) {
      this.#unflushed.push(await this.loose.write(id, type, data));
      this.#looseDirs.add(id.slice(0, 2));
      this.#known.set(id, true);
    }
    return id;
  }

  /** Make a pack just published (by us) visible without a rescan or reading it back. */
  async addPack(published: PublishedPack): Promise<void> {
    if (!this.#scanned) await this.rescan();
    const path = `${published.base}.pack`;
    if (this.#packs.some((p) => p.path === path)) return;
    const pack = await PackFile.open(this.storage, this.platform, published.base, this.#deltaCache, this.#pages, { written: published }, this.#options.location);
    if (pack) this.#packs.push(pack);
  }

  /**
   * Merge small packs as they accumulate (each commit publishes one): packs are
   * tiered by object count (under 64, under 1,024, under 8,192); once a tier
   * holds 32 packs (the first) or 8 (the others) they become one, so every
   * object is copied a few times at most and the number of packs stays small
   * (see `TIERS`). Larger
   * packs (from gc or git) and `.keep` packs are left alone. The merged pack is
   * published before the small ones are removed.
   */
  async consolidate(options: { sync: boolean }): Promise<void> {
    // One merge at a time per database; a writer arriving meanwhile leaves it to the running one.
    if (this.#consolidating || this.#options.mergePacks === false) return;
    this.#consolidating = true;
    try {
      await this.#consolidate(options);
    } finally {
      this.#consolidating = false;
    }
  }

  async #consolidate(options: { sync: boolean }): Promise<void> {
    for (const [from, below, mergeAt] of TIERS) {
      let group = this.#packs.filter((p) => p.index.count >= from && p.index.count < below);
      if (group.length < mergeAt) continue;
      const { mergePacks, listPackDirectory } = await writing.load();
      const dir = await listPackDirectory(this.storage);
      group = group.filter((p) => !dir.kept.has(p.path));
      if (group.length < mergeAt) continue;
      const published = await mergePacks(this, group, options);
      await this.addPack(published);
      const path = `${published.base}.pack`;
      // The listing of a moment ago serves the removal: the merge added only its own pack.
      await this.removePacks(group.filter((p) => p.path !== path), dir.files);
    }
  }

  /**
   * Remove packs whose objects are now stored elsewhere (see
   * `removePackFiles`; `files`: the pack directory's, if just listed) and
   * stop reading them.
   */
  async removePacks(packs: readonly PackFile[], files?: ReadonlySet<string>): Promise<void> {
    if (packs.length === 0) return;
    const { removePackFiles } = await writing.load();
    await removePackFiles(this.storage, packs.map((p) => p.path), files);
    this.#packs = this.#packs.filter((p) => !packs.includes(p));
  }

  /** Full ids starting with `prefix` (lowercase hex), from packs and loose files. */
  async findByPrefix(prefix: string): Promise<string[]> {
    await this.rescan();
    const found = new Set<string>();
    for (const p of this.#packs) for (const i of p.index.findPrefix(prefix)) found.add(p.index.id(i));
    if (prefix.length >= 2) {
      const dir = `objects/${prefix.slice(0, 2)}`;
      for (const e of (await this.storage.list(dir)) ?? []) {
        const id = prefix.slice(0, 2) + e.name;
        if (!e.isDirectory && id.startsWith(prefix) && isId(id, this.platform.hash)) found.add(id);
      }
    }
    for (const id of (await this.#alternates?.findByPrefix(prefix)) ?? []) found.add(id);
    return [...found].sort();
  }

  /** Flush every object written since the last flush (one barrier for all). */
  async flush(): Promise<void> {
    const paths = this.#unflushed;
    this.#unflushed = [];
    if (paths.length > 0 && this.storage.sync) await this.storage.sync(paths);
  }

  /** Drop every cache and forget the packs (reopened on the next read). */
  close(): void {
    for (const cache of [this.#deltaCache, this.#pages, this.#blobs, this.#blobUse, this.#known]) cache.clear();
    this.#packs = [];
    this.#scanned = false;
    this.#alternates?.close();
    this.#alternates = null;
  }

  /** The packs currently open. */
  get packs(): readonly PackFile[] {
    return this.#packs;
  }
}

/** Git treats the empty tree as present in every repository, stored or not. */
function emptyTree(): GitObject {
  return { type: "tree", data: new Uint8Array(0) };
}

function checkType(id: string, obj: GitObject | undefined, expectedType: ObjectType | undefined): GitObject {
  if (!obj) throw new CorruptObjectError(`object ${id} is missing`);
  if (expectedType && obj.type !== expectedType) throw new CorruptObjectError(`object ${id} is a ${obj.type}, expected a ${expectedType}`);
  return obj;
}
