import { constants, promises as fsp } from "node:fs";
import * as nodePath from "node:path";
import { CorruptObjectError, FileNotFoundError, ValueError } from "../errors.js";
import { checkPath, dirname, type DirEntry, type FileStat, type Storage, type WriteOptions } from "./storage.js";

type FileHandle = fsp.FileHandle;

const MAX_OPEN_HANDLES = 32;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * A repository in a directory of the local filesystem (Node, Deno, Bun).
 *
 * It never follows a symbolic link out of the repository: a parent directory
 * that resolves outside the root, or a final path component that is a symbolic
 * link, raises `CorruptObjectError` instead of reading or writing through it.
 */
export class NodeStorage implements Storage {
  /** Absolute path of the repository directory. */
  readonly root: string;
  #realRoot: string | undefined;
  readonly #confined = new Set<string>();
  // Pack files are read by range many times: keep a few handles open.
  readonly #handles = new Map<string, Promise<FileHandle>>();

  constructor(root: string) {
    this.root = nodePath.resolve(root);
  }

  #abs(path: string): string {
    checkPath(path);
    return this.root + "/" + path;
  }

  /** Throws unless the directory `dir` (storage path) resolves inside the root. */
  async #confine(dir: string): Promise<void> {
    if (dir === "" || this.#confined.has(dir)) return;
    if (this.#realRoot === undefined) {
      try {
        this.#realRoot = await fsp.realpath(this.root);
      } catch (e) {
        if (errno(e) === "ENOENT") return; // no repository yet: nothing to escape through
        throw e;
      }
    }
    let probe = dir;
    for (;;) {
      try {
        const real = await fsp.realpath(this.root + "/" + probe);
        if (real !== this.#realRoot && !real.startsWith(this.#realRoot + "/")) {
          throw new CorruptObjectError(`${probe}: symbolic link leads outside the repository ${this.root}`);
        }
        break;
      } catch (e) {
        if (errno(e) !== "ENOENT" && errno(e) !== "ENOTDIR") throw e;
        probe = dirname(probe);
        if (probe === "") return; // nothing of it exists yet: it will be created as a real directory
      }
    }
    if (probe === dir) this.#confined.add(dir);
  }

  async #open(path: string, flags: number): Promise<FileHandle> {
    await this.#confine(dirname(path));
    try {
      return await fsp.open(this.#abs(path), flags | constants.O_NOFOLLOW, 0o666);
    } catch (e) {
      if (errno(e) === "ELOOP") throw new CorruptObjectError(`${path}: is a symbolic link (refusing to follow it)`);
      throw e;
    }
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    let fh: FileHandle;
    try {
      fh = await this.#open(path, constants.O_RDONLY);
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
      throw e;
    }
    try {
      const buf = await fh.readFile();
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      if (errno(e) === "EISDIR") throw new ValueError(`${path} is a directory`);
      throw e;
    } finally {
      await fh.close();
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    let pending = this.#handles.get(path);
    if (!pending) {
      pending = this.#open(path, constants.O_RDONLY);
      this.#handles.set(path, pending);
      pending.catch(() => this.#handles.delete(path));
      if (this.#handles.size > MAX_OPEN_HANDLES) {
        const [oldest, handle] = this.#handles.entries().next().value as [string, Promise<FileHandle>];
        this.#handles.delete(oldest);
        void handle.then((h) => h.close()).catch(() => undefined);
      }
    }
    let fh: FileHandle;
    try {
      fh = await pending;
    } catch (e) {
      if (errno(e) === "ENOENT") throw new FileNotFoundError(`no such file: ${path}`);
      throw e;
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? out : out.subarray(0, done);
  }

  async write(path: string, data: Uint8Array, options?: WriteOptions): Promise<void> {
    const tmp = `${path}.tmp-${randomSuffix()}`;
    await this.createExclusive(tmp, data, options);
    try {
      await this.rename(tmp, path, options);
    } catch (e) {
      await this.remove(tmp).catch(() => undefined);
      throw e;
    }
  }

  async createExclusive(path: string, data: Uint8Array, options?: WriteOptions): Promise<boolean> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    let fh: FileHandle;
    try {
      fh = await this.#open(path, flags);
    } catch (e) {
      if (errno(e) === "EEXIST") return false;
      if (errno(e) !== "ENOENT") throw e;
      await this.mkdirp(dirname(path));
      try {
        fh = await this.#open(path, flags);
      } catch (e2) {
        if (errno(e2) === "EEXIST") return false;
        throw e2;
      }
    }
    try {
      if (data.length > 0) await fh.write(data, 0, data.length, 0);
      if (options?.sync) await fh.datasync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await fsp.unlink(this.#abs(path)).catch(() => undefined);
      throw e;
    }
    await fh.close();
    return true;
  }

  async append(path: string, data: Uint8Array, options?: WriteOptions): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND;
    let fh: FileHandle;
    try {
      fh = await this.#open(path, flags);
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
      await this.mkdirp(dirname(path));
      fh = await this.#open(path, flags);
    }
    try {
      await fh.write(data);
      if (options?.sync) await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async rename(from: string, to: string, options?: WriteOptions): Promise<void> {
    await this.#confine(dirname(from));
    await this.#confine(dirname(to));
    try {
      await fsp.rename(this.#abs(from), this.#abs(to));
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
      if (!(await this.stat(from))) throw new FileNotFoundError(`no such file: ${from}`);
      await this.mkdirp(dirname(to));
      await fsp.rename(this.#abs(from), this.#abs(to));
    }
    if (options?.sync) await this.#syncDir(dirname(to));
  }

  async remove(path: string): Promise<boolean> {
    await this.#confine(dirname(path));
    const abs = this.#abs(path);
    const handle = this.#handles.get(path);
    if (handle) {
      this.#handles.delete(path);
      await handle.then((h) => h.close()).catch(() => undefined);
    }
    try {
      await fsp.unlink(abs);
      return true;
    } catch (e) {
      const code = errno(e);
      if (code === "ENOENT" || code === "ENOTDIR") return false;
      if (code !== "EISDIR" && code !== "EPERM") throw e;
    }
    await fsp.rmdir(abs);
    this.#confined.delete(path);
    return true;
  }

  async list(dir: string): Promise<DirEntry[] | undefined> {
    if (dir !== "") checkPath(dir);
    await this.#confine(dir);
    try {
      const entries = await fsp.readdir(dir === "" ? this.root : this.#abs(dir), { withFileTypes: true });
      return entries.map((d) => ({ name: d.name, isDirectory: d.isDirectory() }));
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
      throw e;
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    await this.#confine(dirname(path));
    try {
      const st = await fsp.lstat(path === "" ? this.root : this.#abs(path));
      return { isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
      throw e;
    }
  }

  async mkdirp(dir: string): Promise<void> {
    // Always ask the OS: a directory seen before may have been removed since (git gc prunes empty ones).
    await this.#confine(dir);
    await fsp.mkdir(dir === "" ? this.root : this.#abs(dir), { recursive: true });
  }

  async sync(paths: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    await Promise.all(
      paths.map(async (p) => {
        dirs.add(dirname(p));
        const fh = await fsp.open(this.#abs(p), constants.O_RDONLY);
        try {
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }),
    );
    await Promise.all([...dirs].map((d) => this.#syncDir(d)));
  }

  async #syncDir(dir: string): Promise<void> {
    const fh = await fsp.open(dir === "" ? this.root : this.#abs(dir), constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.all(handles.map((h) => h.then((fh) => fh.close()).catch(() => undefined)));
  }
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}
