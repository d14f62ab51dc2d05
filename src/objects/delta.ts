/**
 * Git's delta format: `<source size> <target size>` as little-endian base-128
 * varints, then copy (`1oooosss` + argument bytes) and insert (`0nnnnnnn`)
 * instructions.
 */
import { CorruptObjectError, type Place } from "../errors.js";

/** Where the last {@link varint} ended. */
let varintEnd = 0;

/**
 * Read a delta's plain varint at `p`; it ends at {@link varintEnd}. (Not a
 * pair: destructuring one runs the iterator protocol, objects and all, in
 * code the JIT has not compiled yet, and a walk applies a delta per object.)
 */
function varint(delta: Uint8Array, p: number, where: Place): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (p >= delta.length || shift > 49) throw new CorruptObjectError(`${where}: truncated delta header`);
    const c = delta[p++]!;
    value += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(c & 0x80)) {
      varintEnd = p;
      return value;
    }
  }
}

/** The target size a delta declares, without applying it. */
export function deltaTargetSize(delta: Uint8Array, where: Place): number {
  varint(delta, 0, where);
  return varint(delta, varintEnd, where);
}

/**
 * Apply `delta` to `base`. Every size and range is checked before use, so a
 * hostile delta raises `CorruptObjectError` (naming `where`) instead of reading
 * out of bounds or allocating what it merely declares.
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array, where: Place): Uint8Array {
  const sourceSize = varint(delta, 0, where);
  if (sourceSize !== base.length) throw new CorruptObjectError(`${where}: delta expects a base of ${sourceSize} bytes, base has ${base.length}`);
  const targetSize = varint(delta, varintEnd, where);
  let p = varintEnd;
  // A copy instruction of at most 8 bytes yields at most 0xffffff bytes, an
  // insert of n+1 bytes yields n: the target can't exceed what the delta allows.
  if (targetSize > (delta.length - p) * 0x1fffff) throw new CorruptObjectError(`${where}: delta declares an impossible target size ${targetSize}`);
  const out = new Uint8Array(targetSize);
  let q = 0;
  while (p < delta.length) {
    const op = delta[p++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) {
          if (p >= delta.length) throw new CorruptObjectError(`${where}: truncated copy instruction`);
          offset |= delta[p++]! << (bit * 8);
        }
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (0x10 << bit)) {
          if (p >= delta.length) throw new CorruptObjectError(`${where}: truncated copy instruction`);
          size |= delta[p++]! << (bit * 8);
        }
      }
      offset >>>= 0;
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || q + size > targetSize) throw new CorruptObjectError(`${where}: delta copy out of range`);
      out.set(base.subarray(offset, offset + size), q);
      q += size;
    } else if (op !== 0) {
      if (p + op > delta.length || q + op > targetSize) throw new CorruptObjectError(`${where}: delta insert out of range`);
      out.set(delta.subarray(p, p + op), q);
      p += op;
      q += op;
    } else {
      throw new CorruptObjectError(`${where}: delta opcode 0 is reserved`);
    }
  }
  if (q !== targetSize) throw new CorruptObjectError(`${where}: delta produced ${q} bytes, declared ${targetSize}`);
  return out;
}

const BLOCK = 16;
const MAX_BUCKET = 64;
const MAX_COPY = 0x10000;
const MAX_INSERT = 127;

function writeVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** Hash of `b[p..p+BLOCK)`; the same polynomial rolls over a target in O(1) per byte. */
function blockHash(b: Uint8Array, p: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, 31) + b[p + i]!) | 0;
  return h;
}

// 31^BLOCK, to remove the byte leaving the rolling window.
const OUT_FACTOR = (() => {
  let f = 1;
  for (let i = 0; i < BLOCK; i++) f = Math.imul(f, 31);
  return f;
})();

/**
 * A base prepared for delta encoding: indexed once in non-overlapping 16-byte
 * blocks, then diffed against any number of targets (a packing window tries
 * each object against several bases).
 */
export class DeltaIndex {
  readonly #index = new Map<number, number[]>();

  constructor(readonly base: Uint8Array) {
    for (let p = 0; p + BLOCK <= base.length; p += BLOCK) {
      const h = blockHash(base, p);
      const bucket = this.#index.get(h);
      if (!bucket) this.#index.set(h, [p]);
      else if (bucket.length < MAX_BUCKET) bucket.push(p);
    }
  }

  /**
   * A delta from the base to `target` in git's format: a rolling hash over
   * the target finds candidate matches, which are verified, extended both
   * ways and emitted as copies (split at 64 KiB); everything else becomes
   * inserts of up to 127 bytes. `undefined` once the delta would exceed
   * `maxSize` (not worth keeping).
   */
  deltaTo(target: Uint8Array, maxSize = Infinity): Uint8Array | undefined {
    const base = this.base;
    const out: number[] = [];
    writeVarint(out, base.length);
    writeVarint(out, target.length);
    let literalStart = 0;
    let j = 0;
    let h = target.length >= BLOCK ? blockHash(target, 0) : 0;
    const flushLiterals = (end: number): void => {
      for (let p = literalStart; p < end; p += MAX_INSERT) {
        const n = Math.min(MAX_INSERT, end - p);
        out.push(n);
        for (let k = 0; k < n; k++) out.push(target[p + k]!);
      }
    };
    while (j + BLOCK <= target.length) {
      // Pending literals cost about their length: give up early on hopeless pairs.
      if (out.length + (j - literalStart) > maxSize) return undefined;
      const bucket = this.#index.get(h);
      let bestLen = 0;
      let bestSrc = 0;
      let bestBack = 0;
      if (bucket) {
        for (const src of bucket) {
          let len = 0;
          const max = Math.min(base.length - src, target.length - j);
          while (len < max && base[src + len] === target[j + len]) len++;
          if (len < BLOCK) continue;
          let back = 0;
          while (back < j - literalStart && back < src && base[src - back - 1] === target[j - back - 1]) back++;
          if (len + back > bestLen + bestBack) {
            bestLen = len;
            bestSrc = src;
            bestBack = back;
          }
          if (len >= 4096) break;
        }
      }
      if (bestLen === 0) {
        if (j + BLOCK < target.length) h = (Math.imul(h, 31) - Math.imul(target[j]!, OUT_FACTOR) + target[j + BLOCK]!) | 0;
        j++;
        continue;
      }
      const start = j - bestBack;
      flushLiterals(start);
      let src = bestSrc - bestBack;
      let len = bestLen + bestBack;
      while (len > 0) {
        const n = Math.min(MAX_COPY, len);
        emitCopy(out, src, n);
        src += n;
        len -= n;
      }
      j += bestLen;
      literalStart = j;
      if (j + BLOCK <= target.length) h = blockHash(target, j);
    }
    flushLiterals(target.length);
    return out.length > maxSize ? undefined : Uint8Array.from(out);
  }
}

/** A delta turning `base` into `target` (see {@link DeltaIndex}). */
export function createDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  return new DeltaIndex(base).deltaTo(target)!;
}

function emitCopy(out: number[], offset: number, size: number): void {
  const at = out.length;
  let op = 0x80;
  out.push(0);
  for (let i = 0; i < 4; i++) {
    const b = (offset >>> (i * 8)) & 0xff;
    if (b !== 0) {
      op |= 1 << i;
      out.push(b);
    }
  }
  // A size of 0x10000 is written with no size bytes at all.
  const s = size === MAX_COPY ? 0 : size;
  for (let i = 0; i < 2; i++) {
    const b = (s >>> (i * 8)) & 0xff;
    if (b !== 0) {
      op |= 0x10 << i;
      out.push(b);
    }
  }
  out[at] = op;
}
