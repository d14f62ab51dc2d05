/** `repo.branches` and `repo.tags`: async maps from short names to snapshots. */
import { KeyError, RefConflictError, ValueError } from "../errors.js";
import { HEADS, TAGS, checkNewBranchName, checkRefName } from "../refs/names.js";
import { FS } from "./fs.js";
import type { Repo } from "./repo.js";

/**
 * Refs under one namespace as a map. Every call answers from storage as it
 * is now, so changes by other handles, processes or git are seen at once.
 */
export class RefMap implements AsyncIterable<string> {
  readonly #repo: Repo;
  readonly #prefix: string;
  readonly #writable: boolean;
  readonly #isSameRepo: (repo: Repo) => boolean;

  /** @internal */
  constructor(repo: Repo, kind: "branches" | "tags", isSameRepo: (repo: Repo) => boolean) {
    this.#repo = repo;
    this.#prefix = kind === "branches" ? HEADS : TAGS;
    this.#writable = kind === "branches";
    this.#isSameRepo = isSameRepo;
  }

  /** The full ref name, checked; `creating`: also refuse what git would not create (for branches). */
  #full(name: string, creating = false): string {
    if (typeof name !== "string") throw new ValueError(`ref name must be a string, got ${typeof name}`);
    if (creating && this.#writable) checkNewBranchName(name);
    else checkRefName(this.#prefix + name);
    return this.#prefix + name;
  }

  #kind(): string {
    return this.#writable ? "branch" : "tag";
  }

  /** The snapshot at `name`; `KeyError` when there is no such ref. */
  async get(name: string): Promise<FS> {
    const found = await this.#at(this.#full(name), name);
    if (!found) throw new KeyError(`no such ${this.#kind()}: ${name}`);
    return found;
  }

  /** The snapshot at `name`, or `undefined` when there is no such ref (an invalid name never names one). */
  async find(name: string): Promise<FS | undefined> {
    const full = this.#validFull(name);
    return full === undefined ? undefined : this.#at(full, name);
  }

  async #at(full: string, name: string): Promise<FS | undefined> {
    const id = await this.#repo.refs.resolve(full);
    if (id === undefined) return undefined;
    const commit = await this.#repo.peelToCommit(id, full);
    return FS.at(this.#repo, commit, this.#writable ? name : null);
  }

  /** The full name when `name` is a valid one, else `undefined`. */
  #validFull(name: string): string | undefined {
    try {
      return this.#full(name);
    } catch (e) {
      if (e instanceof ValueError) return undefined;
      throw e;
    }
  }

  /** Point `name` at `fs`'s commit. Tags are immutable: `KeyError` if the tag exists. */
  async set(name: string, fs: FS): Promise<void> {
    const owner = FS.repoOf(fs);
    if (!owner) throw new TypeError(`a ${this.#kind()} can only be set to an FS snapshot`);
    const full = this.#full(name, true);
    if (!this.#isSameRepo(owner)) throw new ValueError(`that snapshot belongs to another repository`);
    try {
      await this.#repo.refs.update({
        name: full,
        newId: fs.hash,
        expected: this.#writable ? { kind: "any" } : { kind: "absent" },
        message: this.#writable ? `branch: set to ${fs.hash}` : "",
      });
    } catch (e) {
      if (e instanceof RefConflictError) throw new KeyError(`tag ${name} already exists (tags are immutable)`);
      throw e;
    }
  }

  /** Delete `name`; `KeyError` when it does not exist. */
  async delete(name: string): Promise<void> {
    const full = this.#full(name);
    try {
      await this.#repo.refs.update({ name: full, newId: null, expected: { kind: "present" } });
    } catch (e) {
      if (e instanceof RefConflictError) throw new KeyError(`no such ${this.#kind()}: ${name}`);
      throw e;
    }
  }

  /** Whether `name` exists (an invalid name never does). */
  async has(name: string): Promise<boolean> {
    const full = this.#validFull(name);
    return full !== undefined && (await this.#repo.refs.resolve(full)) !== undefined;
  }

  /** All names, sorted. */
  async keys(): Promise<string[]> {
    return (await this.#repo.refs.list(this.#prefix)).map((r) => r.name.slice(this.#prefix.length));
  }

  /** How many there are. */
  async size(): Promise<number> {
    return (await this.keys()).length;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    yield* await this.keys();
  }
}
