/**
 * `objects/info/alternates`: the object directories a repository borrows
 * objects from (`git clone --shared` or `--reference`, a fork on a server),
 * one path a line, absolute or relative to the repository's `objects/`.
 * Lines starting with `#` and empty lines are ignored; a path may be quoted
 * as C quotes strings (git's quoting of odd paths).
 */
import type { Storage } from "../storage/storage.js";
import type { GitObject } from "./object.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/** The paths, as written (relative ones are not resolved here); a malformed quoted line is skipped, as git skips it. */
export function decodeAlternates(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const path = line.startsWith('"') ? unquote(line) : line;
    if (path) out.push(path);
  }
  return out;
}

/** A C-quoted path (`"a\\tb\\303\\251"`), or `undefined` when malformed. */
function unquote(quoted: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 1; i < quoted.length; i++) {
    const c = quoted[i]!;
    if (c === '"') return i === quoted.length - 1 ? decoder.decode(Uint8Array.from(bytes)) : undefined;
    if (c !== "\\") {
      bytes.push(...encoder.encode(c));
      continue;
    }
    const e = quoted[++i];
    if (e === undefined) return undefined;
    if (e in ESCAPES) bytes.push(ESCAPES[e]!);
    else if (/^[0-3][0-7]{2}$/.test(quoted.slice(i, i + 3))) {
      bytes.push(parseInt(quoted.slice(i, i + 3), 8));
      i += 2;
    } else return undefined;
  }
  return undefined;
}

/** What {@link Alternates} asks of the object database of a directory borrowed from. */
export interface BorrowedObjects {
  readonly storage: Storage;
  has(id: string): Promise<boolean>;
  find(id: string): Promise<GitObject | undefined>;
  findByPrefix(prefix: string): Promise<string[]>;
  close(): void;
}

/** The object databases a repository borrows from, asked in the order the file lists them. */
export class Alternates {
  constructor(readonly databases: readonly BorrowedObjects[]) {}

  async has(id: string): Promise<boolean> {
    for (const db of this.databases) if (await db.has(id)) return true;
    return false;
  }

  /** The object from the first database holding it (checked against its id there). */
  async find(id: string): Promise<GitObject | undefined> {
    for (const db of this.databases) {
      const obj = await db.find(id);
      if (obj) return obj;
    }
    return undefined;
  }

  async findByPrefix(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const db of this.databases) out.push(...(await db.findByPrefix(prefix)));
    return out;
  }

  close(): void {
    for (const db of this.databases) {
      db.close();
      db.storage.close?.().catch(() => undefined);
    }
  }
}

/** {@link Alternates} for the file's `text`, `open` giving each path's database (or `undefined` where it cannot be reached). */
export function openAlternates(text: string, open: (path: string) => BorrowedObjects | undefined): Alternates {
  return new Alternates(decodeAlternates(text).flatMap((path) => open(path) ?? []));
}
