/**
 * The engine behind a `GitStore` handle: object database, refs, caches of
 * decoded trees and commits, identity and durability. Internal.
 */
import { CorruptObjectError, ValueError } from "../errors.js";
import { decodeCommit, encodeCommit, type Commit } from "../objects/commit.js";
import { formatTz } from "../objects/headers.js";
import { Lru, SecondUse } from "../objects/lru.js";
import { ObjectDatabase, type ObjectWriter, type ObjectDatabaseOptions } from "../objects/odb.js";
import type { Platform } from "../objects/platform.js";
import type { Soon } from "../objects/soon.js";
import { decodeTag } from "../objects/tag.js";
import { isId } from "../objects/hash.js";
import { TreeView } from "../objects/tree.js";
import { RefStore } from "../refs/store.js";
import type { Storage } from "../storage/storage.js";

/** One file or symlink of a tree, for exporting. */
export interface DumpItem {
  /** `/`-joined path relative to the snapshot root. */
  readonly path: string;
  readonly kind: "file" | "executable" | "symlink" | "dir";
  readonly data: Uint8Array;
}

/** Writes a snapshot to the local filesystem (provided by the Node build). */
export interface LocalExport {
  dump(dir: string, items: readonly DumpItem[]): Promise<void>;
}

export type Durability = "full" | "none";

export interface RepoOptions {
  readonly author: string;
  readonly email: string;
  readonly durability: Durability;
  readonly logAllRefUpdates: boolean;
  /** Bytes of decoded objects and pack data kept between reads, in all. */
  readonly cacheBytes: number;
  readonly localExport: LocalExport | undefined;
  /** Identifies the repository location, to tell snapshots of other repositories apart. */
  readonly location: unknown;
  /** Opens the object databases of `objects/info/alternates` (see `ObjectDatabaseOptions`). */
  readonly alternates?: ObjectDatabaseOptions["alternates"];
  /**
   * Why no pack may be removed, if so (`extensions.preciousObjects`, a
   * partial clone): `gc` then refuses, and small packs are not merged.
   */
  readonly keepPacks?: string;
}

/** What a handle's caches may hold by default (see `OpenOptions.cacheBytes`). */
export const DEFAULT_CACHE_BYTES = 60 * 1024 * 1024;
// Decoded commits kept: the one a snapshot is made at next, the parents a log walk goes to.
// Few: each one kept survives the young generation's collections, and 256 of
// them (W3 both, large repository) cost 3 MB of peak RSS and no time saved.
const COMMIT_CACHE_ENTRIES = 32;

const FORBIDDEN_IDENT = /[<>\n\0]/;

/** An option that counts something: `fallback` when absent, else a whole number of at least 0 (`ValueError`). */
export function countOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ValueError(`${name} must be a whole number, 0 or more, got ${String(value)}`);
  return value as number;
}

export function checkIdentity(author: string, email: string): void {
  if (typeof author !== "string" || FORBIDDEN_IDENT.test(author)) throw new ValueError(`invalid author name ${JSON.stringify(author)}`);
  if (typeof email !== "string" || FORBIDDEN_IDENT.test(email)) throw new ValueError(`invalid email ${JSON.stringify(email)}`);
}

export class Repo {
  readonly odb: ObjectDatabase;
  readonly refs: RefStore;
  // Decoded trees kept for reuse, by bytes (a tree costs its payload and 8 bytes an entry).
  readonly #trees: Lru<string, TreeView>;
  /**
   * Trees read once, by id: a tree is cached when read again (one we write,
   * or one a caller says it will need again, at once). A walk down history
   * reads each commit's trees once, and keeping them only fed the garbage
   * collector, which copies every cached object out of the young generation
   * and grows it when much survives (W3 history, large repository: 380 -> 320
   * ms, 130 -> 99 MB peak).
   */
  readonly #treeUse = new SecondUse(16_384);
  readonly #commits = new Lru<string, Commit>(COMMIT_CACHE_ENTRIES);
  closed = false;

  constructor(
    readonly storage: Storage,
    readonly platform: Platform,
    readonly options: RepoOptions,
  ) {
    // Trees get 2/15 of the budget (8 MiB of the default 60), the object database the rest.
    const treeBytes = Math.floor((options.cacheBytes * 2) / 15);
    this.#trees = new Lru(treeBytes, (tree) => tree.data.length + 8 * tree.length + 64 + tree.deflatedBytes);
    this.odb = new ObjectDatabase(storage, platform, { cacheBytes: options.cacheBytes - treeBytes, location: options.location, alternates: options.alternates, mergePacks: !options.keepPacks });
    this.refs = new RefStore(storage, platform.hash, {
      sync: options.durability === "full",
      logAllRefUpdates: options.logAllRefUpdates,
      identity: () => this.identity(),
    });
  }

  /** `Name <email> seconds +HHMM` as of now. */
  identity(): string {
    const now = new Date();
    return `${this.options.author} <${this.options.email}> ${Math.floor(now.getTime() / 1000)} ${formatTz(-now.getTimezoneOffset())}`;
  }

  /**
   * The tree, decoded: at once when it is cached or its bytes are (see
   * `ObjectDatabase.findSoon`), else a promise. `keep`: cache it even if this is
   * its first read (the caller will ask again).
   */
  getTree(id: string, keep = false): Soon<TreeView> {
    const tree = this.#trees.get(id);
    if (tree) return tree;
    const got = this.odb.readSoon(id, "tree");
    return got instanceof Promise ? got.then((obj) => this.#decodeTree(id, obj.data, keep)) : this.#decodeTree(id, got.data, keep);
  }

  #decodeTree(id: string, data: Uint8Array, keep: boolean): TreeView {
    const tree = TreeView.decode(data, this.platform.hash, id);
    if (keep || this.#treeUse.again(id)) this.#trees.set(id, tree);
    return tree;
  }

  /** Store a tree and keep it decoded for the next read (its next edit starts from it). */
  writeTreeView(tree: TreeView, writer: ObjectWriter = this.odb): Soon<string> {
    const id = writer.write("tree", tree.data, tree);
    return id instanceof Promise ? id.then((i) => this.#keepTree(i, tree)) : this.#keepTree(id, tree);
  }

  #keepTree(id: string, tree: TreeView): string {
    // (A tree that was stored already was not compressed: what it was made from is no use.)
    tree.origin = undefined;
    if (!this.#trees.get(id)) this.#trees.set(id, tree);
    return id;
  }

  /** The commit, decoded: at once when it is cached or its bytes are, else a promise. */
  getCommit(id: string): Soon<Commit> {
    const commit = this.#commits.get(id);
    if (commit) return commit;
    const got = this.odb.readSoon(id, "commit");
    return got instanceof Promise ? got.then((obj) => this.#decodeCommit(id, obj.data)) : this.#decodeCommit(id, got.data);
  }

  #decodeCommit(id: string, data: Uint8Array): Commit {
    const commit = decodeCommit(data, this.platform.hash, id);
    this.#commits.set(id, commit);
    return commit;
  }

  /** Store a commit of `tree` on `parents`; resolves to its id. */
  async writeCommit(tree: string, parents: readonly string[], message: string, writer: ObjectWriter = this.odb): Promise<string> {
    if (typeof message !== "string") throw new TypeError(`a commit message must be a string, got ${typeof message}`);
    if (message.includes("\0")) throw new ValueError("commit message contains NUL");
    const ident = this.identity();
    const commit: Commit = { tree, parents, author: ident, committer: ident, extraHeaders: [], message: message.endsWith("\n") ? message : message + "\n" };
    const written = writer.write("commit", encodeCommit(commit));
    const id = written instanceof Promise ? await written : written;
    this.#commits.set(id, commit);
    return id;
  }

  /**
   * Peel `id` (through annotated tags) to a commit id; `ref` names what pointed
   * here, for the error message.
   */
  async peelToCommit(id: string, ref: string): Promise<string> {
    const seen = new Set<string>();
    for (;;) {
      if (seen.has(id)) throw new CorruptObjectError(`ref ${ref}: tag chain loops at ${id}`);
      seen.add(id);
      let obj;
      try {
        obj = await this.odb.find(id);
      } catch (e) {
        if (e instanceof CorruptObjectError) throw new CorruptObjectError(`ref ${ref}: ${e.message}`);
        throw e;
      }
      if (!obj) throw new CorruptObjectError(`ref ${ref} points at missing object ${id}`);
      if (obj.type === "commit") {
        // Kept decoded, since the snapshot about to be made here needs it next;
        // a damaged one is left to getCommit to report, as before.
        if (!this.#commits.get(id)) {
          try {
            this.#decodeCommit(id, obj.data);
          } catch (e) {
            if (!(e instanceof CorruptObjectError)) throw e;
          }
        }
        return id;
      }
      if (obj.type !== "tag") throw new CorruptObjectError(`ref ${ref} points at a ${obj.type} (${id}), not a commit`);
      id = decodeTag(obj.data, this.platform.hash, id).object;
    }
  }

  // The commits git cut history at in a shallow clone (its `shallow` file), once read.
  #shallow: ReadonlySet<string> | undefined;

  /**
   * The commits of a shallow clone whose parents git does not have (the
   * repository's `shallow` file; empty for a complete repository): git's
   * history ends at them, as if they had no parents. Read once per handle.
   */
  shallowCommits(): Soon<ReadonlySet<string>> {
    return this.#shallow ?? this.#readShallow();
  }

  async #readShallow(): Promise<ReadonlySet<string>> {
    const bytes = await this.storage.read("shallow");
    const ids = new Set<string>();
    for (const line of new TextDecoder().decode(bytes ?? new Uint8Array(0)).split("\n")) {
      if (line === "") continue;
      if (!isId(line, this.platform.hash)) throw new CorruptObjectError(`shallow: not an object id: ${JSON.stringify(line.slice(0, 80))}`);
      ids.add(line);
    }
    return (this.#shallow = ids);
  }

  /** Drop the caches (decoded trees and commits, and the object database's). */
  close(): void {
    this.closed = true;
    this.#trees.clear();
    this.#treeUse.clear();
    this.#commits.clear();
    this.#shallow = undefined;
    this.odb.close();
  }

  /** Flush written objects when durability asks for it (before a ref moves). */
  async flushObjects(): Promise<void> {
    if (this.options.durability === "full") await this.odb.flush();
  }
}
