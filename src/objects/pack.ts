/**
 * Packfile (v2) pieces: the file header, each entry's type+size header, the
 * OFS_DELTA distance. Pure functions over bytes.
 */
import { CorruptObjectError, type Place } from "../errors.js";
import type { ObjectType } from "./object.js";

export const OBJ_COMMIT = 1;
export const OBJ_TREE = 2;
export const OBJ_BLOB = 3;
export const OBJ_TAG = 4;
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;

export const PACK_TYPE_NAMES: Record<number, ObjectType> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag" };
export const PACK_TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/** Length of the `PACK`, version, count header. */
export const PACK_HEADER_SIZE = 12;

/** Check `PACK` + version 2/3 and return the object count. */
export function decodePackHeader(b: Uint8Array, where: Place): number {
  if (b.length < 12 || b[0] !== 0x50 || b[1] !== 0x41 || b[2] !== 0x43 || b[3] !== 0x4b) throw new CorruptObjectError(`${where}: not a pack file`);
  const v = new DataView(b.buffer, b.byteOffset, 12);
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) throw new CorruptObjectError(`${where}: unsupported pack version ${version}`);
  return v.getUint32(8);
}

export function encodePackHeader(count: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set([0x50, 0x41, 0x43, 0x4b]);
  const v = new DataView(out.buffer);
  v.setUint32(4, 2);
  v.setUint32(8, count);
  return out;
}

export interface EntryHeader {
  readonly type: number;
  /** Inflated payload size (for deltas: the delta's size). */
  readonly size: number;
  /** Bytes taken by the type+size header. */
  readonly length: number;
}

export function decodeEntryHeader(b: Uint8Array, p: number, where: Place): EntryHeader {
  const start = p;
  if (p >= b.length) throw new CorruptObjectError(`${where}: truncated entry header`);
  let c = b[p++]!;
  const type = (c >> 4) & 7;
  let size = c & 15;
  let shift = 4;
  while (c & 0x80) {
    if (p >= b.length || shift > 49) throw new CorruptObjectError(`${where}: truncated entry header`);
    c = b[p++]!;
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
  }
  return { type, size, length: p - start };
}

/**
 * An entry's header: type and size, the size 4 bits in the first byte then
 * 7 in each next one. (Written straight into its bytes: every object a
 * commit adds takes one, and `Uint8Array.from` over an array goes through
 * the iterator protocol, costly in code V8 has not compiled yet.)
 */
export function encodeEntryHeader(type: number, size: number): Uint8Array {
  // 4 + 7 * 7 bits hold any safe integer: 8 bytes at most.
  const out = new Uint8Array(8);
  let n = 0;
  let c = (type << 4) | (size & 15);
  size = Math.floor(size / 16);
  while (size > 0) {
    out[n++] = c | 0x80;
    c = size & 0x7f;
    size = Math.floor(size / 128);
  }
  out[n++] = c;
  return out.subarray(0, n);
}

/**
 * The OFS_DELTA distance at `p` (big-endian groups, +1 per continuation). It
 * takes as many bytes as the continuation bits say ({@link ofsDistanceLength}):
 * one number back, where a pair would cost the iterator protocol in code the
 * JIT has not compiled yet.
 */
export function decodeOfsDistance(b: Uint8Array, p: number, where: Place): number {
  const start = p;
  if (p >= b.length) throw new CorruptObjectError(`${where}: truncated delta offset`);
  let c = b[p++]!;
  let d = c & 0x7f;
  while (c & 0x80) {
    if (p >= b.length || p - start > 8) throw new CorruptObjectError(`${where}: truncated delta offset`);
    c = b[p++]!;
    d = (d + 1) * 128 + (c & 0x7f);
  }
  return d;
}

/** Bytes of the OFS_DELTA distance at `p`, which {@link decodeOfsDistance} has read. */
export function ofsDistanceLength(b: Uint8Array, p: number): number {
  let n = 1;
  while (b[p + n - 1]! & 0x80) n++;
  return n;
}

export function encodeOfsDistance(d: number): Uint8Array {
  const out = [d & 0x7f];
  d = Math.floor(d / 128);
  while (d > 0) {
    d -= 1;
    out.unshift(0x80 | (d & 0x7f));
    d = Math.floor(d / 128);
  }
  return Uint8Array.from(out);
}
