/**
 * zlib streams (RFC 1950) written without zlib, pure and synchronous, so
 * both builds write the same bytes: one deflate block with the fixed Huffman
 * codes (RFC 1951, 3.2.6), matches found greedily through a one-entry hash
 * of 4-byte strings; or stored blocks, for data that does not compress.
 *
 * What a commit compresses besides its files is trees and the commit
 * itself: small, and (trees) half random ids, on which zlib's dynamic codes
 * gain next to nothing (a 20-entry tree: 528 bytes here, 529 at level 1).
 * zlib pays for them anyway: resetting and touching its 256 KiB of state
 * and building the code tables costs 10 us for a 700-byte tree when warm
 * and about 24 us inside a commit, where its state has left the cache; this
 * encoder takes 3 us and 50 KiB of tables. Stored blocks need no zlib state
 * at all (zlib's own level 0 also resets it).
 */

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

const MIN_MATCH = 4;
const MAX_MATCH = 258;
const WINDOW = 32768;

interface Codes {
  /** Literal/length symbol -> its fixed code (reversed) and length. */
  lit: Uint16Array;
  litBits: Uint8Array;
  /** Match length -> its symbol's code with the extra bits above it, and the total bit count. */
  length: Uint32Array;
  lengthBits: Uint8Array;
  /** Distance -> its symbol (the fixed distance codes are the symbol in 5 bits, reversed in `dist`). */
  distSymbol: Uint8Array;
  dist: Uint8Array;
}

// Built on the first encoding, not at load: loops run at load get compiled
// on the spot, which costs a reader that never encodes over a megabyte of RSS.
let codes: Codes | undefined;

function buildCodes(): Codes {
  // Deflate sends Huffman codes from their top bit but packs bits from the
  // bottom: every code is stored bit-reversed. `rev` reverses 8 bits; shorter
  // and longer codes shift it.
  const rev = new Uint8Array(256);
  for (let i = 1; i < 256; i++) rev[i] = (rev[i >> 1]! >> 1) | ((i & 1) << 7);
  const lit = new Uint16Array(288);
  const litBits = new Uint8Array(288);
  // RFC 1951, 3.2.6: 0-143 take 8 bits from 0x30, 144-255 9 bits from
  // 0x190, 256-279 7 bits from 0, 280-287 8 bits from 0xc0.
  for (let s = 0; s < 144; s++) {
    lit[s] = rev[0x30 + s]!;
    litBits[s] = 8;
  }
  for (let s = 144; s < 256; s++) {
    const c = 0x190 + s - 144;
    lit[s] = (rev[c & 0xff]! << 1) | (c >> 8);
    litBits[s] = 9;
  }
  for (let s = 256; s < 280; s++) {
    lit[s] = rev[s - 256]! >> 1;
    litBits[s] = 7;
  }
  for (let s = 280; s < 288; s++) {
    lit[s] = rev[0xc0 + s - 280]!;
    litBits[s] = 8;
  }
  const length = new Uint32Array(MAX_MATCH + 1);
  const lengthBits = new Uint8Array(MAX_MATCH + 1);
  for (let k = 0; k < LENGTH_BASE.length; k++) {
    const end = k + 1 < LENGTH_BASE.length ? LENGTH_BASE[k + 1]! : MAX_MATCH + 1;
    for (let len = LENGTH_BASE[k]!; len < end; len++) {
      const s = 257 + k;
      length[len] = lit[s]! | ((len - LENGTH_BASE[k]!) << litBits[s]!);
      lengthBits[len] = litBits[s]! + LENGTH_EXTRA[k]!;
    }
  }
  const distSymbol = new Uint8Array(WINDOW + 1);
  const dist = new Uint8Array(DIST_BASE.length);
  for (let k = 0; k < DIST_BASE.length; k++) {
    distSymbol.fill(k, DIST_BASE[k]!, k + 1 < DIST_BASE.length ? DIST_BASE[k + 1]! : WINDOW + 1);
    dist[k] = rev[k]! >> 3;
  }
  return { lit, litBits, length, lengthBits, distSymbol, dist };
}

const HASH_BITS = 12;
// Where each hashed 4-byte string was last seen, plus `stamp`: entries below
// the current call's stamp are from earlier calls, so the table is never cleared.
let head: Int32Array | undefined;
let stamp = 0;

/**
 * `data` as a zlib stream of one fixed-Huffman deflate block. `idBytes`,
 * when not 0: `data` is a tree object with ids of that length, random bytes
 * (after the NUL ending each entry's name) that are sent as literals without
 * looking for matches in them, which found none (about half of a tree's
 * bytes; 29% less time for a tree of 50 files) and the hash table is left to
 * the names.
 */
export function encodeFixedZlib(data: Uint8Array, idBytes = 0): Uint8Array {
  const n = data.length;
  // Worst case: every byte a 9-bit literal, plus headers and the Adler-32.
  const out = new Uint8Array(n + (n >>> 3) + 16);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // fastest level, no dictionary; (0x78 << 8 | 0x01) % 31 === 0
  const o = encodeFixedBlock(data, 0, n, 0, idBytes, out, 2, true);
  return out.subarray(0, writeAdler32(out, o, adler32(data)));
}

/**
 * After {@link encodeFixedBlock}: how far before `from` its matches reached
 * (0: not before `from`).
 */
export let blockReach = 0;

/**
 * `data[from, to)` as a fixed-Huffman deflate block written into `out` at
 * `o` (which must have room for `to - from` 9-bit literals and 8 bytes
 * more); returns where it ended. Its matches may copy from `data[low,
 * from)`, which a decoder has just produced (see tree-zlib.ts). `idBytes`:
 * the length of the ids when `data` holds a tree's entries (see
 * {@link encodeFixedZlib}), else 0. `final`: the
 * stream's last block. Otherwise the block is followed by an empty stored
 * block (zlib's sync flush), so that it ends on a byte boundary and the next
 * block can be written, or copied, after it.
 */
export function encodeFixedBlock(data: Uint8Array, from: number, to: number, low: number, idBytes: number, out: Uint8Array, o: number, final: boolean): number {
  const { lit, litBits, length: lengthCode, lengthBits, distSymbol, dist: distCode } = (codes ??= buildCodes());
  const table = (head ??= new Int32Array(1 << HASH_BITS));
  let bits = final ? 0b011 : 0b010; // BFINAL, then BTYPE = 01 (fixed codes)
  let count = 3;
  if (stamp > 0x3fff0000 - to) {
    table.fill(0);
    stamp = 0;
  }
  const base = stamp + 1;
  stamp += to + 1;

  const last = to - MIN_MATCH;
  // The strings before `from` that matches may start at.
  for (let p = low; p < from && p <= last; p++) {
    const x = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24);
    table[Math.imul(x, 0x9e3779b1) >>> (32 - HASH_BITS)] = base + p;
  }
  let lowest = from;
  let i = from;
  // The 4 bytes at i, little-endian; rolled one byte a step.
  let x = i <= last ? (data[i]! << 8) | (data[i + 1]! << 16) | (data[i + 2]! << 24) : 0;
  // Where the next id starts (to + 1: no more ids).
  let id = (idBytes > 0 ? data.indexOf(0, i) + 1 : 0) || to + 1;
  while (i < to) {
    if (i >= id) {
      // (A match may have run into the id: its rest, if any.)
      for (const end = Math.min(id + idBytes, to); i < end; i++) {
        const s = data[i]!;
        bits |= lit[s]! << count;
        count += litBits[s]!;
        if (count >= 16) {
          out[o] = bits;
          out[o + 1] = bits >>> 8;
          o += 2;
          bits >>>= 16;
          count -= 16;
        }
      }
      id = data.indexOf(0, i) + 1 || to + 1;
      if (i <= last) x = data[i - 1]! | (data[i]! << 8) | (data[i + 1]! << 16) | (data[i + 2]! << 24);
      continue;
    }
    let len = 0;
    let c = 0;
    if (i <= last) {
      x = (x >>> 8) | (data[i + 3]! << 24);
      const h = Math.imul(x, 0x9e3779b1) >>> (32 - HASH_BITS);
      c = table[h]! - base;
      table[h] = base + i;
      if (c >= 0 && i - c <= WINDOW && (data[c]! | (data[c + 1]! << 8) | (data[c + 2]! << 16) | (data[c + 3]! << 24)) === x) {
        const max = Math.min(MAX_MATCH, to - i);
        len = MIN_MATCH;
        while (len < max && data[c + len] === data[i + len]) len++;
      }
    }
    if (len === 0) {
      const s = data[i++]!;
      bits |= lit[s]! << count;
      count += litBits[s]!;
    } else {
      const dist = i - c;
      if (c < lowest) lowest = c;
      bits |= lengthCode[len]! << count;
      count += lengthBits[len]!;
      // The distance code may take 18 bits: make room first.
      while (count >= 8) {
        out[o++] = bits;
        bits >>>= 8;
        count -= 8;
      }
      const k = distSymbol[dist]!;
      bits |= (distCode[k]! | ((dist - DIST_BASE[k]!) << 5)) << count;
      count += 5 + DIST_EXTRA[k]!;
      i += len;
      if (i <= last) x = data[i - 1]! | (data[i]! << 8) | (data[i + 1]! << 16) | (data[i + 2]! << 24);
    }
    while (count >= 8) {
      out[o++] = bits;
      bits >>>= 8;
      count -= 8;
    }
  }
  blockReach = from - lowest;
  // End of block (symbol 256: seven zero bits); not final, the empty stored
  // block's three zero bits; then up to the byte boundary.
  count += final ? 7 : 10;
  while (count > 0) {
    out[o++] = bits;
    bits >>>= 8;
    count -= 8;
  }
  if (!final) {
    // The stored block's LEN (0) and NLEN.
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = 0xff;
    out[o + 3] = 0xff;
    o += 4;
  }
  return o;
}

/** The most a stored block holds (its length is 16 bits). */
const STORED_BLOCK = 0xffff;

/** `data` as a zlib stream of stored (uncompressed) deflate blocks, as zlib's level 0 writes it. */
export function encodeStoredZlib(data: Uint8Array): Uint8Array {
  const n = data.length;
  const blocks = Math.max(1, Math.ceil(n / STORED_BLOCK));
  const out = new Uint8Array(2 + 5 * blocks + n + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0, p = 0; b < blocks; b++, p += STORED_BLOCK) {
    const len = Math.min(STORED_BLOCK, n - p);
    out[o] = b === blocks - 1 ? 1 : 0; // BFINAL on the last; BTYPE = 00 (stored)
    out[o + 1] = len;
    out[o + 2] = len >>> 8;
    out[o + 3] = ~len;
    out[o + 4] = ~len >>> 8;
    out.set(data.subarray(p, p + len), o + 5);
    o += 5 + len;
  }
  writeAdler32(out, o, adler32(data));
  return out;
}

/** Write `adler` (an Adler-32) at `at`, as a zlib stream ends; returns where it ended. */
export function writeAdler32(out: Uint8Array, at: number, adler: number): number {
  out[at] = adler >>> 24;
  out[at + 1] = adler >>> 16;
  out[at + 2] = adler >>> 8;
  out[at + 3] = adler;
  return at + 4;
}

/** Adler-32 (RFC 1950), the zlib trailer, of `data[start, end)`. */
export function adler32(data: Uint8Array, start = 0, end = data.length): number {
  let a = 1;
  let b = 0;
  const n = end;
  for (let p = start; p < n; ) {
    // Reduced every 2,048 bytes, both sums stay below 2^30: small integers,
    // which V8 keeps unboxed even before it optimizes the loop (zlib's 5,552,
    // the most before 2^32, would box every addition past 2^30 as a heap
    // number while the loop runs unoptimized, the first commits' case).
    const end = Math.min(n, p + 2048);
    // Eight bytes a step: `b` takes the eight running values of `a` at once,
    // which shortens the chain of additions each byte waits on (1.6x faster).
    for (const end8 = end - ((end - p) & 7); p < end8; p += 8) {
      const d0 = data[p]!;
      const d1 = data[p + 1]!;
      const d2 = data[p + 2]!;
      const d3 = data[p + 3]!;
      const d4 = data[p + 4]!;
      const d5 = data[p + 5]!;
      const d6 = data[p + 6]!;
      const d7 = data[p + 7]!;
      b += 8 * (a + d0) + 7 * d1 + 6 * d2 + 5 * d3 + 4 * d4 + 3 * d5 + 2 * d6 + d7;
      a += d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7;
    }
    for (; p < end; p++) {
      a += data[p]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
