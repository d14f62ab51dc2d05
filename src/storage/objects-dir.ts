/**
 * Another repository's object directory, named in `objects/info/alternates`,
 * seen as a storage whose `objects/` is that directory, so that the engine
 * reads its loose objects and packs as it reads its own. Read-only: a
 * repository borrows objects from its alternates and never writes there.
 */
import { ValueError } from "../errors.js";
import type { DirEntry, FileStat, Storage } from "./storage.js";

export class ObjectsDirectory implements Storage {
  /** `inner`: a storage whose root is the object directory itself. */
  constructor(readonly inner: Storage) {}

  #inner(path: string): string {
    if (path === "objects") return "";
    if (!path.startsWith("objects/")) throw new ValueError(`an alternate object directory holds objects only, not ${JSON.stringify(path)}`);
    return path.slice("objects/".length);
  }

  read(path: string): Promise<Uint8Array | undefined> {
    return this.inner.read(this.#inner(path));
  }

  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.inner.readRange(this.#inner(path), offset, length);
  }

  list(dir: string): Promise<DirEntry[] | undefined> {
    return this.inner.list(this.#inner(dir));
  }

  stat(path: string): Promise<FileStat | undefined> {
    return this.inner.stat(this.#inner(path));
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  // A repository never writes where it borrows from.
  readonly write = refuse;
  readonly createExclusive = refuse;
  readonly append = refuse;
  readonly rename = refuse;
  readonly remove = refuse;
  readonly mkdirp = refuse;
}

async function refuse(): Promise<never> {
  throw new ValueError("an alternate object directory is read-only");
}
