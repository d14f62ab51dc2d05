/**
 * Making deltas in git's format (see delta.ts for the format and applying
 * one). Apart from the decoder so that an application that only reads, in a
 * browser, does not load it: only gc makes deltas.
 */

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
