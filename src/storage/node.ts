import * as fsys from "node:fs";
import * as nodePath from "node:path";
import { clearImmediate, setImmediate } from "node:timers";
import { CorruptObjectError, FileNotFoundError, NotADirectoryError, ValueError } from "../errors.js";
import { checkPath, dirname, type DirEntry, type FileStat, type Storage, type WriteOptions } from "./storage.js";

const { constants } = fsys;
const MAX_OPEN_HANDLES = 32;

/** The error code of a Node system error (`ENOENT`...), if `e` is one. */
export function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** A read's error, as `CorruptObjectError` where the file is a pipe (which has no positions to read at). */
function notRegular(e: unknown, path: string): unknown {
  return errno(e) === "ESPIPE" ? new CorruptObjectError(`${path}: is not a regular file`) : e;
}

/** lstat, `undefined` when nothing is there (also under a file, where the OS says ENOTDIR). */
function lstatIfAny(abs: string): fsys.Stats | undefined {
  try {
    return fsys.lstatSync(abs, { throwIfNoEntry: false });
  } catch (e) {
    if (errno(e) === "ENOTDIR") return undefined;
    throw e;
  }
}

/**
 * `mkdir -p`, Node's `{ recursive: true }` but for one case: where a parent
 * exists yet creating the child says ENOENT (anywhere in `/proc`, or below a
 * dangling symbolic link), Node creates the parent again and retries the
 * child forever, blocking the process; here that ENOENT is the answer
 * (`FileNotFoundError`). A file (or a link leading nowhere) in the way is
 * `NotADirectoryError`.
 */
export function makeDirectories(abs: string): void {
  const inTheWay = (): NotADirectoryError => new NotADirectoryError(`cannot create ${abs}: a file is in the way`);
  const missing: string[] = [];
  try {
    for (let dir = abs; ; dir = nodePath.dirname(dir)) {
      try {
        fsys.mkdirSync(dir);
      } catch (e) {
        const code = errno(e);
        if (code === "ENOENT" && nodePath.dirname(dir) !== dir) {
          missing.push(dir);
          continue;
        }
        if (code !== "EEXIST") throw e;
        if (!fsys.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw inTheWay();
      }
      break;
    }
    // Top down, each once: a parent that exists now and a child still ENOENT is final.
    for (const dir of missing.reverse()) {
      try {
        fsys.mkdirSync(dir);
      } catch (e) {
        if (errno(e) !== "EEXIST") throw e;
      }
    }
  } catch (e) {
    if (errno(e) === "ENOTDIR") throw inTheWay();
    if (errno(e) === "ENOENT") throw new FileNotFoundError(`cannot create ${abs}: its parent directory cannot hold it`);
    throw e;
  }
}

// Where small files are read whole (see `read`).
const SCRATCH = new Uint8Array(4096);

/**
 * Fill `out` from byte `from` on with the file's bytes at `position + from`
 * onwards, stopping early at the end of the file. A short read returns a
 * copy: a view would pin the whole buffer asked for.
 */
function readInto(fd: number, out: Uint8Array, from: number, position: number): Uint8Array {
  let done = from;
  while (done < out.length) {
    const n = fsys.readSync(fd, out, done, out.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === out.length ? out : out.slice(0, done);
}

/**
 * A repository in a directory of the local filesystem (Node, Deno, Bun).
 *
 * Metadata operations and small reads and writes use the synchronous system
 * calls: a commit is a few dozen of them, each a few microseconds, and a round
 * trip through libuv's thread pool would cost ten times more than the call.
 * Flushes (`sync`, `{ sync: true }`) run asynchronously, since they may take
 * milliseconds.
 *
 * It never follows a symbolic link out of the repository: a parent directory
 * that resolves outside the root, or a final path component that is a symbolic
 * link, raises `CorruptObjectError` instead of reading or writing through it.
 */
export class NodeStorage implements Storage {
  /** Absolute path of the repository directory. */
  readonly root: string;
  #realRoot: string | undefined;
  // Directories already checked to resolve inside the root.
  readonly #confined = new Set<string>();
  // Pack files are read by range many times: keep a few descriptors open.
  readonly #fds = new Map<string, number>();
  readonly #replaced = new ReplacedFiles();

  constructor(root: string) {
    this.root = nodePath.resolve(root);
  }

  #abs(path: string): string {
    checkPath(path);
    return this.root + "/" + path;
  }

  /**
   * Throws unless the directory `dir` (storage path) stays inside the root:
   * each component is checked once with lstat; a symbolic link among them must
   * resolve inside the root. Components that do not exist yet are fine (they
   * will be created as real directories). Returns whether every component
   * exists (a file cannot exist under a missing directory).
   */
  #confine(dir: string): boolean {
    if (dir === "" || this.#confined.has(dir)) return true;
    const parts = dir.split("/");
    let prefix = "";
    for (const part of parts) {
      prefix = prefix === "" ? part : `${prefix}/${part}`;
      if (this.#confined.has(prefix)) continue;
      const st = lstatIfAny(this.root + "/" + prefix);
      if (!st) return false;
      if (st.isSymbolicLink()) {
        this.#realRoot ??= fsys.realpathSync.native(this.root);
        let real: string;
        try {
          real = fsys.realpathSync.native(this.root + "/" + prefix);
        } catch (e) {
          if (errno(e) === "ENOENT") return false; // leads nowhere: nothing below it exists
          if (errno(e) === "ELOOP") throw new CorruptObjectError(`${prefix}: symbolic links in a loop`);
          throw e;
        }
        if (real !== this.#realRoot && !real.startsWith(this.#realRoot + "/")) {
          throw new CorruptObjectError(`${prefix}: symbolic link leads outside the repository ${this.root}`);
        }
      } else if (!st.isDirectory()) {
        return true; // a file in the way: the operation itself reports it
      }
      this.#confined.add(prefix);
    }
    return true;
  }

  #open(path: string, flags: number): number {
    this.#confine(dirname(path));
    try {
      // O_NONBLOCK: a named pipe planted in a repository opens at once (and
      // reads as empty) instead of blocking the process until a writer
      // comes; git itself hangs there. Regular files ignore the flag.
      return fsys.openSync(this.#abs(path), flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
    } catch (e) {
      if (errno(e) === "ELOOP") throw new CorruptObjectError(`${path}: is a symbolic link (refusing to follow it)`);
      if (errno(e) === "ENXIO") throw new CorruptObjectError(`${path}: is not a regular file`);
      throw e;
    }
  }

  /** Open an existing file for reading; `undefined` when there is none. */
  #openExisting(path: string): number | undefined {
    try {
      return this.#open(path, constants.O_RDONLY);
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
      throw e;
    }
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    const fd = this.#openExisting(path);
    if (fd === undefined) return undefined;
    try {
      // Most files read whole are small (refs, HEAD, config): one read into a
      // scratch buffer, without the stat that sizes a larger one.
      const n = fsys.readSync(fd, SCRATCH, 0, SCRATCH.length, 0);
      if (n < SCRATCH.length) return SCRATCH.slice(0, n);
      // Larger: sized as it is now (as readFileSync does), the first block not read again.
      const out = new Uint8Array(Math.max(fsys.fstatSync(fd).size, n));
      out.set(SCRATCH);
      return readInto(fd, out, n, 0);
    } catch (e) {
      if (errno(e) === "EISDIR") throw new ValueError(`${path} is a directory`);
      throw notRegular(e, path);
    } finally {
      fsys.closeSync(fd);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    let fd = this.#fds.get(path);
    if (fd === undefined) {
      try {
        fd = this.#open(path, constants.O_RDONLY);
      } catch (e) {
        if (errno(e) === "ENOENT") throw new FileNotFoundError(`no such file: ${path}`);
        throw e;
      }
      this.#fds.set(path, fd);
      if (this.#fds.size > MAX_OPEN_HANDLES) {
        const [oldest, oldFd] = this.#fds.entries().next().value as [string, number];
        this.#fds.delete(oldest);
        fsys.closeSync(oldFd);
      }
    }
    try {
      return readInto(fd, new Uint8Array(length), 0, offset);
    } catch (e) {
      throw notRegular(e, path);
    }
  }

  async write(path: string, data: Uint8Array, options?: WriteOptions): Promise<void> {
    const tmp = `${path}.tmp-${randomSuffix()}`;
    await this.createExclusive(tmp, data, options);
    try {
      await this.rename(tmp, path, options);
    } catch (e) {
      await this.remove(tmp).catch(() => undefined);
      throw e;
    }
  }

  /** Open with `flags`, creating missing parent directories on ENOENT. */
  #openCreating(path: string, flags: number): number {
    try {
      return this.#open(path, flags);
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
      this.#mkdirs(dirname(path));
      return this.#open(path, flags);
    }
  }

  async createExclusive(path: string, data: Uint8Array, options?: WriteOptions): Promise<boolean> {
    let fd: number;
    try {
      fd = this.#openCreating(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    } catch (e) {
      if (errno(e) === "EEXIST") return false;
      throw e;
    }
    try {
      writeAll(fd, data);
      if (options?.sync) await datasync(fd);
    } catch (e) {
      // Remove the file only if it is still ours: a writer of the same
      // content (a pack has its hash for a name) may have replaced it.
      const mine = fsys.fstatSync(fd);
      fsys.closeSync(fd);
      const now = fsys.lstatSync(this.#abs(path), { throwIfNoEntry: false });
      if (now && now.ino === mine.ino && now.dev === mine.dev) fsys.rmSync(this.#abs(path), { force: true });
      throw e;
    }
    fsys.closeSync(fd);
    return true;
  }

  async append(path: string, data: Uint8Array, options?: WriteOptions): Promise<void> {
    const fd = this.#openCreating(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND);
    try {
      writeAll(fd, data);
      if (options?.sync) await datasync(fd);
    } finally {
      fsys.closeSync(fd);
    }
  }

  async touch(path: string): Promise<boolean> {
    const fd = this.#openExisting(path);
    if (fd === undefined) return false;
    try {
      // Through the descriptor: a symbolic link was refused when opening.
      const now = new Date();
      fsys.futimesSync(fd, now, now);
      return true;
    } finally {
      fsys.closeSync(fd);
    }
  }

  async rename(from: string, to: string, options?: WriteOptions): Promise<void> {
    this.#confine(dirname(from));
    this.#confine(dirname(to));
    const source = this.#abs(from);
    const target = this.#abs(to);
    const replaced = this.#replaced.hold(this.root, target);
    try {
      fsys.renameSync(source, target);
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
      if (!fsys.existsSync(source)) throw new FileNotFoundError(`no such file: ${from}`);
      this.#mkdirs(dirname(to));
      fsys.renameSync(source, target);
    } finally {
      await this.#replaced.release(replaced);
    }
    if (options?.sync) await this.#syncDir(dirname(to));
  }

  async remove(path: string): Promise<boolean> {
    this.#confine(dirname(path));
    const abs = this.#abs(path);
    const fd = this.#fds.get(path);
    if (fd !== undefined) {
      this.#fds.delete(path);
      fsys.closeSync(fd);
    }
    try {
      fsys.unlinkSync(abs);
      return true;
    } catch (e) {
      const code = errno(e);
      if (code === "ENOENT" || code === "ENOTDIR") return false;
      if (code !== "EISDIR" && code !== "EPERM") throw e;
    }
    fsys.rmdirSync(abs);
    this.#confined.delete(path);
    return true;
  }

  async list(dir: string): Promise<DirEntry[] | undefined> {
    if (dir !== "") checkPath(dir);
    this.#confine(dir);
    try {
      const entries = fsys.readdirSync(dir === "" ? this.root : this.#abs(dir), { withFileTypes: true });
      return entries.map((d) => ({ name: d.name, isDirectory: d.isDirectory() }));
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
      throw e;
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    if (!this.#confine(dirname(path))) return undefined;
    const st = lstatIfAny(path === "" ? this.root : this.#abs(path));
    return st && { isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
  }

  async mkdirp(dir: string): Promise<void> {
    this.#mkdirs(dir);
  }

  #mkdirs(dir: string): void {
    // Always ask the OS: a directory seen before may have been removed since (git gc prunes empty ones).
    this.#confine(dir);
    makeDirectories(dir === "" ? this.root : this.#abs(dir));
  }

  async sync(paths: readonly string[], options?: { readonly contentOnly?: boolean }): Promise<void> {
    const dirs = new Set<string>();
    await Promise.all(
      paths.map(async (p) => {
        dirs.add(dirname(p));
        const fd = fsys.openSync(this.#abs(p), constants.O_RDONLY);
        try {
          await datasync(fd);
        } finally {
          fsys.closeSync(fd);
        }
      }),
    );
    if (!options?.contentOnly) await Promise.all([...dirs].map((d) => this.#syncDir(d)));
  }

  async #syncDir(dir: string): Promise<void> {
    const fd = fsys.openSync(dir === "" ? this.root : this.#abs(dir), constants.O_RDONLY);
    try {
      await new Promise<void>((resolve, reject) => fsys.fsync(fd, (e) => (e ? reject(e) : resolve())));
    } finally {
      fsys.closeSync(fd);
    }
  }

  async close(): Promise<void> {
    for (const fd of this.#fds.values()) fsys.closeSync(fd);
    this.#fds.clear();
    this.#replaced.handOff();
  }
}

/**
 * Files a rename replaces, freed in the thread pool. The filesystem frees a
 * replaced file (its inode and data blocks; with `discard`, as this
 * machine's ext4 is mounted, the blocks are discarded at once) when its last
 * reference goes, which is inside the rename, on the caller's thread, unless
 * a descriptor still holds it: then at the descriptor's close, here left to
 * the thread pool. A commit renames its ref's lock over the ref: 140-160 ->
 * 61-92 us for that rename, 620 -> 561 us for the whole commit (W1 on disk,
 * medians). Only on ext2/3/4, where it was measured: on a memory filesystem
 * freeing costs nothing and the hand-off to a thread (waking it, on this
 * two-core VM) about 100 us; an NFS client would keep the replaced file as
 * a `.nfsXXXX` file until the close (more round trips, not fewer); Windows
 * refuses to rename over an open file.
 *
 * The descriptors go to the pool in batches: libuv wakes an idle worker for
 * each job it is handed while one sleeps, and the wake-up costs the caller
 * 20 us on a quiet two-core VM, 50-65 us while V8 compiles on the other core
 * (the woken worker then runs on the caller's). Handed over together, 16
 * closes wake a few workers, which take the rest from the queue: W1 on disk
 * 0.587 -> 0.521 ms a commit (medians of 10 fresh processes, alternated).
 * A batch builds up only while commits follow one another without the event
 * loop turning (each resolves without waiting for I/O); otherwise the
 * descriptors go at the loop's next turn. What waits holds only files that
 * no longer have a name (nothing anyone could open).
 */
class ReplacedFiles {
  #enabled: boolean | undefined;
  #closing = 0;
  #held: number[] = [];
  #turn: ReturnType<typeof setImmediate> | undefined;

  /** A descriptor of the regular file at `abs` (below `root`), when there is one to hand off. */
  hold(root: string, abs: string): number | undefined {
    this.#enabled ??= offloadsFreeing(root);
    // Mostly nothing is there (a new pack's index): lstat says so without the cost of an exception.
    if (!this.#enabled || !lstatIfAny(abs)?.isFile()) return undefined;
    try {
      return fsys.openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return undefined; // gone meanwhile: the rename tells
    }
  }

  /**
   * Close `fd` in the thread pool, with the next batch. A loop of commits
   * that never waits for I/O (durability "none") never lets the event loop
   * collect the closes: after a batch, this gives it a turn.
   */
  async release(fd: number | undefined): Promise<void> {
    if (fd === undefined) return;
    if (this.#closing + this.#held.length >= MAX_CLOSING_BEHIND) {
      // The pool has fallen far behind (busy with flushes of a slow disk): no more piles up.
      fsys.closeSync(fd);
      return;
    }
    this.#held.push(fd);
    if (this.#held.length < CLOSE_BATCH) {
      this.#turn ??= setImmediate(() => this.handOff());
      return;
    }
    this.handOff();
    await new Promise(setImmediate);
  }

  /** Hand every held descriptor to the thread pool. */
  handOff(): void {
    if (this.#turn !== undefined) clearImmediate(this.#turn);
    this.#turn = undefined;
    this.#closing += this.#held.length;
    for (const fd of this.#held) fsys.close(fd, () => this.#closing--);
    this.#held = [];
  }
}

const CLOSE_BATCH = 16;
const MAX_CLOSING_BEHIND = 256;
// statfs(2) magic number of ext2, ext3 and ext4.
const EXT4_SUPER_MAGIC = 0xef53;

function offloadsFreeing(root: string): boolean {
  try {
    return fsys.statfsSync(root).type === EXT4_SUPER_MAGIC;
  } catch {
    return false; // no statfs (some runtimes) or no root yet: the rename frees as usual
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += fsys.writeSync(fd, data, done, data.length - done);
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsys.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}
