/**
 * Git's delta format: `<source size> <target size>` as little-endian base-128
 * varints, then copy (`1oooosss` + argument bytes) and insert (`0nnnnnnn`)
 * instructions. Applying one is here; making one, which only gc does, is in
 * delta-encode.ts.
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
