/**
 * Every error class gitstore raises. Those with a POSIX counterpart carry it as
 * `code`, so callers may branch on either the class or the code.
 */

/** Base class of all gitstore errors. */
export class GitStoreError extends Error {
  /** POSIX-style code where one exists (`ENOENT`, `EINVAL`...). */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A path or repository that does not exist. */
export class FileNotFoundError extends GitStoreError {
  constructor(message: string) {
    super(message, "ENOENT");
  }
}

/** Creating a repository where something already exists. */
export class FileExistsError extends GitStoreError {
  constructor(message: string) {
    super(message, "EEXIST");
  }
}

/** A file operation on a directory. */
export class IsADirectoryError extends GitStoreError {
  constructor(message: string) {
    super(message, "EISDIR");
  }
}

/** A directory operation on a file, or a file where a parent directory should be. */
export class NotADirectoryError extends GitStoreError {
  constructor(message: string) {
    super(message, "ENOTDIR");
  }
}

/** Writing through a read-only (tag or commit) snapshot. */
export class PermissionError extends GitStoreError {
  constructor(message: string) {
    super(message, "EPERM");
  }
}

/** A missing branch or tag, or overwriting an existing tag. */
export class KeyError extends GitStoreError {
  constructor(message: string) {
    super(message);
  }
}

/** Invalid input: a path, ref name, open mode, identity, message or foreign snapshot. */
export class ValueError extends GitStoreError {
  constructor(message: string) {
    super(message, "EINVAL");
  }
}

/**
 * Damaged or hostile repository data. The message names the object id and/or
 * the file on storage.
 */
export class CorruptObjectError extends GitStoreError {
  constructor(message: string) {
    super(message, "EBADOBJ");
  }
}

/** A write from a snapshot whose branch has moved since the snapshot was taken. */
export class StaleSnapshotError extends GitStoreError {
  constructor(message: string) {
    super(message);
  }
}

/** A lock file held by someone else beyond the wait. Names the lock file. */
export class LockError extends GitStoreError {
  /** The lock file, relative to the repository root. */
  readonly lockPath: string;
  constructor(message: string, lockPath: string) {
    super(message, "ELOCKED");
    this.lockPath = lockPath;
  }
}

/**
 * Raised by the refs layer when a compare-and-swap finds another value than the
 * expected one. The FS layer turns it into {@link StaleSnapshotError}.
 */
export class RefConflictError extends GitStoreError {
  readonly ref: string;
  constructor(ref: string, message: string) {
    super(message);
    this.ref = ref;
  }
}

/** Names the object or file an error is about; an object is turned into text only if an error is raised. */
export type Place = string | { toString(): string };
