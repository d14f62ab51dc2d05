/**
 * A large tree's zlib stream made of pieces that its next version reuses.
 *
 * A commit into a directory rewrites that directory's tree: the previous
 * version with an entry or two changed. Compressed whole again, a directory
 * of 1,000 files (39 KB) cost 370 us a commit through zlib, and one of 10,000
 * files 4.2 ms, most of such a commit. So a large tree's stream is cut, at
 * entry boundaries, into pieces of 1-2 KiB, each a fixed-Huffman deflate
 * block closed by an empty stored block (zlib's sync flush), which ends it on
 * a byte boundary: any sequence of such pieces, then a final empty block and
 * the Adler-32, is a valid zlib stream. The next version (made by
 * `TreeView.with`, which says which byte ranges it copied) reuses, as they
 * are, the pieces whose bytes it copied, with the bytes before them that
 * their matches copy from; only the rest is compressed (22 us for the 1,000
 * files, 117 us for the 10,000). The Adler-32 is put together from the
 * pieces' own.
 *
 * What it costs: 5 bytes a piece (the stored block) and fixed codes, 5% more
 * than zlib's level 1 in all. Pieces are primed with the bytes before them,
 * so that a piece's first entry still matches the names before it. Trees up
 * to 16 KiB (most directories) are compressed whole (`encodeFixedZlib`):
 * for them the pieces saved less than keeping them cost (a 3.5 KB tree: 15
 * against 23 us once optimized, and no faster over a fresh process's first
 * 200 commits, where the bookkeeping runs unoptimized and the pieces kept
 * made collections longer).
 */
import { adler32, blockReach, encodeFixedBlock, writeAdler32 } from "./zlib-encode.js";

/** A tree's zlib stream and the pieces it is made of. */
export interface DeflatedTree {
  /** The whole zlib stream: header, pieces, a final empty block, Adler-32. */
  readonly stream: Uint8Array;
  /** Where each piece's tree bytes start; one more at the end: the tree's length. */
  readonly starts: Int32Array;
  /** Where each piece starts in `stream`; one more at the end: where the last ends. */
  readonly at: Int32Array;
  /** Each piece's Adler-32, of its tree bytes alone. */
  readonly adlers: Uint32Array;
  /** How many tree bytes before each piece's start its matches copy from. */
  readonly reach: Int32Array;
}

/** A tree made from another by `TreeView.with`: the other's stream, and which of its bytes the tree copies. */
export interface TreeOrigin {
  readonly deflated: DeflatedTree;
  /** Triplets `from, to, at`: the base's bytes `[from, to)` are the tree's from `at`, in order. */
  readonly copies: Int32Array;
}

/** The size pieces are cut at (a piece holds up to twice as much). */
const PIECE = 1024;
/** A stretch to compress shorter than this takes in the piece after (or before) it. */
const SMALLEST = PIECE / 4;
/** How many bytes before a piece its matches may copy from. */
const PRIME = 64;
/** zlib's header (deflate, 32 KiB window, fastest level), and a final fixed-Huffman block holding only its end. */
const HEADER = [0x78, 0x01];
const FINAL = [0x03, 0x00];
const MOD_ADLER = 65521;

/** The largest `scratch` kept between calls. */
const SCRATCH_KEPT = 1 << 20;
let scratch = new Uint8Array(0);

/**
 * `data` (a tree's bytes, entries with `idBytes`-byte ids) as a zlib stream
 * at the fast level, reusing what it can of `origin`'s.
 */
export function deflateTree(data: Uint8Array, idBytes: number, origin?: TreeOrigin): DeflatedTree {
  const n = data.length;
  // The plan, in triplets: start and end of a stretch of `data`, and the
  // base's piece it is (-1: to compress).
  const plan: number[] = [];
  let pos = 0;
  if (origin) {
    const { deflated: base, copies } = origin;
    const count = base.adlers.length;
    let k = 0;
    for (let c = 0; c < copies.length; c += 3) {
      const from = copies[c]!;
      const to = copies[c + 1]!;
      const shift = copies[c + 2]! - from;
      while (k < count && base.starts[k]! < from) k++;
      for (; k < count && base.starts[k + 1]! <= to; k++) {
        const start = base.starts[k]!;
        if (start - base.reach[k]! < from) continue;
        if (start + shift > pos) plan.push(pos, start + shift, -1);
        pos = base.starts[k + 1]! + shift;
        plan.push(start + shift, pos, k);
      }
    }
  }
  if (pos < n) plan.push(pos, n, -1);
  mergeSmallStretches(plan);

  // Room in a buffer for what is compressed: every byte a 9-bit literal,
  // and 8 bytes for each piece's ends.
  let compressed = 0;
  let count = 0;
  for (let p = 0; p < plan.length; p += 3) {
    const size = plan[p + 1]! - plan[p]!;
    if (plan[p + 2] === -1) {
      compressed += size;
      count += Math.floor(size / PIECE) + 1;
    } else count++;
  }
  const room = compressed + (compressed >>> 3) + 8 * count;
  let buffer = scratch;
  if (buffer.length < room) {
    buffer = new Uint8Array(Math.max(room, Math.min(SCRATCH_KEPT, 2 * scratch.length)));
    if (buffer.length <= SCRATCH_KEPT) scratch = buffer;
  }

  // The pieces in order: where their tree bytes start, the base's piece
  // each is (-1: the next bytes of `buffer`), its size in the stream, its
  // Adler-32 and reach.
  const starts = new Int32Array(count + 1);
  const reused = new Int32Array(count);
  const sizes = new Int32Array(count);
  const adlers = new Uint32Array(count);
  const reach = new Int32Array(count);
  const base = origin?.deflated;
  let total = HEADER.length + FINAL.length + 4;
  let j = 0;
  let o = 0;
  for (let p = 0; p < plan.length; p += 3) {
    const start = plan[p]!;
    const end = plan[p + 1]!;
    const k = plan[p + 2]!;
    if (k >= 0) {
      starts[j] = start;
      reused[j] = k;
      sizes[j] = base!.at[k + 1]! - base!.at[k]!;
      adlers[j] = base!.adlers[k]!;
      reach[j] = base!.reach[k]!;
      total += sizes[j]!;
      j++;
      continue;
    }
    for (let a = start; a < end; j++) {
      const b = end - a > 2 * PIECE ? entryEnd(data, a + PIECE, a, idBytes, end) : end;
      const was = o;
      o = encodeFixedBlock(data, a, b, Math.max(0, a - PRIME), idBytes, buffer, o, false);
      starts[j] = a;
      reused[j] = -1;
      sizes[j] = o - was;
      adlers[j] = adler32(data, a, b);
      reach[j] = blockReach;
      total += o - was;
      a = b;
    }
  }
  count = j;
  starts[count] = n;

  const stream = new Uint8Array(total);
  stream.set(HEADER);
  const at = new Int32Array(count + 1);
  let s = HEADER.length;
  let from = 0;
  let adler = 1;
  for (j = 0; j < count; j++) {
    at[j] = s;
    const k = reused[j]!;
    const size = sizes[j]!;
    if (k >= 0) stream.set(base!.stream.subarray(base!.at[k]!, base!.at[k]! + size), s);
    else {
      stream.set(buffer.subarray(from, from + size), s);
      from += size;
    }
    s += size;
    adler = combineAdler32(adler, adlers[j]!, starts[j + 1]! - starts[j]!);
  }
  at[count] = s;
  stream.set(FINAL, s);
  writeAdler32(stream, s + FINAL.length, adler);
  return { stream, starts: starts.subarray(0, count + 1), at, adlers: adlers.subarray(0, count), reach: reach.subarray(0, count) };
}

/**
 * Stretches to compress shorter than {@link SMALLEST} (an entry inserted
 * between two pieces) take in the next item of the plan, or the one before:
 * pieces that small would cost their 5 bytes again and again. Two stretches
 * to compress in a row become one.
 */
function mergeSmallStretches(plan: number[]): void {
  // The items at p and p + 3 as one stretch to compress.
  const join = (p: number): void => {
    plan[p + 1] = plan[p + 4]!;
    plan[p + 2] = -1;
    plan.splice(p + 3, 3);
  };
  for (let p = 0; p < plan.length; ) {
    const compress = plan[p + 2] === -1;
    const last = p + 3 === plan.length;
    if (compress && !last && plan[p + 5] === -1) join(p);
    else if (compress && plan[p + 1]! - plan[p]! < SMALLEST && plan.length > 3) {
      if (!last) join(p);
      else {
        join(p - 3);
        // The item before may now be followed by a stretch like itself.
        p = Math.max(0, p - 6);
      }
    } else p += 3;
  }
}

/** Where the first entry ending at or after `min` ends (entries walked from `start`); `limit` if none before it. */
function entryEnd(data: Uint8Array, min: number, start: number, idBytes: number, limit: number): number {
  let e = start;
  while (e < min) {
    const nul = data.indexOf(0, e);
    if (nul < 0) return limit;
    e = nul + 1 + idBytes;
  }
  return e < limit ? e : limit;
}

/** The Adler-32 of two byte strings one after the other, from theirs and the second's length (zlib's `adler32_combine`). */
export function combineAdler32(first: number, second: number, secondLength: number): number {
  const a1 = first & 0xffff;
  const a2 = second & 0xffff;
  // a = a1 + a2 - 1; b = b1 + b2 + len2 * (a1 - 1), each mod 65521.
  const a = (a1 + a2 + MOD_ADLER - 1) % MOD_ADLER;
  const b = ((first >>> 16) + (second >>> 16) + ((secondLength % MOD_ADLER) * ((a1 + MOD_ADLER - 1) % MOD_ADLER)) % MOD_ADLER) % MOD_ADLER;
  return ((b << 16) | a) >>> 0;
}
