import { ValueError } from "../errors.js";

/**
 * The storage port: everything the engine reads or writes goes through it, so a
 * repository can live on a local disk, in memory, or in a browser store.
 *
 * Paths are `/`-separated and relative to the repository root; they never start
 * with `/` and never contain `.` or `..` segments (the engine only builds such
 * paths; backends reject others).
 */

/** What {@link Storage.stat} reports. */
export interface FileStat {
  readonly isDirectory: boolean;
  readonly size: number;
  /** Last modification time in milliseconds since the epoch. */
  readonly mtimeMs: number;
}

/** One entry of {@link Storage.list}. */
export interface DirEntry {
  readonly name: string;
  readonly isDirectory: boolean;
}

/** Options of writes that may be flushed to stable storage. */
export interface WriteOptions {
  /**
   * Flush before resolving: the file's content, and for `write` and `rename`
   * the directory entry that names it too. (A file made by `createExclusive`
   * or `append` gets a durable name from a later `rename` or `sync`.)
   */
  readonly sync?: boolean;
}

/**
 * A file-level, async storage backend. Exclusive create and atomic rename are
 * mandatory: lock files and compare-and-swap rely on them.
 */
export interface Storage {
  /** The whole file, or `undefined` if there is none (a directory is an error). */
  read(path: string): Promise<Uint8Array | undefined>;
  /**
   * `length` bytes from `offset` without loading the rest; fewer bytes only at
   * end of file. Throws `FileNotFoundError` if the file is missing.
   */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Replace or create `path` atomically (readers see the old or the new
   * content, never a mix); missing parent directories are created.
   */
  write(path: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Create `path` with `data` only if it does not exist; resolves `false` when
   * it does. Missing parent directories are created. The content appears
   * complete to readers once this resolves.
   */
  createExclusive(path: string, data: Uint8Array, options?: WriteOptions): Promise<boolean>;
  /** Append to `path`, creating it (and its parents) when missing. */
  append(path: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Rename atomically, replacing a file at `to`; missing parents of `to` are
   * created. Throws `FileNotFoundError` when `from` is missing.
   */
  rename(from: string, to: string, options?: WriteOptions): Promise<void>;
  /** Remove a file or an empty directory; resolves `false` when nothing was there. */
  remove(path: string): Promise<boolean>;
  /** Entries of a directory (any order), or `undefined` when it does not exist. */
  list(dir: string): Promise<DirEntry[] | undefined>;
  /** Metadata, or `undefined` when nothing is there. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Create a directory and its missing parents. */
  mkdirp(dir: string): Promise<void>;
  /**
   * Optional durability barrier: flush these files and their directory
   * entries to stable storage (with `contentOnly`, the files' contents alone,
   * for files about to be renamed with `sync`). Backends without one are
   * volatile or durable by construction.
   */
  sync?(paths: readonly string[], options?: { readonly contentOnly?: boolean }): Promise<void>;
  /**
   * Optional: set the file's modification time to now; resolves `false` when
   * there is no such file. A writer that finds an object already stored
   * "freshens" its file this way, as git does, so that a gc pruning old
   * unreachable objects keeps one about to be referenced again.
   */
  touch?(path: string): Promise<boolean>;
  /** Release file handles and caches. */
  close?(): Promise<void>;
}

/**
 * Reject paths the engine never builds: absolute, empty segments, `.`/`..`
 * (an empty path too). Every storage call checks its path: one regular
 * expression test, three times as fast as splitting the path was.
 */
export function checkPath(path: string): void {
  if (BAD_SEGMENT.test(path)) throw new ValueError(`invalid storage path: ${JSON.stringify(path)}`);
}

// A segment that is empty, "." or "..": at most two dots between separators or ends.
const BAD_SEGMENT = /(^|\/)\.{0,2}(\/|$)/;

/** The parent directory of a storage path (`""` for the root). */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}
