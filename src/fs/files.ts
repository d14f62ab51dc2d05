/** File-like handles returned by `FS.open`. */
import { ValueError } from "../errors.js";

/** A snapshot file opened with `"rb"`: its bytes, with a position. */
export class ReadableFile {
  #pos = 0;
  #closed = false;

  /** @internal */
  constructor(readonly data: Uint8Array) {}

  #check(): void {
    if (this.#closed) throw new ValueError("I/O operation on closed file");
  }

  /** Up to `size` bytes from the position (all remaining bytes by default, or when `size` is negative or `null`). */
  async read(size?: number | null): Promise<Uint8Array> {
    this.#check();
    if (size !== undefined && size !== null) checkWhole("read size", size);
    const end = size === undefined || size === null || size < 0 ? this.data.length : Math.min(this.data.length, this.#pos + size);
    const out = this.data.slice(Math.min(this.#pos, end), end);
    this.#pos = Math.max(this.#pos, end);
    return out;
  }

  /** Move the position; `whence` 0 = from start, 1 = from current, 2 = from end. Returns the new position. */
  seek(offset: number, whence: 0 | 1 | 2 = 0): number {
    this.#check();
    const base = whence === 0 ? 0 : whence === 1 ? this.#pos : whence === 2 ? this.data.length : NaN;
    if (Number.isNaN(base)) throw new ValueError(`invalid whence ${String(whence)}`);
    checkWhole("seek offset", offset);
    const pos = base + offset;
    if (pos < 0) throw new ValueError(`negative seek position ${pos}`);
    this.#pos = pos;
    return pos;
  }

  tell(): number {
    this.#check();
    return this.#pos;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A count or offset: `TypeError` for something else than a number, `ValueError` for a number that is not whole. */
function checkWhole(what: string, n: unknown): asserts n is number {
  if (typeof n !== "number") throw new TypeError(`${what} must be a number, got ${typeof n}`);
  if (!Number.isSafeInteger(n)) throw new ValueError(`${what} must be a whole number, got ${n}`);
}

const encoder = new TextEncoder();

/** Bytes of `data` (a string is stored as UTF-8). */
export function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError("data must be a Uint8Array or a string");
}

/** {@link toBytes}, copied when the caller could still change them. */
export function ownBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? toBytes(data) : toBytes(data).slice();
}

/**
 * A file opened with `"wb"`: writes are buffered and land on `close()`, as one
 * commit (or, inside a batch, as one staged write).
 */
export class WritableFile<Result> {
  readonly #chunks: Uint8Array[] = [];
  #result: Result | null = null;
  /** The first `close()`'s commit; set from the moment the file is closed. */
  #closing: Promise<Result> | undefined;

  /** @internal */
  constructor(readonly commit: (data: Uint8Array) => Promise<Result>) {}

  /**
   * Buffer `data` (a string is UTF-8); returns the number of bytes. It touches
   * no storage, so it is synchronous, like `seek` (awaiting it still works).
   */
  write(data: Uint8Array | string): number {
    if (this.closed) throw new ValueError("I/O operation on closed file");
    const bytes = ownBytes(data);
    this.#chunks.push(bytes);
    return bytes.length;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** What `close()` produced: the new snapshot (or `null` inside a batch or before close). */
  get fs(): Result | null {
    return this.#result;
  }

  /**
   * Commit what was written; resolves to the new snapshot. Closing again
   * commits nothing more and settles as the first close did (as a closed
   * file's `close()` does nothing in most file APIs).
   */
  close(): Promise<Result> {
    this.#closing ??= this.#commitChunks();
    return this.#closing;
  }

  async #commitChunks(): Promise<Result> {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const data = new Uint8Array(total);
    let p = 0;
    for (const c of this.#chunks) {
      data.set(c, p);
      p += c.length;
    }
    this.#result = await this.commit(data);
    return this.#result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.closed) await this.close();
  }
}
