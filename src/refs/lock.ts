/**
 * Git's lock-file protocol: `<file>.lock` created exclusively holds the lock
 * and carries the new content; committing renames it over `<file>`, rolling
 * back removes it. A lock held by someone else is waited for briefly, never
 * stolen.
 */
import { LockError } from "../errors.js";
import type { Storage } from "../storage/storage.js";

export interface LockOptions {
  /** How long to keep retrying a held lock, in ms. */
  readonly timeoutMs: number;
  /** Flush the content before publishing it, and the published name after. */
  readonly sync?: boolean;
}

export class Lock {
  #state: "held" | "committed" | "released" = "held";
  #flushed = false;

  private constructor(
    readonly storage: Storage,
    /** The file this lock guards. */
    readonly target: string,
    readonly sync: boolean,
  ) {}

  get lockPath(): string {
    return `${this.target}.lock`;
  }

  /**
   * Take the lock on `target`, creating `target.lock` with `content` (the
   * value a commit will publish). Throws `LockError` after `timeoutMs`.
   */
  static async acquire(storage: Storage, target: string, content: Uint8Array, options: LockOptions): Promise<Lock> {
    const lockPath = `${target}.lock`;
    const deadline = Date.now() + options.timeoutMs;
    let wait = 1;
    // Created unflushed: taking a lock stays fast, and a caller that also
    // flushes other files (reflogs) flushes this one with them (see `flush`).
    while (!(await storage.createExclusive(lockPath, content))) {
      if (Date.now() >= deadline) {
        throw new LockError(`Unable to create '${lockPath}': File exists. Another process holds the lock (or a crashed one left it behind; remove it if no git process is running).`, lockPath);
      }
      // Randomized backoff, as git does, so that waiters don't move in lockstep.
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      wait = Math.min(wait * 2, 50);
    }
    return new Lock(storage, target, options.sync ?? false);
  }

  /** With `sync`, flush the content to stable storage (once; `commit` does it if not done). */
  async flush(): Promise<void> {
    if (!this.sync || this.#flushed) return;
    if (this.#state !== "held") throw new Error(`lock on ${this.target} is not held`);
    // Its name never needs to be durable: the commit renames it, with `sync`.
    await this.storage.sync?.([this.lockPath], { contentOnly: true });
    this.#flushed = true;
  }

  /** Publish the content: rename the lock file over the target. */
  async commit(): Promise<void> {
    if (this.#state !== "held") throw new Error(`lock on ${this.target} is not held`);
    await this.flush();
    await this.storage.rename(this.lockPath, this.target, { sync: this.sync });
    this.#state = "committed";
  }

  /** Release without publishing (the lock file is removed); a no-op once committed or released. */
  async rollback(): Promise<void> {
    if (this.#state !== "held") return;
    this.#state = "released";
    await this.storage.remove(this.lockPath);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.rollback();
  }
}
