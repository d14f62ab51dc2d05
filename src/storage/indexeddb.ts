/**
 * A repository in the browser's IndexedDB (also in web workers): persistent,
 * and shared by every tab of the origin. Every operation is one readwrite
 * transaction, which IndexedDB serializes against every other transaction on
 * the same stores, so exclusive create and rename are atomic across tabs.
 *
 * Files are stored whole; `readRange` slices them after loading.
 */
import { FileNotFoundError, ValueError } from "../errors.js";
import { checkPath, dirname, type DirEntry, type FileStat, type Storage } from "./storage.js";

interface FileRecord {
  path: string;
  parent: string;
  data: Uint8Array;
  mtimeMs: number;
}

interface DirRecord {
  path: string;
  parent: string;
}

const FILES = "files";
const DIRS = "dirs";

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class IndexedDBStorage implements Storage {
  private constructor(readonly db: IDBDatabase) {}

  /** Open (creating if needed) the database `name` of this origin. */
  static async open(name: string, factory: IDBFactory = globalThis.indexedDB): Promise<IndexedDBStorage> {
    if (!factory) throw new ValueError("IndexedDB is not available in this runtime");
    const req = factory.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore(FILES, { keyPath: "path" }).createIndex("parent", "parent");
      db.createObjectStore(DIRS, { keyPath: "path" }).createIndex("parent", "parent");
    };
    // `this` rather than the class by name: a class whose body names itself gets
    // an inner name from the bundler (`_IndexedDBStorage`), which is then its `name`.
    return new this(await promised(req));
  }

  /**
   * Run `body` inside one transaction over both stores. `body` only issues
   * requests (and chains more from their callbacks); the promise settles with
   * the transaction, so nothing is visible unless all of it committed.
   */
  #tx<T>(mode: IDBTransactionMode, body: (files: IDBObjectStore, dirs: IDBObjectStore, done: (value: T) => void, fail: (e: Error) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction([FILES, DIRS], mode);
      let result: T;
      let failure: Error | undefined;
      tx.oncomplete = () => (failure ? reject(failure) : resolve(result));
      tx.onerror = () => reject(failure ?? tx.error);
      tx.onabort = () => reject(failure ?? tx.error ?? new Error("transaction aborted"));
      body(
        tx.objectStore(FILES),
        tx.objectStore(DIRS),
        (v) => (result = v),
        (e) => {
          failure = e;
          tx.abort();
        },
      );
    });
  }

  /** Inside a transaction: make `dir` and its parents exist (refusing a file in the way), then call `next`. */
  #ensureDir(files: IDBObjectStore, dirs: IDBObjectStore, dir: string, fail: (e: Error) => void, next: () => void): void {
    if (dir === "") return next();
    const parts = dir.split("/");
    const step = (i: number): void => {
      if (i > parts.length) return next();
      const path = parts.slice(0, i).join("/");
      const asFile = files.getKey(path);
      asFile.onsuccess = () => {
        if (asFile.result !== undefined) return fail(new ValueError(`not a directory: ${path}`));
        dirs.put({ path, parent: dirname(path) } satisfies DirRecord);
        step(i + 1);
      };
    };
    step(1);
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    checkPath(path);
    return this.#tx<Uint8Array | undefined>("readonly", (files, dirs, done, fail) => {
      const r = files.get(path);
      r.onsuccess = () => {
        const rec = r.result as FileRecord | undefined;
        if (rec) return done(rec.data);
        const d = dirs.getKey(path);
        d.onsuccess = () => (d.result !== undefined ? fail(new ValueError(`${path} is a directory`)) : done(undefined));
      };
    });
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const data = await this.read(path);
    if (!data) throw new FileNotFoundError(`no such file: ${path}`);
    return data.slice(offset, offset + length);
  }

  #put(files: IDBObjectStore, path: string, data: Uint8Array): void {
    files.put({ path, parent: dirname(path), data: data.slice(), mtimeMs: Date.now() } satisfies FileRecord);
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    checkPath(path);
    await this.#tx<void>("readwrite", (files, dirs, done, fail) => {
      this.#ensureDir(files, dirs, dirname(path), fail, () => {
        const d = dirs.getKey(path);
        d.onsuccess = () => {
          if (d.result !== undefined) return fail(new ValueError(`${path} is a directory`));
          this.#put(files, path, data);
          done();
        };
      });
    });
  }

  async createExclusive(path: string, data: Uint8Array): Promise<boolean> {
    checkPath(path);
    return this.#tx<boolean>("readwrite", (files, dirs, done, fail) => {
      this.#ensureDir(files, dirs, dirname(path), fail, () => {
        const f = files.getKey(path);
        f.onsuccess = () => {
          if (f.result !== undefined) return done(false);
          const d = dirs.getKey(path);
          d.onsuccess = () => {
            if (d.result !== undefined) return done(false);
            this.#put(files, path, data);
            done(true);
          };
        };
      });
    });
  }

  async append(path: string, data: Uint8Array): Promise<void> {
    checkPath(path);
    await this.#tx<void>("readwrite", (files, dirs, done, fail) => {
      this.#ensureDir(files, dirs, dirname(path), fail, () => {
        const r = files.get(path);
        r.onsuccess = () => {
          const old = (r.result as FileRecord | undefined)?.data ?? new Uint8Array(0);
          const next = new Uint8Array(old.length + data.length);
          next.set(old);
          next.set(data, old.length);
          this.#put(files, path, next);
          done();
        };
      });
    });
  }

  async touch(path: string): Promise<boolean> {
    checkPath(path);
    return this.#tx<boolean>("readwrite", (files, _dirs, done) => {
      const r = files.get(path);
      r.onsuccess = () => {
        const rec = r.result as FileRecord | undefined;
        if (!rec) return done(false);
        files.put({ ...rec, mtimeMs: Date.now() } satisfies FileRecord);
        done(true);
      };
    });
  }

  async rename(from: string, to: string): Promise<void> {
    checkPath(from);
    checkPath(to);
    await this.#tx<void>("readwrite", (files, dirs, done, fail) => {
      const r = files.get(from);
      r.onsuccess = () => {
        const rec = r.result as FileRecord | undefined;
        if (!rec) return fail(new FileNotFoundError(`no such file: ${from}`));
        this.#ensureDir(files, dirs, dirname(to), fail, () => {
          const d = dirs.getKey(to);
          d.onsuccess = () => {
            if (d.result !== undefined) return fail(new ValueError(`${to} is a directory`));
            files.delete(from);
            files.put({ ...rec, path: to, parent: dirname(to) } satisfies FileRecord);
            done();
          };
        });
      };
    });
  }

  async remove(path: string): Promise<boolean> {
    checkPath(path);
    return this.#tx<boolean>("readwrite", (files, dirs, done, fail) => {
      const f = files.getKey(path);
      f.onsuccess = () => {
        if (f.result !== undefined) {
          files.delete(path);
          return done(true);
        }
        const d = dirs.getKey(path);
        d.onsuccess = () => {
          if (d.result === undefined) return done(false);
          const kids = files.index("parent").count(path);
          kids.onsuccess = () => {
            const subdirs = dirs.index("parent").count(path);
            subdirs.onsuccess = () => {
              if (kids.result + subdirs.result > 0) return fail(new ValueError(`directory not empty: ${path}`));
              dirs.delete(path);
              done(true);
            };
          };
        };
      };
    });
  }

  async list(dir: string): Promise<DirEntry[] | undefined> {
    if (dir !== "") checkPath(dir);
    return this.#tx<DirEntry[] | undefined>("readonly", (files, dirs, done) => {
      const exists = dir === "" ? undefined : dirs.getKey(dir);
      const go = (): void => {
        const fk = files.index("parent").getAllKeys(dir);
        fk.onsuccess = () => {
          const dk = dirs.index("parent").getAllKeys(dir);
          dk.onsuccess = () => {
            const name = (k: IDBValidKey): string => (dir === "" ? String(k) : String(k).slice(dir.length + 1));
            done([...fk.result.map((k) => ({ name: name(k), isDirectory: false })), ...dk.result.filter((k) => k !== "").map((k) => ({ name: name(k), isDirectory: true }))]);
          };
        };
      };
      if (!exists) return go();
      exists.onsuccess = () => (exists.result === undefined ? done(undefined) : go());
    });
  }

  async stat(path: string): Promise<FileStat | undefined> {
    if (path === "") return { isDirectory: true, size: 0, mtimeMs: 0 };
    checkPath(path);
    return this.#tx<FileStat | undefined>("readonly", (files, dirs, done) => {
      const r = files.get(path);
      r.onsuccess = () => {
        const rec = r.result as FileRecord | undefined;
        if (rec) return done({ isDirectory: false, size: rec.data.length, mtimeMs: rec.mtimeMs });
        const d = dirs.getKey(path);
        d.onsuccess = () => done(d.result !== undefined ? { isDirectory: true, size: 0, mtimeMs: 0 } : undefined);
      };
    });
  }

  async mkdirp(dir: string): Promise<void> {
    if (dir === "") return;
    checkPath(dir);
    await this.#tx<void>("readwrite", (files, dirs, done, fail) => this.#ensureDir(files, dirs, dir, fail, () => done()));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
