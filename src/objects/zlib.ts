/**
 * zlib (RFC 1950) behind one small interface, and its portable implementation
 * through pako, whose two halves load on first use.
 */
import { writing } from "./lazy-writing.js";
import type { ObjectType } from "./object.js";
import { lazy, once } from "./once.js";
import type { Soon } from "./soon.js";
import type { TreeView } from "./tree.js";

/** Failure to inflate: bad stream, truncated stream or too much output. */
export class ZlibError extends Error {}

/** The compression half of the platform. */
export interface Zlib {
  /**
   * Compress `data` into a zlib stream: at once, or a promise where a build
   * loads its compressor on first use (an application that only reads never
   * ships it).
   */
  deflate(data: Uint8Array, level: number): Soon<Uint8Array>;
  /**
   * Inflate the zlib stream at the start of `data`. Throws {@link ZlibError}
   * when the stream is damaged or truncated, or when it would produce more than
   * `maxOutput` bytes. Bytes after the end of the stream are ignored; `consumed`
   * says where the stream ended.
   */
  inflate(data: Uint8Array, maxOutput: number): { output: Uint8Array; consumed: number };
  /** Up to the first `n` bytes the stream at the start of `data` inflates to (fewer if it is shorter). */
  inflatePrefix(data: Uint8Array, n: number): Uint8Array;
  /**
   * For an implementation that loads its inflater on first use: a promise to
   * await before calling `inflate` or `inflatePrefix`, or `undefined` once
   * they are ready. (Inflating stays synchronous: it runs on paths where the
   * bytes are already at hand.)
   */
  load?(): Promise<unknown> | undefined;
}

/** The zlib level of what commits write (small packs, loose objects), as git's `core.looseCompression`. */
export const FAST_LEVEL = 1;

/** Trees, commits and tags up to this size take `encodeFixedZlib` at the fast level. */
const FIXED_MAX = 16 * 1024;
/** The length of a tree's ids when no view of the tree gives it (SHA-1, the only object format read). */
const SHA1_ID_BYTES = 20;

/**
 * Compress `data` (the bytes of an object of `type`, or of a delta when
 * `type` is absent) at `level`. At {@link FAST_LEVEL}, what a commit writes:
 * - a tree over 16 KiB given as `tree` (a {@link TreeView} over `data`) is
 *   compressed in pieces that reuse those of the tree it was made from (see
 *   tree-zlib.ts), and keeps its own for the next version;
 * - trees, commits and tags up to 16 KiB take `encodeFixedZlib`,
 *   which sizes them as zlib does (a tree within 5%, a commit about 20 bytes
 *   more) at a fraction of the cost;
 * - data that looks incompressible (random, or already compressed: JPEG,
 *   PNG, gzip...) is stored uncompressed (`encodeStoredZlib`: under
 *   64 KiB, the bytes of zlib's level 0). zlib would end up storing
 *   it anyway, at the same size, after building Huffman tables for all 256
 *   byte values: 31 us for 1 KiB at level 1 against 2 us stored. The test
 *   costs about 0.3 us for text (ruled out on byte variety alone) and 2.4 us
 *   for 1 KiB of random data;
 * - everything else goes through `zlib` at the fast level.
 * gc and bulk packing use higher levels, where everything goes through
 * `zlib`: what is misjudged or coded less tightly here is recompressed at the
 * next gc.
 */
export function deflateObject(zlib: Zlib, data: Uint8Array, level: number, type?: ObjectType, tree?: TreeView): Soon<Uint8Array> {
  if (level !== FAST_LEVEL) return zlib.deflate(data, level);
  const encoders = writing.loaded;
  if (!encoders) return writing.load().then(() => deflateObject(zlib, data, level, type, tree));
  if (tree && tree.data === data && data.length > FIXED_MAX) {
    const deflated = encoders.deflateTree(data, tree.idSize, tree.origin);
    tree.keepDeflated(deflated);
    return deflated.stream;
  }
  if (type !== undefined && type !== "blob" && data.length <= FIXED_MAX) return encoders.encodeFixedZlib(data, type === "tree" ? (tree?.idSize ?? SHA1_ID_BYTES) : 0);
  return looksIncompressible(data) ? encoders.encodeStoredZlib(data) : zlib.deflate(data, level);
}

const SEEN = new Uint8Array(256);
// Per hash bucket: whether a 4-byte string was hashed there in this call, and the last one.
const FILLED = new Uint8Array(1024);
const LAST_STRING = new Int32Array(1024);

/**
 * Whether deflate would find nothing to gain in `data`: 256 bytes sampled
 * across it take more than 140 values (random data: 162 on average; text,
 * source code and most binary formats: under 100), and 4-byte strings
 * repeat (what deflate's matches are made of) at fewer than 1 position in
 * 512, looked for in the whole of a small object and in 8 windows of 256
 * bytes spread over a larger one (random data: no repeat in thousands of
 * positions). Machine code and trees (their modes and names repeat between
 * random ids), which take as many byte values as random data, are
 * compressed; the scan stops at the repeat that decides it.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  const n = data.length;
  if (n < 256) return false;
  const seen = SEEN.fill(0);
  let values = 0;
  const step = n >>> 8;
  for (let i = 0, p = 0; i < 256; i++, p += step) {
    const b = data[p]!;
    values += 1 - seen[b]!;
    seen[b] = 1;
  }
  if (values <= 140) return false;
  const filled = FILLED.fill(0);
  const lastString = LAST_STRING;
  const small = n <= 2048;
  const windows = small ? 1 : 8;
  const length = small ? n - 3 : 253;
  const gap = small ? 0 : Math.floor((n - 256) / 7);
  const limit = (windows * length) >> 9;
  let repeats = 0;
  for (let w = 0; w < windows; w++) {
    const start = w * gap;
    const end = start + length;
    // The 4 bytes at i, rolled along one byte a step.
    let x = (data[start]! << 8) | (data[start + 1]! << 16) | (data[start + 2]! << 24);
    for (let i = start; i < end; i++) {
      x = (x >>> 8) | (data[i + 3]! << 24);
      const h = Math.imul(x, 0x9e3779b1) >>> 22;
      // Counted without a branch on the bucket's flag (a coin toss on random
      // data, 3x the time as a branch) and with every access run on every
      // step: a read made only on a repeat, rare in the data this function
      // sees, has no type feedback when V8 optimizes the loop, and the first
      // repeat after that threw the optimized code away (twice in 200 commits).
      const filledBefore = filled[h]!;
      repeats += lastString[h] === x ? filledBefore : 0;
      if (repeats > limit) return false;
      filled[h] = 1;
      lastString[h] = x;
    }
  }
  return true;
}

// Both halves are separate modules, so that a bundler leaves them out of the
// main chunk: a page that only reads never ships the compressor, and the
// Node build (which uses node:zlib) loads neither.
const pakoDeflate = once(() => import("pako/browser/deflate"));
const pakoInflate = lazy(() => import("./pako-inflate.js"));

function inflater(): typeof import("./pako-inflate.js") {
  const loaded = pakoInflate.loaded;
  if (!loaded) throw new Error("pako's inflater is not loaded: await zlib.load() first");
  return loaded;
}

/** zlib through pako: runs in every runtime. */
export const pakoZlib: Zlib = {
  deflate: async (data, level) => (await pakoDeflate()).deflate(data, { level }),
  inflate: (data, maxOutput) => inflater().run(data, maxOutput, false),
  inflatePrefix: (data, n) => inflater().run(data, n, true).output,
  load: pakoInflate.ready,
};
