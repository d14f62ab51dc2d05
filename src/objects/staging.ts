/**
 * The new objects of one commit, landing as one small pack (a pack and its
 * index: two files, however many objects) rather than one loose file each.
 * File creation dominates the cost of a commit on disk, and a bulk import of
 * 100,000 files then leaves a handful of files, as `git fast-import` does.
 * The object database merges the small packs as they accumulate.
 */
import { writing } from "./lazy-writing.js";
import type { ObjectDatabase, ObjectWriter } from "./odb.js";
import type { ObjectType } from "./object.js";
import type { PackWriter } from "./pack-writer.js";
import type { Soon } from "./soon.js";
import type { TreeView } from "./tree.js";
import { FAST_LEVEL } from "./zlib.js";

export class StagedObjects implements ObjectWriter {
  #pack: PackWriter | undefined;

  constructor(readonly odb: ObjectDatabase) {}

  // A commit's few objects are looked up, compressed and buffered
  // synchronously: no promise is made, nor waited for, per object.
  write(type: ObjectType, data: Uint8Array, tree?: TreeView): Soon<string> {
    const id = this.odb.hash(type, data);
    if (this.#pack?.has(id)) return id;
    const stored = this.odb.isStored(id);
    if (stored instanceof Promise) return stored.then((yes) => (yes ? id : this.#add(type, data, id, tree)));
    return stored ? id : this.#add(type, data, id, tree);
  }

  #add(type: ObjectType, data: Uint8Array, id: string, tree: TreeView | undefined): Soon<string> {
    if (this.#pack) return this.#pack.add(type, data, id, tree);
    // Loaded once per process (an application that only reads never loads
    // it), with what merges the small packs a few commits later.
    const loaded = writing.loaded;
    if (!loaded) return writing.load().then(() => this.#add(type, data, id, tree));
    // Fast, as git writes loose objects: a commit is latency-bound; gc recompresses.
    this.#pack = new loaded.PackWriter(this.odb.storage, this.odb.platform, undefined, FAST_LEVEL);
    return this.#pack.add(type, data, id, tree);
  }

  /** Whether the objects staged so far wait in memory (a commit's few), not in a pack file being written. */
  get inMemory(): boolean {
    return this.#pack?.inMemory ?? true;
  }

  /** Complete the pack and its index where no one sees them yet (with `sync`, flushed); `publish` shows them. */
  async seal(options: { sync: boolean }): Promise<void> {
    if (this.#pack && this.#pack.size > 0) await this.#pack.seal(options);
  }

  /** Publish the pack (with `sync`, flushed before its index appears). */
  async publish(options: { sync: boolean }): Promise<void> {
    if (!this.#pack || this.#pack.size === 0) return;
    const published = await this.#pack.finish({ sync: options.sync });
    this.#pack = undefined;
    await this.odb.addPack(published);
  }

  /** Drop everything staged. */
  async abort(): Promise<void> {
    await this.#pack?.abort();
    this.#pack = undefined;
  }
}
