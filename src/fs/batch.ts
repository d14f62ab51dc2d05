/** `Batch`: changes staged by `FS.batch`, landing as one commit. */
import { FileNotFoundError, ValueError } from "../errors.js";
import { MODE, entryKind } from "../objects/tree.js";
import { ownBytes, WritableFile } from "./files.js";
import { parentNotADirectory, splitPath, splitWritePath } from "./paths.js";
import type { ObjectWriter } from "../objects/odb.js";
import { StagedObjects } from "../objects/staging.js";
import type { Repo } from "./repo.js";
import type { MutableTree } from "./tree-edit.js";

/** Store `data` as a blob at `segments` (an executable file stays executable). */
export async function stageWrite(writer: ObjectWriter, root: MutableTree, segments: readonly string[], data: Uint8Array): Promise<void> {
  const existing = await root.lookup(segments);
  const mode = typeof existing === "object" && entryKind(existing.mode) === "executable" ? MODE.executable : MODE.file;
  const id = writer.write("blob", data);
  await root.set(segments, { mode, id: id instanceof Promise ? await id : id });
}

/** Remove `segments`; `FileNotFoundError` when nothing is there, `NotADirectoryError` when a parent is a file (as `read` says). */
export async function stageRemove(root: MutableTree, segments: readonly string[]): Promise<void> {
  const done = await root.remove(segments);
  const path = segments.join("/");
  if (typeof done === "object") throw parentNotADirectory(segments, done.fileAt, path);
  if (!done) throw new FileNotFoundError(`no such file or directory: ${path}`);
}

/**
 * The result of a staging call: awaitable like a promise. A failure that is
 * never awaited is not lost: it fails the whole batch instead.
 */
export class Staged implements PromiseLike<void> {
  #observed = false;
  constructor(readonly promise: Promise<void>) {
    promise.catch(() => undefined); // reported through the batch if nobody awaits it
  }
  get observed(): boolean {
    return this.#observed;
  }
  then<A = void, B = never>(onOk?: ((v: void) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    this.#observed = true;
    return this.promise.then(onOk, onErr);
  }
  catch<B = never>(onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<void | B> {
    return this.then(undefined, onErr);
  }
  finally(fn?: (() => void) | null): Promise<void> {
    this.#observed = true;
    return this.promise.finally(fn);
  }
}

/**
 * Staging area of `FS.batch`. Calls apply in the order they are made, whether
 * or not each is awaited; later operations on a path override earlier ones.
 */
export class Batch<Snapshot = unknown> {
  #queue: Promise<void> = Promise.resolve();
  readonly #staged: Staged[] = [];
  readonly #ops: string[] = [];
  #sealed = false;
  /** The snapshot the batch committed; `null` until it lands (and forever if it fails). */
  fs: Snapshot | null = null;

  /** @internal New objects: loose for a small batch, one pack for a large one. */
  readonly objects: StagedObjects;

  /** @internal */
  constructor(
    readonly repo: Repo,
    readonly root: MutableTree,
  ) {
    this.objects = new StagedObjects(repo.odb);
  }

  #enqueue(fn: () => Promise<void>): Staged {
    const run = async (): Promise<void> => {
      if (this.#sealed) throw new ValueError("the batch has already been committed or abandoned");
      await fn();
    };
    const p = this.#queue.then(run);
    this.#queue = p.catch(() => undefined);
    const staged = new Staged(p);
    this.#staged.push(staged);
    return staged;
  }

  /** Stage a write of `data` (a string is UTF-8) at `path`. */
  write(path: string, data: Uint8Array | string): Staged {
    // Copied now: the caller may reuse its buffer before the staged write runs.
    let bytes: Uint8Array | Error;
    try {
      bytes = ownBytes(data);
    } catch (e) {
      bytes = e as Error;
    }
    return this.#enqueue(async () => {
      if (bytes instanceof Error) throw bytes;
      const segments = splitWritePath(path);
      await stageWrite(this.objects, this.root, segments, bytes);
      this.#ops.push(`Write ${segments.join("/")}`);
    });
  }

  /** Stage removal of a file or directory; `FileNotFoundError` unless it exists in the snapshot or was staged. */
  remove(path: string): Staged {
    return this.#enqueue(async () => {
      const segments = splitPath(path);
      await stageRemove(this.root, segments);
      this.#ops.push(`Remove ${segments.join("/")}`);
    });
  }

  /** A writable file whose `close()` stages a write into this batch. */
  async open(path: string, mode: "wb"): Promise<WritableFile<null>> {
    if (mode !== "wb") throw new ValueError(`unsupported open mode ${JSON.stringify(mode)} in a batch (use "wb")`);
    splitWritePath(path);
    return new WritableFile(async (data) => {
      await this.write(path, data);
      return null;
    });
  }

  /** @internal Wait for every staged call; rethrow a failure nobody awaited. Returns the operation labels. */
  async _seal(): Promise<string[]> {
    await this.#queue;
    this.#sealed = true;
    for (const s of this.#staged) {
      if (!s.observed) await s.promise;
    }
    return this.#ops;
  }

  /** @internal Abandon after a failure: nothing staged is stored. */
  async _abandon(): Promise<void> {
    this.#sealed = true;
    await this.objects.abort();
  }
}
