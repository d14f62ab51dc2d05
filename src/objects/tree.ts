/**
 * Tree objects: `<octal mode> SP <name> NUL <raw id>` repeated, sorted with
 * directories compared as if their name ended in `/`.
 */
import { CorruptObjectError, ValueError } from "../errors.js";
import { fromHex, toHex, type HashAlgorithm } from "./hash.js";
import { decodeText, encodeText } from "./text.js";
import type { DeflatedTree, TreeOrigin } from "./tree-zlib.js";

/** The modes git writes. */
export const MODE = { file: "100644", executable: "100755", symlink: "120000", tree: "40000", gitlink: "160000" } as const;

export interface TreeEntry {
  /** Octal mode as stored (git writes only the {@link MODE} values). */
  readonly mode: string;
  readonly name: string;
  readonly id: string;
}

export type EntryKind = "file" | "executable" | "symlink" | "tree" | "gitlink";

// The kinds of the modes git writes, by spelling: most entries, without parsing.
const KIND_OF_MODE = new Map<string, EntryKind>(Object.entries(MODE).map(([kind, mode]) => [mode, kind as EntryKind]));

/**
 * What a mode means, by git's reading rules: any regular mode with owner-exec
 * is executable, and zero-padded or old modes (`040000`, `100664`) mean what
 * their value does.
 */
export function entryKind(mode: string): EntryKind | undefined {
  return KIND_OF_MODE.get(mode) ?? kindOf(parseInt(mode, 8));
}

/** The mode as git writes it for its kind (`040000` -> `40000`, `100664` -> `100644`). */
export function canonicalMode(mode: string): string {
  const kind = entryKind(mode);
  return kind ? MODE[kind] : mode;
}

const SP = 0x20;
const SLASH = 0x2f;
// A tree's size cap: a directory's name end is kept as `~nul`, negative, and
// every value stays a small integer (V8 boxes larger ones it loads from a
// typed array, as a heap number, until the code is optimized).
const MAX_TREE_BYTES = 0x40000000;

/**
 * A decoded entry whose hex id is only built when asked for (most lookups
 * need one entry's). Its bytes stay in the tree's (`<mode> <name>\0<raw id>`
 * from `start` to `end`), which a tree written with it unchanged copies as
 * they are.
 */
class DecodedEntry implements TreeEntry {
  #id: string | undefined;
  readonly #data: Uint8Array;
  readonly #start: number;
  readonly #end: number;
  readonly #name: number;
  readonly #idSize: number;
  constructor(
    readonly mode: string,
    readonly name: string,
    data: Uint8Array,
    start: number,
    end: number,
    nameStart: number,
    idSize: number,
  ) {
    this.#data = data;
    this.#start = start;
    this.#end = end;
    this.#name = nameStart;
    this.#idSize = idSize;
  }
  get id(): string {
    return (this.#id ??= toHex(this.#data, this.#end - this.#idSize, this.#end));
  }
  /** Its bytes as they are in the tree, for a tree that keeps it. */
  encode(tree: boolean): EncodedEntry {
    return { bytes: this.#data.subarray(this.#start, this.#end), name: this.#name - this.#start, end: this.#end - this.#start - 1 - this.#idSize, tree };
  }
}

// The modes git writes, interned; anything else keeps its own spelling.
const KNOWN_MODES = new Map<number, string>(Object.values(MODE).map((m) => [parseInt(m, 8), m]));

/**
 * Git's order of two names given as byte ranges, a tree's name compared as if
 * it ended in `/`.
 */
function compareRanges(a: Uint8Array, aStart: number, aEnd: number, aTree: boolean, b: Uint8Array, bStart: number, bEnd: number, bTree: boolean): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  const x = aStart + n < aEnd ? a[aStart + n]! : aTree ? SLASH : 0;
  const y = bStart + n < bEnd ? b[bStart + n]! : bTree ? SLASH : 0;
  return x - y;
}

/** Empty, `.`, `..` or `.git` in any case: names git's fsck refuses (besides those holding `/` or NUL). */
function isForbiddenName(d: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 0) return true;
  if (d[s] !== 0x2e) return false;
  if (n === 1) return true;
  if (n === 2) return d[s + 1] === 0x2e;
  return n === 4 && (d[s + 1]! | 0x20) === 0x67 && (d[s + 2]! | 0x20) === 0x69 && (d[s + 3]! | 0x20) === 0x74;
}

/**
 * A tree payload validated once and then searched in place: entries are kept
 * as offsets into the bytes, and only those asked for become objects. A cache
 * of thousands of trees then costs their bytes plus 8 bytes an entry, not an
 * object graph per entry that every garbage collection has to trace.
 */
export class TreeView {
  private constructor(
    readonly data: Uint8Array,
    // Per entry: where its name starts, and where its NUL is (`~nul` for a
    // directory). Entries lie end to end, so each starts where the last ended.
    private readonly bounds: Int32Array,
    private readonly h: number,
    /** Whether some entry's mode is spelled other than git writes it (see {@link canonicalMode}); may be set when none is left. */
    readonly oddModes = false,
  ) {}

  /** Parse and check a tree payload; `where` names the object for errors. */
  static decode(data: Uint8Array, algo: HashAlgorithm, where: string): TreeView {
    const h = algo.size;
    const len = data.length;
    if (len >= MAX_TREE_BYTES) throw new CorruptObjectError(`tree ${where}: larger than 1 GiB`);
    let bounds = scratch;
    let count = 0;
    let prevName = 0;
    let prevNul = -1;
    let prevTree = false;
    let oddModes = false;
    let p = 0;
    // Where the next `/` byte at or after the current entry is (`len`: none):
    // names are found with the runtime's own byte search, which costs the same
    // before the JIT has compiled this loop as after, where a loop over each
    // name's bytes runs in the interpreter for the first hundreds of trees.
    let slashAt = -1;
    while (p < len) {
      let mode = 0;
      let i = p;
      let c = 0;
      for (; i < len && (c = data[i]!) !== SP; i++) {
        if (c < 0x30 || c > 0x37 || i - p >= 7) throw new CorruptObjectError(`tree ${where}: malformed entry mode`);
        mode = mode * 8 + (c - 0x30);
      }
      if (i === p || i >= len) throw new CorruptObjectError(`tree ${where}: malformed entry mode`);
      const name = i + 1;
      let nul = data.indexOf(0, name);
      if (nul < 0) nul = len;
      if (nul + 1 + h > len) throw new CorruptObjectError(`tree ${where}: truncated entry`);
      if (slashAt < name) {
        slashAt = data.indexOf(SLASH, name);
        if (slashAt < 0) slashAt = len;
      }
      if (slashAt < nul || ((nul === name || data[name] === 0x2e) && isForbiddenName(data, name, nul))) {
        throw new CorruptObjectError(`tree ${where}: forbidden entry name ${JSON.stringify(decodeText(data.subarray(name, nul)))}`);
      }
      // Nearly every entry is a file (100644) or a directory (40000): told
      // apart without a call or a map lookup, which cost per entry before the
      // JIT has compiled this loop.
      const common = mode === 0o100644 || mode === 0o40000;
      const kind = common ? undefined : kindOf(mode);
      if (!common && !kind) throw new CorruptObjectError(`tree ${where}: bad mode ${decodeText(data.subarray(p, i))} for ${JSON.stringify(decodeText(data.subarray(name, nul)))}`);
      const isTree = mode === 0o40000 || kind === "tree";
      // Not spelled as git writes it (see MODE): `040000`, `100664`.
      if (i - p !== (common ? (isTree ? 5 : 6) : KNOWN_MODES.get(mode)?.length)) oddModes = true;
      if (prevNul >= 0 && compareRanges(data, prevName, prevNul, prevTree, data, name, nul, isTree) >= 0) {
        throw new CorruptObjectError(`tree ${where}: entries out of order at ${JSON.stringify(decodeText(data.subarray(name, nul)))}`);
      }
      if (isTree && hasFileNamed(data, bounds, count, name, nul)) {
        throw new CorruptObjectError(`tree ${where}: duplicate entry ${JSON.stringify(decodeText(data.subarray(name, nul)))}`);
      }
      prevName = name;
      prevNul = nul;
      prevTree = isTree;
      if (2 * count + 2 > bounds.length) {
        const grown = new Int32Array(bounds.length * 2);
        grown.set(bounds);
        bounds = scratch = grown;
      }
      bounds[2 * count] = name;
      bounds[2 * count + 1] = isTree ? ~nul : nul;
      count++;
      p = nul + 1 + h;
    }
    return new TreeView(data, bounds.slice(0, 2 * count), h, oddModes);
  }

  /** Number of entries. */
  get length(): number {
    return this.bounds.length / 2;
  }

  #nameStart(i: number): number {
    return this.bounds[2 * i]!;
  }

  /** Where entry `i`'s bytes (its mode) start. */
  #start(i: number): number {
    return i === 0 ? 0 : this.#end(i - 1);
  }

  #nameEnd(i: number): number {
    const v = this.bounds[2 * i + 1]!;
    return v < 0 ? ~v : v;
  }

  /** Whether entry `i` is a directory. */
  isTree(i: number): boolean {
    return this.bounds[2 * i + 1]! < 0;
  }

  name(i: number): string {
    return decodeText(this.data.subarray(this.#nameStart(i), this.#nameEnd(i)));
  }

  /** The length of its ids. */
  get idSize(): number {
    return this.h;
  }

  /**
   * Its zlib stream in pieces, once a commit compressed it (see
   * tree-zlib.ts): the next version made from it with {@link with} reuses
   * them (and takes them over).
   */
  deflated: DeflatedTree | undefined;
  /**
   * The memory {@link deflated} held when kept, for a cache's accounting: it
   * stays when they are handed over, so that the cost of a cached tree does
   * not change.
   */
  deflatedBytes = 0;

  /**
   * For a tree made with {@link with} from a tree that had been compressed:
   * that tree's stream, and which of its bytes this one copies. Dropped once
   * this tree is written.
   */
  origin: TreeOrigin | undefined;

  /** Keep `deflated`, this tree's stream just made from its {@link origin}, which is no longer needed. */
  keepDeflated(deflated: DeflatedTree): void {
    this.deflated = deflated;
    this.deflatedBytes = deflated.stream.length + 16 * deflated.adlers.length;
    this.origin = undefined;
  }

  #finds = 0;
  #index: Map<string, TreeEntry> | undefined;

  // Entries handed out so far: a path is looked up again and again (once per read under it).
  #made: (TreeEntry | undefined)[] | undefined;

  /** Entry `i`; `name`, when given, is its name (already known to a lookup: not decoded again). */
  entry(i: number, name?: string): TreeEntry {
    const made = (this.#made ??= new Array<TreeEntry | undefined>(this.length));
    return (made[i] ??= this.#make(i, name));
  }

  #make(i: number, name: string | undefined): TreeEntry {
    const start = this.#start(i);
    const sp = this.#nameStart(i) - 1;
    const nul = this.#nameEnd(i);
    let n = 0;
    for (let j = start; j < sp; j++) n = n * 8 + this.data[j]! - 0x30;
    let mode = KNOWN_MODES.get(n);
    if (mode === undefined || mode.length !== sp - start) mode = String.fromCharCode(...this.data.subarray(start, sp));
    return new DecodedEntry(mode, name ?? decodeText(this.data.subarray(sp + 1, nul)), this.data, start, nul + 1 + this.h, sp + 1, this.h);
  }

  /** The tree without entries. */
  static empty(algo: HashAlgorithm): TreeView {
    return new TreeView(new Uint8Array(0), new Int32Array(0), algo.size);
  }

  /**
   * This tree with `changes` applied, by name: an entry to put there (in place
   * of whatever has the name, file or directory), or `null` to remove what
   * has it. Unchanged entries are copied as byte ranges and keep their
   * bounds, so the result is neither sorted nor checked again: the new
   * entries must be valid (a caller's names are checked as paths).
   */
  with(changes: ReadonlyMap<string, TreeEntry | null>): TreeView {
    // Work in proportion to the changes, not to the entries: a commit edits a
    // name or two of directories that may hold thousands (a scan over every
    // entry made most of a commit's calls while V8 had not yet optimized it).
    const gone: number[] = [];
    const added: EncodedEntry[] = [];
    let size = this.data.length;
    for (const [name, e] of changes) {
      const key = encodeText(name);
      const i = this.#indexOf(key, key.length);
      if (i >= 0) {
        gone.push(i);
        size -= this.#end(i) - this.#start(i);
      }
      if (e) {
        const a = encodeEntry(e);
        added.push(a);
        size += a.bytes.length;
      }
    }
    // The same cap as decoding's.
    if (size >= MAX_TREE_BYTES) throw new ValueError("a directory cannot hold 1 GiB of entries");
    gone.sort((a, b) => a - b);
    added.sort(byGitOrder);
    const at = new Int32Array(added.length);
    for (let j = 0; j < added.length; j++) at[j] = this.#insertionPoint(added[j]!);
    const out = new Uint8Array(size);
    const bounds = new Int32Array(2 * (this.length - gone.length + added.length));
    // What is copied unchanged, for reusing this tree's compressed pieces.
    const copies: number[] | undefined = this.deflated ? [] : undefined;
    let p = 0;
    let k = 0;
    let g = 0;
    let j = 0;
    for (let i = 0; ; ) {
      const stop = Math.min(g < gone.length ? gone[g]! : this.length, j < at.length ? at[j]! : this.length);
      if (stop > i) {
        // Entries i to stop - 1, unchanged: one copy, their bounds shifted.
        const from = this.#start(i);
        const to = this.#end(stop - 1);
        out.set(this.data.subarray(from, to), p);
        copies?.push(from, to, p);
        shiftBounds(this.bounds, 2 * i, 2 * stop, bounds, 2 * k, p - from);
        k += stop - i;
        p += to - from;
        i = stop;
      }
      if (j < at.length && at[j] === i) {
        const a = added[j++]!;
        out.set(a.bytes, p);
        bounds[2 * k] = p + a.name;
        bounds[2 * k + 1] = a.tree ? ~(p + a.end) : p + a.end;
        p += a.bytes.length;
        k++;
      } else if (g < gone.length && gone[g] === i) {
        g++;
        i++;
      } else {
        break;
      }
    }
    const tree = new TreeView(out, bounds, this.h, this.oddModes);
    if (copies) {
      tree.origin = { deflated: this.deflated!, copies: Int32Array.from(copies) };
      // Only the newest version of a directory is edited again, as a rule:
      // older ones keep no pieces (held by every cached tree, they made
      // collections longer).
      this.deflated = undefined;
    }
    return tree;
  }

  /** How many entries go before the new entry `a` in git's order (one named as it is is being replaced). */
  #insertionPoint(a: EncodedEntry): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#before(a, mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Whether the new entry `a` goes before entry `i` in git's order. */
  #before(a: EncodedEntry, i: number): boolean {
    return compareRanges(a.bytes, a.name, a.end, a.tree, this.data, this.#nameStart(i), this.#nameEnd(i), this.isTree(i)) < 0;
  }

  /** Where entry `i`'s bytes end. */
  #end(i: number): number {
    return this.#nameEnd(i) + 1 + this.h;
  }

  /** Every entry, in order. */
  entries(): TreeEntry[] {
    const out: TreeEntry[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.entry(i));
    return out;
  }

  /** The entry called `name`, file or directory. */
  find(name: string): TreeEntry | undefined {
    // A tree searched again and again (reading every file of a directory) gets a
    // name index; one searched once or twice (walking history) is searched in place.
    if (this.#index) return this.#index.get(name);
    if (++this.#finds > INDEX_AFTER) {
      this.#index = new Map(this.entries().map((e) => [e.name, e]));
      return this.#index.get(name);
    }
    // No entry can hold these, and git's order would compare them equal to the implied end of a name.
    if (name.includes("/") || name.includes("\0")) return undefined;
    let key: Uint8Array = ASCII_KEY;
    let n = asciiKey(name);
    const ascii = n >= 0;
    if (!ascii) {
      key = encodeText(name);
      n = key.length;
    }
    const i = this.#indexOf(key, n);
    // An ASCII name matched byte for byte is the entry's name; another may
    // not be (a lone surrogate encodes as U+FFFD).
    return i < 0 ? undefined : this.entry(i, ascii ? name : undefined);
  }

  /** Position of the entry named `key[0, n)`, file or directory; -1 if none. */
  #indexOf(key: Uint8Array, n: number): number {
    const i = this.#search(key, 0, n, false);
    return i >= 0 ? i : this.#search(key, 0, n, true);
  }

  /** Binary search in git's order for the entry named `key[start, end)` that is (or is not) a tree; -1 if none. */
  #search(key: Uint8Array, start: number, end: number, asTree: boolean): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const tree = this.isTree(mid);
      const c = compareRanges(this.data, this.#nameStart(mid), this.#nameEnd(mid), tree, key, start, end, asTree);
      if (c === 0 && tree === asTree) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/**
 * Whether one of the first `count` entries (their names' bounds in `bounds`,
 * as a tree view keeps them) is a file named `d[s, e)`. In git's order such a
 * file comes before the directory of that name, with only names that extend
 * it in between: the search walks back over those and stops at the first
 * entry that does not start with the name, usually the one just before.
 */
function hasFileNamed(d: Uint8Array, bounds: Int32Array, count: number, s: number, e: number): boolean {
  const n = e - s;
  for (let k = count - 1; k >= 0; k--) {
    const ks = bounds[2 * k]!;
    const v = bounds[2 * k + 1]!;
    const ke = v < 0 ? ~v : v;
    if (ke - ks < n) return false;
    for (let j = 0; j < n; j++) if (d[ks + j] !== d[s + j]) return false;
    if (ke - ks === n) return v >= 0;
  }
  return false;
}

/**
 * Copy the bounds `src[from, to)` (a tree view's pairs: name start, name end,
 * the end one's complement for a directory) to `dst` at `at`, each moved by
 * `shift`. (A loop of its own, apart from `TreeView.with`: V8 optimizes a
 * small hot loop early and at little cost, where compiling all of `with`,
 * which this loop made hot, took it about 19 ms of a fresh process's first
 * commits.)
 */
function shiftBounds(src: Int32Array, from: number, to: number, dst: Int32Array, at: number, shift: number): void {
  for (let e = from; e < to; e += 2, at += 2) {
    const v = src[e + 1]!;
    dst[at] = src[e]! + shift;
    dst[at + 1] = v < 0 ? ~(~v + shift) : v + shift;
  }
}

/** Lookups a tree serves by binary search before it builds a name index. */
const INDEX_AFTER = 8;

// Lookups of short ASCII names (nearly all) are encoded into one shared buffer.
const ASCII_KEY = new Uint8Array(256);

/** Put `name` into {@link ASCII_KEY} and return its length; -1 when it is not short ASCII. */
function asciiKey(name: string): number {
  if (name.length > ASCII_KEY.length) return -1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return -1;
    ASCII_KEY[i] = c;
  }
  return name.length;
}

// Entry bounds are collected here and copied out at the exact size (decoding is synchronous).
let scratch = new Int32Array(1024);

function kindOf(mode: number): EntryKind | undefined {
  switch (mode & 0o170000) {
    case 0o040000:
      return "tree";
    case 0o120000:
      return "symlink";
    case 0o160000:
      return "gitlink";
    case 0o100000:
      return mode & 0o100 ? "executable" : "file";
    default:
      return undefined;
  }
}

/** Parse a tree payload; `where` names the object for errors. */
export function decodeTree(data: Uint8Array, algo: HashAlgorithm, where: string): TreeEntry[] {
  return TreeView.decode(data, algo, where).entries();
}

/** An entry's bytes `<mode> <name>\0<raw id>`, where its name starts and ends, and whether it is a directory. */
interface EncodedEntry {
  bytes: Uint8Array;
  name: number;
  end: number;
  tree: boolean;
}

// Reused from the tree it was read from when unchanged, else encoded once.
function encodeEntry(e: TreeEntry): EncodedEntry {
  const tree = entryKind(e.mode) === "tree";
  if (e instanceof DecodedEntry) return e.encode(tree);
  const head = encodeText(`${e.mode} ${e.name}\0`);
  const id = fromHex(e.id);
  const bytes = new Uint8Array(head.length + id.length);
  bytes.set(head);
  bytes.set(id, head.length);
  return { bytes, name: head.indexOf(SP) + 1, end: head.length - 1, tree };
}

function byGitOrder(a: EncodedEntry, b: EncodedEntry): number {
  return compareRanges(a.bytes, a.name, a.end, a.tree, b.bytes, b.name, b.end, b.tree);
}

/** Serialize entries (in any order; they are sorted here). */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const items = entries.map(encodeEntry);
  // Callers usually pass entries already in order (decoded, or edited in place): sort only if not.
  if (!items.every((x, i) => i === 0 || byGitOrder(items[i - 1]!, x) < 0)) items.sort(byGitOrder);
  let total = 0;
  for (const x of items) total += x.bytes.length;
  const out = new Uint8Array(total);
  let p = 0;
  for (const x of items) {
    out.set(x.bytes, p);
    p += x.bytes.length;
  }
  return out;
}
