/** `FS`: an immutable snapshot of one commit. */
import { CorruptObjectError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, RefConflictError, StaleSnapshotError, ValueError } from "../errors.js";
import { messageText, type Commit } from "../objects/commit.js";
import { isCached } from "../objects/object.js";
import type { Soon } from "../objects/soon.js";
import { entryKind, type TreeEntry, type TreeView } from "../objects/tree.js";
import { HEADS } from "../refs/names.js";
import type { PreparedRefs, RefEdit } from "../refs/store.js";
import { ReadableFile, toBytes, WritableFile } from "./files.js";
import { LoopCheck } from "./loop-check.js";
import { parentNotADirectory, splitDirPath, splitPath, splitWritePath } from "./paths.js";
import type { DumpItem, Repo } from "./repo.js";
import { MutableTree } from "./tree-edit.js";
import { StagedObjects } from "../objects/staging.js";
import { Batch, stageRemove, stageWrite } from "./batch.js";

/** Options of the writing methods. */
export interface CommitOptions {
  /** Commit message; each method has its default (`Write <path>`...). */
  readonly message?: string;
}

/** Where a path leads in a tree. */
type Located = { kind: "entry"; entry: TreeEntry } | { kind: "root" };

/**
 * An immutable snapshot: one commit of the repository. Reading never changes
 * anything; each write makes exactly one commit on this snapshot's branch and
 * returns a new `FS`.
 */
export class FS {
  readonly #repo: Repo;
  readonly #commit: Commit;
  /** The 40-hex commit id. */
  readonly hash: string;
  /** The branch this snapshot writes to, or `null` for a read-only snapshot (tag or commit id). */
  readonly branch: string | null;

  /** @internal Use `repo.branches`, `repo.tags` or `repo.snapshot`. */
  constructor(repo: Repo, hash: string, commit: Commit, branch: string | null) {
    this.#repo = repo;
    this.hash = hash;
    this.#commit = commit;
    this.branch = branch;
  }

  /** @internal */
  static async at(repo: Repo, hash: string, branch: string | null): Promise<FS> {
    const commit = repo.getCommit(hash);
    return new FS(repo, hash, commit instanceof Promise ? await commit : commit, branch);
  }

  /** @internal The engine behind this snapshot; `undefined` for anything that is not an FS. */
  static repoOf(x: unknown): Repo | undefined {
    return typeof x === "object" && x !== null && #repo in x ? (x as FS).#repo : undefined;
  }

  /** The commit message, trailing newlines stripped. */
  get message(): string {
    return messageText(this.#commit).replace(/\n+$/, "");
  }

  /** The root tree id. */
  get tree(): string {
    return this.#commit.tree;
  }

  // ---- reading ---------------------------------------------------------

  #root: TreeView | undefined;

  /** The root tree: a snapshot never changes, so once read it is kept with it. */
  async #rootTree(): Promise<TreeView> {
    return (this.#root ??= await this.#repo.getTree(this.#commit.tree));
  }

  /**
   * Walk `segments` from the root; throws the API's errors for missing paths
   * and files in the way. At once when every tree on the way is at hand
   * (reading many files of one snapshot, or one file down a history), else a
   * promise that goes on from the tree it had to wait for.
   */
  #locate(segments: readonly string[], path: string): Soon<Located> {
    if (segments.length === 0) return { kind: "root" };
    const dir = this.#sameDir(segments);
    if (dir) return { kind: "entry", entry: this.#step(dir, segments, segments.length - 1, path) };
    const root = this.#root ?? this.#repo.getTree(this.#commit.tree);
    if (root instanceof Promise) return root.then((tree) => this.#walk((this.#root = tree), segments, 0, path));
    return this.#walk((this.#root = root), segments, 0, path);
  }

  /** {@link #locate} from segment `i`, in `tree`. */
  #walk(tree: TreeView, segments: readonly string[], i: number, path: string): Soon<Located> {
    for (; ; i++) {
      const entry = this.#step(tree, segments, i, path);
      if (i === segments.length - 1) return this.#found(segments, tree, entry);
      const next = this.#repo.getTree(entry.id);
      if (next instanceof Promise) {
        const from = i + 1;
        return next.then((sub) => this.#walk(sub, segments, from, path));
      }
      tree = next;
    }
  }

  /**
   * The directory the last lookup below the root ended in: a file read right
   * after it was checked, or next to the one read before, walks no tree again.
   */
  #lastDir: { segments: readonly string[]; tree: TreeView } | undefined;

  #found(segments: readonly string[], dir: TreeView, entry: TreeEntry): Located {
    if (segments.length > 1) this.#lastDir = { segments, tree: dir };
    return { kind: "entry", entry };
  }

  /** The directory of the last lookup, if `segments` lead into it too. */
  #sameDir(segments: readonly string[]): TreeView | undefined {
    const last = this.#lastDir;
    const n = segments.length - 1;
    if (!last || n === 0 || last.segments.length - 1 !== n) return undefined;
    for (let i = 0; i < n; i++) if (last.segments[i] !== segments[i]) return undefined;
    return last.tree;
  }

  /** The entry for segment `i` of `path` in `tree`; a segment before the last must be a directory. */
  #step(tree: TreeView, segments: readonly string[], i: number, path: string): TreeEntry {
    const entry = tree.find(segments[i]!);
    if (!entry) throw new FileNotFoundError(`no such file or directory: ${path}`);
    if (i < segments.length - 1 && entryKind(entry.mode) !== "tree") throw parentNotADirectory(segments, i, path);
    return entry;
  }

  async #treeAt(path: string | undefined): Promise<TreeView> {
    const segments = splitDirPath(path);
    const found = this.#locate(segments, path ?? "");
    const loc = found instanceof Promise ? await found : found;
    if (loc.kind === "root") return this.#rootTree();
    if (entryKind(loc.entry.mode) !== "tree") throw new NotADirectoryError(`not a directory: ${path}`);
    return this.#repo.getTree(loc.entry.id);
  }

  /** Contents of the file at `path`. */
  async read(path: string): Promise<Uint8Array> {
    const segments = splitPath(path);
    const found = this.#locate(segments, path);
    const loc = found instanceof Promise ? await found : found;
    if (loc.kind === "root") throw new IsADirectoryError(`is a directory: ${path}`);
    const kind = entryKind(loc.entry.mode);
    if (kind === "tree") throw new IsADirectoryError(`is a directory: ${path}`);
    if (kind === "gitlink") throw new IsADirectoryError(`is a submodule: ${path}`);
    const blob = this.#repo.odb.readSoon(loc.entry.id, "blob");
    const { data } = blob instanceof Promise ? await blob : blob;
    // A cache's bytes are copied: they must never be changed through what we hand out.
    return isCached(data) ? data.slice() : data;
  }

  /** `read` decoded as UTF-8. */
  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.read(path));
  }

  /** Names in the directory at `path` (the root by default), in git tree order. */
  async ls(path?: string): Promise<string[]> {
    const tree = await this.#treeAt(path);
    return Array.from({ length: tree.length }, (_, i) => tree.name(i));
  }

  /** Whether a file or directory exists at `path`. */
  async exists(path: string): Promise<boolean> {
    const segments = splitPath(path);
    try {
      const found = this.#locate(segments, path);
      if (found instanceof Promise) await found;
      return true;
    } catch (e) {
      if (e instanceof FileNotFoundError || e instanceof NotADirectoryError) return false;
      throw e;
    }
  }

  /** Top-down walk like Python's `os.walk`: `[dirpath, dirnames, filenames]` per directory. */
  async *walk(path?: string): AsyncIterable<[string, string[], string[]]> {
    const start = await this.#treeAt(path);
    const root = splitDirPath(path).join("/");
    const stack: [string, TreeView, number][] = [[root, start, 0]];
    while (stack.length > 0) {
      const [dir, tree, depth] = stack.pop()!;
      if (depth > 10_000) throw new CorruptObjectError(`tree at ${dir}: nesting too deep (cycle?)`);
      const dirs: TreeEntry[] = [];
      const files: string[] = [];
      for (const e of tree.entries()) {
        if (entryKind(e.mode) === "tree") dirs.push(e);
        else files.push(e.name);
      }
      yield [dir, dirs.map((e) => e.name), files];
      // Kept: a walk is mostly followed by reads below it.
      const subtrees = await Promise.all(dirs.map((e) => this.#repo.getTree(e.id, true)));
      for (let i = dirs.length - 1; i >= 0; i--) stack.push([dir === "" ? dirs[i]!.name : `${dir}/${dirs[i]!.name}`, subtrees[i]!, depth + 1]);
    }
  }

  /** Open a file: `"rb"` to read it, `"wb"` to write it (committed on `close()`). */
  open(path: string, mode: "rb"): Promise<ReadableFile>;
  open(path: string, mode: "wb"): Promise<WritableFile<FS>>;
  async open(path: string, mode: "rb" | "wb"): Promise<ReadableFile | WritableFile<FS>> {
    if (mode === "rb") return new ReadableFile(await this.read(path));
    if (mode === "wb") {
      splitWritePath(path);
      this.#writable("open for writing");
      return new WritableFile((data) => this.write(path, data));
    }
    throw new ValueError(`unsupported open mode ${JSON.stringify(mode)} (use "rb" or "wb")`);
  }

  // ---- writing ---------------------------------------------------------

  #writable(what: string): string {
    if (this.branch === null) throw new PermissionError(`cannot ${what}: snapshot ${this.hash.slice(0, 12)} is read-only (not on a branch)`);
    return this.branch;
  }

  /** Create or replace the file at `path`. */
  async write(path: string, data: Uint8Array | string, options?: CommitOptions): Promise<FS> {
    const segments = splitWritePath(path);
    const bytes = toBytes(data);
    this.#writable("write");
    const root = new MutableTree(this.#repo, this.#commit.tree);
    const staged = new StagedObjects(this.#repo.odb);
    await stageWrite(staged, root, segments, bytes);
    return this.#commitTree(root, options?.message ?? `Write ${segments.join("/")}`, staged);
  }

  /** Delete the file or directory at `path`. */
  async remove(path: string, options?: CommitOptions): Promise<FS> {
    const segments = splitPath(path);
    this.#writable("remove");
    const root = new MutableTree(this.#repo, this.#commit.tree);
    await stageRemove(root, segments);
    return this.#commitTree(root, options?.message ?? `Remove ${segments.join("/")}`, new StagedObjects(this.#repo.odb));
  }

  /**
   * Stage several changes and commit them as one: `await fs.batch(async (b) => { b.write(...); })`.
   * If `fn` fails nothing is committed; an empty batch commits nothing and resolves to this snapshot.
   */
  async batch(fn: (b: Batch<FS>) => unknown, options?: CommitOptions): Promise<FS> {
    if (typeof fn !== "function") throw new TypeError("batch takes a function: fs.batch(async (b) => { ... })");
    this.#writable("batch");
    const b = new Batch<FS>(this.#repo, new MutableTree(this.#repo, this.#commit.tree));
    let ops: string[];
    try {
      await fn(b);
      ops = await b._seal();
    } catch (e) {
      await b._abandon();
      throw e;
    }
    if (ops.length === 0) return this;
    const fs = await this.#commitTree(b.root, options?.message ?? `Batch: ${ops.join("; ")}`, b.objects);
    b.fs = fs;
    return fs;
  }

  /** Commit the edited tree on this snapshot and compare-and-swap the branch to it. */
  async #commitTree(root: MutableTree, message: string, staged: StagedObjects): Promise<FS> {
    const branch = this.#writable("write");
    const repo = this.#repo;
    const sync = repo.options.durability === "full";
    let commitId: string;
    let prepared: PreparedRefs | undefined;
    try {
      commitId = await repo.writeCommit(await root.writeRoot(staged), [this.hash], message, staged);
      const edit = { name: HEADS + branch, newId: commitId, expected: { kind: "value", id: this.hash }, message: `commit: ${message.split("\n")[0]}` } as const;
      // Nothing is published before the branch is locked and checked, so a
      // stale write (or one that finds the lock held) shows nothing. A
      // commit's few objects wait in memory; a large batch's pack, streaming
      // into files already, is completed and flushed first, so that the lock
      // is held only while the pack appears and the ref moves.
      if (!staged.inMemory) await staged.seal({ sync });
      prepared = await this.#prepare(edit);
      await staged.publish({ sync });
      await prepared.commit();
    } catch (e) {
      await staged.abort();
      throw e;
    } finally {
      await prepared?.rollback();
    }
    // Maintenance after the fact: the commit has landed whatever happens here
    // (a pack removed by a concurrent gc, a full disk), and the next commit retries.
    await repo.odb.consolidate({ sync }).catch(() => undefined);
    return FS.at(repo, commitId, branch);
  }

  /** Lock this snapshot's branch for `edit`; `StaleSnapshotError` when it has moved. */
  async #prepare(edit: RefEdit): Promise<PreparedRefs> {
    try {
      return await this.#repo.refs.prepare([edit]);
    } catch (e) {
      if (e instanceof RefConflictError) throw new StaleSnapshotError(`branch ${this.branch} has moved since snapshot ${this.hash.slice(0, 12)} was taken: ${e.message}`);
      throw e;
    }
  }

  // ---- history ---------------------------------------------------------

  /** The first parent (same branch), or `null` for a root commit (or where a shallow clone's history ends). */
  async parent(): Promise<FS | null> {
    const p = this.#commit.parents[0];
    if (p === undefined) return null;
    // A shallow clone's history ends where git cut it, as `git log`'s does.
    const shallow = this.#repo.shallowCommits();
    if ((shallow instanceof Promise ? await shallow : shallow).has(this.hash)) return null;
    return FS.at(this.#repo, p, this.branch);
  }

  /** This snapshot, then its first-parent ancestors down to the root. */
  async *log(): AsyncIterable<FS> {
    // Ids are checked against their objects, so only a broken hash function
    // could make history loop; the check keeps a walk from going on forever
    // then. It keeps nothing per commit (a set of the ids seen kept every
    // commit's text alive: 1.7 MB down 6,000 commits, and enough surviving
    // objects to double the young generation).
    const check = new LoopCheck(this.hash);
    let fs: FS | null = this;
    while (fs) {
      yield fs;
      fs = await fs.parent();
      if (fs && check.loops(fs.hash)) throw new CorruptObjectError(`commit ${fs.hash}: history loops`);
    }
  }

  // ---- export ----------------------------------------------------------

  /**
   * Write the tree into the local directory `dir` (created if missing). Follows
   * no symbolic link; refuses symlink entries that would point outside `dir`.
   */
  async dump(dir: string): Promise<void> {
    if (typeof dir !== "string") throw new TypeError(`dump needs a directory path, got ${typeof dir}`);
    // "" would be the current directory: too easy to pass by mistake to write there.
    if (dir === "") throw new ValueError("dump needs a directory path, got an empty string");
    const exporter = this.#repo.options.localExport;
    if (!exporter) throw new ValueError("dump() needs a local filesystem (the Node, Deno or Bun build)");
    // Read (and so validate) everything before anything is written.
    const items: DumpItem[] = [];
    const visit = async (prefix: string, tree: TreeView, depth: number): Promise<void> => {
      if (depth > 10_000) throw new CorruptObjectError(`tree at ${prefix}: nesting too deep (cycle?)`);
      for (const e of tree.entries()) {
        const path = prefix === "" ? e.name : `${prefix}/${e.name}`;
        const kind = entryKind(e.mode);
        if (kind === "tree") {
          items.push({ path, kind: "dir", data: new Uint8Array(0) });
          await visit(path, await this.#repo.getTree(e.id), depth + 1);
        } else if (kind && kind !== "gitlink") {
          items.push({ path, kind, data: (await this.#repo.odb.read(e.id, "blob")).data });
        }
      }
    };
    await visit("", await this.#rootTree(), 0);
    await exporter.dump(dir, items);
  }
}
