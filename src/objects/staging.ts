/**
 * Objects of one batch: a few are written as loose files, as any commit's
 * are; beyond a threshold they all go into one new pack instead, as
 * `git fast-import` does, so that a bulk import creates a handful of files
 * rather than one per object.
 */
import type { ObjectDatabase, ObjectWriter } from "./odb.js";
import type { GitObject, ObjectType } from "./object.js";
import type { PackWriter } from "./pack-writer.js";

export interface StagingOptions {
  /** More new objects than this go into a pack (default 128). */
  readonly maxLoose?: number;
  /** More buffered bytes than this go into a pack (default 8 MiB). */
  readonly maxBufferBytes?: number;
}

export class StagedObjects implements ObjectWriter {
  #buffer: (GitObject & { id: string })[] = [];
  #bufferBytes = 0;
  #pack: PackWriter | undefined;
  readonly #ids = new Set<string>();
  readonly #maxLoose: number;
  readonly #maxBytes: number;

  constructor(
    readonly odb: ObjectDatabase,
    options: StagingOptions = {},
  ) {
    this.#maxLoose = options.maxLoose ?? 128;
    this.#maxBytes = options.maxBufferBytes ?? 8 * 1024 * 1024;
  }

  async write(type: ObjectType, data: Uint8Array): Promise<string> {
    const id = this.odb.hash(type, data);
    if (this.#ids.has(id) || (await this.odb.has(id))) return id;
    this.#ids.add(id);
    if (this.#pack) {
      await this.#pack.add(type, data, id);
      return id;
    }
    this.#buffer.push({ id, type, data });
    this.#bufferBytes += data.length;
    if (this.#buffer.length > this.#maxLoose || this.#bufferBytes > this.#maxBytes) {
      // Loaded on demand: only large batches need the pack writer.
      const { PackWriter } = await import("./pack-writer.js");
      this.#pack = new PackWriter(this.odb.storage, this.odb.platform);
      for (const o of this.#buffer) await this.#pack.add(o.type, o.data, o.id);
      this.#buffer = [];
      this.#bufferBytes = 0;
    }
    return id;
  }

  /** Whether the objects will land as a pack. */
  get packed(): boolean {
    return this.#pack !== undefined;
  }

  /** Store everything staged (loose files, or publish the pack). */
  async publish(options: { sync: boolean }): Promise<void> {
    if (this.#pack) {
      const { base } = await this.#pack.finish({ sync: options.sync });
      await this.odb.addPack(base);
    } else {
      for (const o of this.#buffer) await this.odb.write(o.type, o.data);
    }
    this.#buffer = [];
  }

  /** Drop everything staged. */
  async abort(): Promise<void> {
    this.#buffer = [];
    await this.#pack?.abort();
  }
}
