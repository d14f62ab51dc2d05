import { FileNotFoundError, ValueError } from "../errors.js";
import { checkPath as check, dirname, type DirEntry, type FileStat, type Storage } from "./storage.js";

interface MemFile {
  data: Uint8Array;
  mtimeMs: number;
}

/**
 * A repository held entirely in memory. Works in every runtime; every
 * operation is atomic because nothing else can observe it half-done.
 */
export class MemoryStorage implements Storage {
  readonly #files = new Map<string, MemFile>();
  readonly #dirs = new Set<string>([""]);

  async read(path: string): Promise<Uint8Array | undefined> {
    check(path);
    if (this.#dirs.has(path)) throw new ValueError(`${path} is a directory`);
    return this.#files.get(path)?.data.slice();
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    check(path);
    const file = this.#files.get(path);
    if (!file) throw new FileNotFoundError(`no such file: ${path}`);
    return file.data.slice(offset, offset + length);
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    check(path);
    this.#ensureParent(path);
    if (this.#dirs.has(path)) throw new ValueError(`${path} is a directory`);
    this.#files.set(path, { data: data.slice(), mtimeMs: Date.now() });
  }

  async createExclusive(path: string, data: Uint8Array): Promise<boolean> {
    check(path);
    this.#ensureParent(path);
    if (this.#files.has(path) || this.#dirs.has(path)) return false;
    this.#files.set(path, { data: data.slice(), mtimeMs: Date.now() });
    return true;
  }

  async append(path: string, data: Uint8Array): Promise<void> {
    check(path);
    this.#ensureParent(path);
    const old = this.#files.get(path)?.data ?? new Uint8Array(0);
    const next = new Uint8Array(old.length + data.length);
    next.set(old);
    next.set(data, old.length);
    this.#files.set(path, { data: next, mtimeMs: Date.now() });
  }

  async rename(from: string, to: string): Promise<void> {
    check(from);
    check(to);
    const file = this.#files.get(from);
    if (!file) throw new FileNotFoundError(`no such file: ${from}`);
    this.#ensureParent(to);
    if (this.#dirs.has(to)) throw new ValueError(`${to} is a directory`);
    this.#files.delete(from);
    this.#files.set(to, file);
  }

  async remove(path: string): Promise<boolean> {
    check(path);
    if (this.#files.delete(path)) return true;
    if (!this.#dirs.has(path) || path === "") return false;
    const prefix = path + "/";
    for (const k of this.#files.keys()) if (k.startsWith(prefix)) throw new ValueError(`directory not empty: ${path}`);
    for (const d of this.#dirs) if (d.startsWith(prefix)) throw new ValueError(`directory not empty: ${path}`);
    this.#dirs.delete(path);
    return true;
  }

  async list(dir: string): Promise<DirEntry[] | undefined> {
    if (dir !== "") check(dir);
    if (!this.#dirs.has(dir)) return undefined;
    const prefix = dir === "" ? "" : dir + "/";
    const out: DirEntry[] = [];
    for (const k of this.#files.keys()) {
      if (k.startsWith(prefix) && !k.includes("/", prefix.length)) out.push({ name: k.slice(prefix.length), isDirectory: false });
    }
    for (const d of this.#dirs) {
      if (d !== dir && d.startsWith(prefix) && !d.includes("/", prefix.length)) out.push({ name: d.slice(prefix.length), isDirectory: true });
    }
    return out;
  }

  async touch(path: string): Promise<boolean> {
    check(path);
    const file = this.#files.get(path);
    if (!file) return false;
    file.mtimeMs = Date.now();
    return true;
  }

  async stat(path: string): Promise<FileStat | undefined> {
    if (this.#dirs.has(path)) return { isDirectory: true, size: 0, mtimeMs: 0 };
    const file = this.#files.get(path);
    return file ? { isDirectory: false, size: file.data.length, mtimeMs: file.mtimeMs } : undefined;
  }

  async mkdirp(dir: string): Promise<void> {
    if (dir !== "") check(dir);
    this.#mkdirs(dir);
  }

  #ensureParent(path: string): void {
    this.#mkdirs(dirname(path));
  }

  // Synchronous so that an operation creating parents stays one atomic step.
  #mkdirs(dir: string): void {
    const made: string[] = [];
    for (let d = dir; d !== "" && !this.#dirs.has(d); d = dirname(d)) {
      if (this.#files.has(d)) throw new ValueError(`not a directory: ${d}`);
      made.push(d);
    }
    for (const m of made) this.#dirs.add(m);
  }
}
