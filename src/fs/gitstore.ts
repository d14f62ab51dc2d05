/** `GitStore`: a handle on one bare repository. */
import { CorruptObjectError, FileExistsError, FileNotFoundError, KeyError, ValueError } from "../errors.js";
import { isId } from "../objects/hash.js";
import type { Platform } from "../objects/platform.js";
import { portablePlatform } from "../objects/platform.js";
import { configBool, decodeConfig, DEFAULT_CONFIG } from "../refs/config.js";
import { HEADS, checkNewBranchName } from "../refs/names.js";
import type { Storage } from "../storage/storage.js";
import { FS } from "./fs.js";
import type { GcOptions, GcSummary } from "./gc.js";
import { RefMap } from "./refmap.js";
import { checkIdentity, countOption, DEFAULT_CACHE_BYTES, Repo, type Durability, type LocalExport, type RepoOptions } from "./repo.js";

/** Options of {@link GitStore.open}. */
export interface OpenOptions {
  /**
   * Absent/`false`: open an existing repository. `true`: create an empty one.
   * A branch name: create one and bootstrap that branch with an empty commit.
   */
  readonly create?: boolean | string;
  /** Author and committer name of every commit made through this handle. Default `gitstore`. */
  readonly author?: string;
  /** Author and committer email. Default `gitstore@localhost`. */
  readonly email?: string;
  /** `"full"` (default): writes resolve only once flushed to stable storage. `"none"`: leave flushing to the OS. */
  readonly durability?: Durability;
  /**
   * Bytes of memory the handle may keep between reads for objects it has
   * decoded and pack data it has read (default 60 MiB): delta chains' results,
   * pack pages, trees, blobs read more than once. A smaller budget trades
   * speed for memory: reading many snapshots re-reads and re-applies deltas
   * the cache would have kept. `0` keeps nothing.
   */
  readonly cacheBytes?: number;
}

/** Internal hooks a runtime build provides (Node: disk storage, fast hashing, dump). */
export interface Runtime {
  readonly platform: Platform;
  readonly storageFor?: (path: string) => Storage;
  readonly localExport?: LocalExport;
  /** A stable identity of a storage's location (e.g. its absolute path). */
  readonly locationOf?: (storage: Storage) => unknown;
  /** Opens the object databases a repository borrows from (`objects/info/alternates`). */
  readonly alternates?: RepoOptions["alternates"];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A versioned key-value filesystem on a bare Git repository. Every write is a
 * commit; snapshots ({@link FS}) are immutable.
 */
export class GitStore implements AsyncDisposable {
  readonly #repo: Repo;
  /** Branches: writable snapshots by name. */
  readonly branches: RefMap;
  /** Tags: read-only snapshots by name; a tag once set cannot be overwritten. */
  readonly tags: RefMap;

  /** @internal Use {@link GitStore.open}. */
  protected constructor(repo: Repo) {
    this.#repo = repo;
    const same = (other: Repo): boolean => other === repo || (other.options.location === repo.options.location && repo.options.location !== undefined);
    this.branches = new RefMap(repo, "branches", same);
    this.tags = new RefMap(repo, "tags", same);
  }

  /**
   * Open (or create) the repository at `location`: a directory path (Node,
   * Deno, Bun) or any {@link Storage}.
   */
  static async open(location: string | Storage, options: OpenOptions = {}): Promise<GitStore> {
    return this._open(location, options, { platform: portablePlatform });
  }

  /** @internal */
  protected static async _open(location: string | Storage, given: OpenOptions | null | undefined, runtime: Runtime): Promise<GitStore> {
    const options: OpenOptions = given ?? {};
    const author = options.author ?? "gitstore";
    const email = options.email ?? "gitstore@localhost";
    checkIdentity(author, email);
    const durability = options.durability ?? "full";
    if (durability !== "full" && durability !== "none") throw new ValueError(`durability must be "full" or "none", got ${JSON.stringify(durability)}`);
    const cacheBytes = countOption("cacheBytes", options.cacheBytes, DEFAULT_CACHE_BYTES);
    const create = options.create ?? false;
    if (typeof create === "string") checkNewBranchName(create);
    else if (typeof create !== "boolean") throw new ValueError(`create must be true, false or a branch name, got ${String(create)}`);
    let storage: Storage;
    if (typeof location === "string") {
      if (!runtime.storageFor) throw new ValueError("a directory path needs the Node, Deno or Bun build of gitstore; pass a Storage (e.g. MemoryStorage) here");
      storage = runtime.storageFor(location);
    } else if (location && typeof location === "object" && typeof location.read === "function") {
      storage = location;
    } else {
      throw new TypeError("location must be a directory path or a Storage");
    }
    const where = typeof location === "string" ? location : "the given storage";
    if (create !== false) {
      const existing = await storage.list("").catch(() => undefined);
      if (existing && existing.length > 0) throw new FileExistsError(`cannot create a repository at ${where}: it already exists`);
      if (!existing && (await storage.stat("").catch(() => undefined))) throw new FileExistsError(`cannot create a repository at ${where}: a file is in the way`);
      await initRepository(storage, typeof create === "string" ? create : "main");
    }
    if (!(await storage.stat("HEAD")) || !(await storage.stat("objects")) || !(await storage.stat("refs"))) {
      throw new FileNotFoundError(`no repository at ${where}`);
    }
    const configBytes = await storage.read("config");
    const config = decodeConfig(configBytes ? decoder.decode(configBytes) : "");
    // Format 0 is all that a repository gitstore or `git init` makes uses; the
    // rules for others load when one is met.
    const version = config.get("core.repositoryformatversion") ?? "0";
    const keepPacks = version === "0" ? undefined : (await import("./format.js")).checkFormat(config, version, where);
    await runtime.platform.hash.load?.();
    const repo = new Repo(storage, runtime.platform, {
      author,
      email,
      durability,
      // git's default: reflogs in a repository with a work tree, none in a bare one
      // (where a reflog that exists is still appended to). Repositories gitstore
      // creates set it to true.
      logAllRefUpdates: configBool(config, "core.logallrefupdates") ?? !(configBool(config, "core.bare") ?? true),
      cacheBytes,
      localExport: runtime.localExport,
      location: runtime.locationOf?.(storage) ?? storage,
      alternates: runtime.alternates,
      keepPacks,
    });
    const store = new this(repo);
    if (typeof create === "string") {
      const tree = await repo.odb.write("tree", new Uint8Array(0));
      const commit = await repo.writeCommit(tree, [], `Initialize ${create}`);
      await repo.flushObjects();
      await repo.refs.update({ name: HEADS + create, newId: commit, expected: { kind: "absent" }, message: `commit (initial): Initialize ${create}` });
    }
    return store;
  }

  /**
   * Any snapshot by name: a branch (writable), a tag, or a full or abbreviated
   * (4+ hex digits) commit id (read-only); `HEAD` as git reads it (the branch
   * it names, or the commit a detached `HEAD` holds). `KeyError` when nothing
   * matches, `ValueError` when a prefix is ambiguous.
   */
  async snapshot(ref: string): Promise<FS> {
    if (typeof ref !== "string" || ref === "") throw new KeyError(`no such snapshot: ${String(ref)}`);
    const repo = this.#repo;
    // As git resolves it: the repository's HEAD comes before any ref of that name.
    if (ref === "HEAD") {
      const head = await repo.refs.read("HEAD");
      if (head?.kind === "symbolic" && head.target.startsWith(HEADS)) {
        const branch = head.target.slice(HEADS.length);
        return this.branches.get(branch).catch((e: unknown) => {
          throw e instanceof KeyError ? new KeyError(`HEAD names branch ${branch}, which has no commit yet`) : e;
        });
      }
      const id = head?.kind === "id" ? head.id : head && (await repo.refs.resolve(head.target));
      if (id === undefined) throw new KeyError("HEAD names no commit");
      return FS.at(repo, await repo.peelToCommit(id, "HEAD"), null);
    }
    const named = (await this.branches.find(ref)) ?? (await this.tags.find(ref));
    if (named) return named;
    const hex = ref.toLowerCase();
    if (/^[0-9a-f]{4,}$/.test(hex)) {
      let ids: string[];
      if (isId(hex, repo.platform.hash)) ids = (await repo.odb.has(hex)) ? [hex] : [];
      else ids = await repo.odb.findByPrefix(hex);
      if (ids.length > 1) {
        // Only commits (and tags peeling to them) count for ambiguity.
        const commits = new Set<string>();
        for (const id of ids) {
          const c = await repo.peelToCommit(id, ref).catch((e: unknown) => (e instanceof CorruptObjectError ? undefined : Promise.reject(e)));
          if (c) commits.add(c);
        }
        if (commits.size > 1) throw new ValueError(`ambiguous commit id prefix ${ref}`);
        ids = [...commits];
      }
      if (ids.length === 1) {
        const obj = await repo.odb.find(ids[0]!);
        if (obj && (obj.type === "commit" || obj.type === "tag")) return FS.at(repo, await repo.peelToCommit(ids[0]!, ref), null);
      }
    }
    throw new KeyError(`no such branch, tag or commit: ${ref}`);
  }

  /**
   * Pack every object reachable from any ref, HEAD or reflog into one pack
   * with delta compression and remove the loose objects and older packs that
   * became redundant. Unreachable objects are kept unless `prune` asks to drop
   * those older than the grace period. Safe to interrupt at any point.
   */
  async gc(options?: GcOptions): Promise<GcSummary> {
    // Loaded on demand: an application that never packs does not ship the pack writer.
    const { gc } = await import("./gc.js");
    return gc(this.#repo, options);
  }

  /**
   * The raw engine pieces (object database, refs) for advanced use and tests.
   * @internal
   */
  get _repo(): Repo {
    return this.#repo;
  }

  /** Release file handles and caches. Snapshots of a closed handle must not be used. */
  async close(): Promise<void> {
    if (this.#repo.closed) return;
    this.#repo.close();
    await this.#repo.storage.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Lay out an empty bare repository git accepts; HEAD names `branch` (unborn until written). */
async function initRepository(storage: Storage, branch: string): Promise<void> {
  for (const dir of ["objects/info", "objects/pack", "refs/heads", "refs/tags"]) await storage.mkdirp(dir);
  await storage.write("config", encoder.encode(DEFAULT_CONFIG));
  await storage.write("description", encoder.encode("Unnamed repository; edit this file 'description' to name the repository.\n"));
  // HEAD last: its presence is what makes the directory a repository.
  await storage.write("HEAD", encoder.encode(`ref: ${HEADS}${branch}\n`));
}
