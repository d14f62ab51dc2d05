/**
 * gitstore: a bare Git repository as a versioned key-value filesystem.
 * This entry is runtime-agnostic (no `node:` imports); Node, Deno and Bun get
 * `node.ts` through the package's `node` export condition.
 */
export { GitStore, type OpenOptions } from "./fs/gitstore.js";
export { FS, type CommitOptions } from "./fs/fs.js";
export { Batch, Staged } from "./fs/batch.js";
export { RefMap } from "./fs/refmap.js";
export { ReadableFile, WritableFile } from "./fs/files.js";
export type { Durability } from "./fs/repo.js";
export type { GcOptions, GcProgress, GcSummary } from "./fs/gc.js";
export {
  GitStoreError,
  FileNotFoundError,
  FileExistsError,
  IsADirectoryError,
  NotADirectoryError,
  PermissionError,
  KeyError,
  ValueError,
  CorruptObjectError,
  StaleSnapshotError,
  LockError,
} from "./errors.js";
export type { Storage, FileStat, DirEntry, WriteOptions } from "./storage/storage.js";
export { MemoryStorage } from "./storage/memory.js";
