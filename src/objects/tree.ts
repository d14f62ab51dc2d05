/**
 * Tree objects: `<octal mode> SP <name> NUL <raw id>` repeated, sorted with
 * directories compared as if their name ended in `/`.
 */
import { CorruptObjectError } from "../errors.js";
import { fromHex, toHex, type HashAlgorithm } from "./hash.js";
import { decodeText, encodeText } from "./text.js";

/** The modes git writes. */
export const MODE = { file: "100644", executable: "100755", symlink: "120000", tree: "40000", gitlink: "160000" } as const;

export interface TreeEntry {
  /** Octal mode as stored (git writes only the {@link MODE} values). */
  readonly mode: string;
  readonly name: string;
  readonly id: string;
}

export type EntryKind = "file" | "executable" | "symlink" | "tree" | "gitlink";

/** What a mode means, by git's reading rules (any regular mode with owner-exec is executable). */
export function entryKind(mode: string): EntryKind | undefined {
  const n = parseInt(mode, 8);
  switch (n & 0o170000) {
    case 0o040000:
      return "tree";
    case 0o120000:
      return "symlink";
    case 0o160000:
      return "gitlink";
    case 0o100000:
      return n & 0o100 ? "executable" : "file";
    default:
      return undefined;
  }
}

/** Names git refuses inside a tree (fsck `hasDot`, `hasDotdot`, `hasDotgit`). */
export function isForbiddenName(name: string): boolean {
  return name === "" || name === "." || name === ".." || name.toLowerCase() === ".git" || name.includes("/") || name.includes("\0");
}

/** Git's tree order: bytewise over UTF-8, a tree entry compared as `name + "/"`. */
export function compareEntries(a: TreeEntry, b: TreeEntry): number {
  return compareNames(a.name, a.mode === MODE.tree, b.name, b.mode === MODE.tree);
}

export function compareNames(a: string, aTree: boolean, b: string, bTree: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order equals UTF-8 byte order below the surrogates only.
    if (x < 0xd800 && y < 0xd800) return x - y;
    return compareBytes(encodeText(a), aTree, encodeText(b), bTree);
  }
  const x = a.length > n ? a.charCodeAt(n) : aTree ? 0x2f : 0;
  const y = b.length > n ? b.charCodeAt(n) : bTree ? 0x2f : 0;
  if ((x < 0xd800 && y < 0xd800) || x === 0 || y === 0 || x === 0x2f || y === 0x2f) return x - y;
  return compareBytes(encodeText(a), aTree, encodeText(b), bTree);
}

function compareBytes(a: Uint8Array, aTree: boolean, b: Uint8Array, bTree: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  const x = a.length > n ? a[n]! : aTree ? 0x2f : 0;
  const y = b.length > n ? b[n]! : bTree ? 0x2f : 0;
  return x - y;
}

const SP = 0x20;

/** A decoded entry whose hex id is only built when asked for (most lookups need one entry's). */
class DecodedEntry implements TreeEntry {
  #id: string | undefined;
  constructor(
    readonly mode: string,
    readonly name: string,
    private readonly raw: Uint8Array,
  ) {}
  get id(): string {
    return (this.#id ??= toHex(this.raw));
  }
}

// The modes git writes, interned; anything else keeps its own spelling.
const KNOWN_MODES = new Map<number, string>(Object.values(MODE).map((m) => [parseInt(m, 8), m]));

/** Parse a tree payload; `where` names the object for errors. */
export function decodeTree(data: Uint8Array, algo: HashAlgorithm, where: string): TreeEntry[] {
  return decodeTreeIndexed(data, algo, where).entries;
}

/** Parse a tree payload into its entries (in order) and an index by name. */
export function decodeTreeIndexed(data: Uint8Array, algo: HashAlgorithm, where: string): { entries: TreeEntry[]; byName: Map<string, TreeEntry> } {
  const entries: TreeEntry[] = [];
  const byName = new Map<string, TreeEntry>();
  const h = algo.size;
  let p = 0;
  let prev: TreeEntry | undefined;
  while (p < data.length) {
    let n = 0;
    let i = p;
    for (; i < data.length && data[i] !== SP; i++) {
      const c = data[i]!;
      if (c < 0x30 || c > 0x37 || i - p >= 7) throw new CorruptObjectError(`tree ${where}: malformed entry mode`);
      n = n * 8 + (c - 0x30);
    }
    if (i === p || i >= data.length) throw new CorruptObjectError(`tree ${where}: malformed entry mode`);
    const sp = i;
    let mode = KNOWN_MODES.get(n);
    if (mode === undefined || mode.length !== sp - p) mode = String.fromCharCode(...data.subarray(p, sp));
    const nul = data.indexOf(0, sp + 1);
    if (nul < 0 || nul + 1 + h > data.length) throw new CorruptObjectError(`tree ${where}: truncated entry`);
    const name = decodeText(data.subarray(sp + 1, nul));
    if (isForbiddenName(name)) throw new CorruptObjectError(`tree ${where}: forbidden entry name ${JSON.stringify(name)}`);
    if (!entryKind(mode)) throw new CorruptObjectError(`tree ${where}: bad mode ${mode} for ${JSON.stringify(name)}`);
    const entry = new DecodedEntry(mode, name, data.subarray(nul + 1, nul + 1 + h));
    if (prev && compareEntries(prev, entry) >= 0) throw new CorruptObjectError(`tree ${where}: entries out of order at ${JSON.stringify(name)}`);
    if (byName.has(name)) throw new CorruptObjectError(`tree ${where}: duplicate entry ${JSON.stringify(name)}`);
    byName.set(name, entry);
    entries.push(entry);
    prev = entry;
    p = nul + 1 + h;
  }
  return { entries, byName };
}

/** Serialize entries (in any order; they are sorted here). */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  // Callers usually pass entries already in order (decoded or sorted once): copy and sort only if not.
  const inOrder = entries.every((e, i) => i === 0 || compareEntries(entries[i - 1]!, e) < 0);
  const sorted = inOrder ? entries : [...entries].sort(compareEntries);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const e of sorted) {
    const head = encodeText(`${e.mode} ${e.name}\0`);
    const id = fromHex(e.id);
    parts.push(head, id);
    total += head.length + id.length;
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
