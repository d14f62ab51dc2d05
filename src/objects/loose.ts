/**
 * Loose objects: `objects/xx/yyyy...`, each the zlib stream of the canonical
 * form. Written to a `tmp_obj_*` file in the same directory and renamed into
 * place, so a reader never sees a partial object.
 */
import { CorruptObjectError } from "../errors.js";
import type { Storage } from "../storage/storage.js";
import { decodeHeader, encodeHeader, MAX_HEADER, type GitObject, type ObjectType } from "./object.js";
import type { Platform } from "./platform.js";
import { deflateObject, FAST_LEVEL, ZlibError, type Zlib } from "./zlib.js";

export function loosePath(id: string): string {
  return `objects/${id.slice(0, 2)}/${id.slice(2)}`;
}

/** Compress an object into loose-file bytes. */
export async function encodeLoose(zlib: Zlib, type: ObjectType, data: Uint8Array): Promise<Uint8Array> {
  const header = encodeHeader(type, data.length);
  const canonical = new Uint8Array(header.length + data.length);
  canonical.set(header);
  canonical.set(data, header.length);
  return deflateObject(zlib, canonical, FAST_LEVEL, type);
}

/**
 * Decode loose-file bytes. The declared size bounds the inflation, so a lying
 * header cannot make us allocate more than the file really holds.
 */
export function decodeLoose(zlib: Zlib, bytes: Uint8Array, where: string): GitObject {
  try {
    const head = decodeHeader(zlib.inflatePrefix(bytes, MAX_HEADER), where);
    const total = head.headerLength + head.size;
    const { output, consumed } = zlib.inflate(bytes, total);
    if (output.length !== total) throw new CorruptObjectError(`${where}: object is ${output.length - head.headerLength} bytes, header says ${head.size}`);
    if (consumed !== bytes.length) throw new CorruptObjectError(`${where}: garbage at end of loose object`);
    return { type: head.type, data: output.subarray(head.headerLength) };
  } catch (e) {
    if (e instanceof ZlibError) throw new CorruptObjectError(`${where}: ${e.message}`);
    throw e;
  }
}

export class LooseStore {
  constructor(
    readonly storage: Storage,
    readonly platform: Platform,
  ) {}

  /** The object, not yet hash-checked, or `undefined` when there is no loose file. */
  async find(id: string): Promise<GitObject | undefined> {
    const path = loosePath(id);
    const bytes = await this.storage.read(path);
    if (!bytes) return undefined;
    await this.platform.zlib.load?.();
    return decodeLoose(this.platform.zlib, bytes, `object ${id} (${path})`);
  }

  async has(id: string): Promise<boolean> {
    return (await this.storage.stat(loosePath(id))) !== undefined;
  }

  /** Set the loose file's modification time to now (see `PackFile.freshen`); `false` when it is gone. */
  async freshen(id: string): Promise<boolean> {
    return (await this.storage.touch?.(loosePath(id))) ?? true;
  }

  /** The fan-out directories (`objects/xx`) that exist: where loose objects can be. */
  async fanOutDirs(): Promise<string[]> {
    return ((await this.storage.list("objects")) ?? []).filter((e) => e.isDirectory && /^[0-9a-f]{2}$/.test(e.name)).map((e) => e.name);
  }

  /** Every loose object: id, file path and modification time. */
  async list(): Promise<{ id: string; path: string; mtimeMs: number }[]> {
    const out: { id: string; path: string; mtimeMs: number }[] = [];
    const hexLength = this.platform.hash.size * 2;
    for (const dir of await this.fanOutDirs()) {
      for (const f of (await this.storage.list(`objects/${dir}`)) ?? []) {
        const id = dir + f.name;
        if (f.isDirectory || id.length !== hexLength || !/^[0-9a-f]+$/.test(f.name)) continue;
        const path = `objects/${dir}/${f.name}`;
        const st = await this.storage.stat(path);
        if (st) out.push({ id, path, mtimeMs: st.mtimeMs });
      }
    }
    return out;
  }

  /** Write the object; resolves to the file's path (for a later flush). */
  async write(id: string, type: ObjectType, data: Uint8Array): Promise<string> {
    const path = loosePath(id);
    const tmp = `objects/${id.slice(0, 2)}/tmp_obj_${Math.random().toString(36).slice(2, 10)}`;
    if (!(await this.storage.createExclusive(tmp, await encodeLoose(this.platform.zlib, type, data)))) {
      throw new Error(`temporary object file ${tmp} already exists`);
    }
    try {
      await this.storage.rename(tmp, path);
    } catch (e) {
      await this.storage.remove(tmp).catch(() => undefined);
      throw e;
    }
    return path;
  }
}
