/**
 * The canonical object form `<type> SP <size> NUL <payload>` and object ids.
 */
import { CorruptObjectError } from "../errors.js";
import { digestHex, type HashAlgorithm } from "./hash.js";

export type ObjectType = "blob" | "tree" | "commit" | "tag";

/** An object's type and payload (without the canonical header). */
export interface GitObject {
  readonly type: ObjectType;
  readonly data: Uint8Array;
}

// Payloads that a cache holds: whoever hands one out to a caller must copy it.
const cachedPayloads = new WeakSet<Uint8Array>();

/** Record that a cache keeps `data` (see {@link isCached}). */
export function markCached(data: Uint8Array): void {
  cachedPayloads.add(data);
}

/**
 * Whether a cache keeps `data`: a payload read fresh from storage and kept
 * nowhere can be handed to a caller as it is, one a cache keeps must be
 * copied (a caller changing it would change what later reads return).
 */
export function isCached(data: Uint8Array): boolean {
  return cachedPayloads.has(data);
}

const TYPES: ReadonlySet<string> = new Set(["blob", "tree", "commit", "tag"]);

export function isObjectType(s: string): s is ObjectType {
  return TYPES.has(s);
}

/** Longest header git can produce: "commit " + 20 digits + NUL. */
export const MAX_HEADER = 32;

/** Write `"<type> <size>\0"` at the start of `out`; returns its length. */
function writeHeader(type: ObjectType, size: number, out: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < type.length; i++) out[n++] = type.charCodeAt(i);
  out[n++] = 0x20;
  // The size's digits, without building a string per object.
  let digits = 1;
  for (let t = 10; t <= size; t *= 10) digits++;
  for (let i = digits - 1, v = size; i >= 0; i--, v = Math.floor(v / 10)) out[n + i] = 0x30 + (v % 10);
  n += digits;
  out[n++] = 0;
  return n;
}

/** `"<type> <size>\0"` as bytes. */
export function encodeHeader(type: ObjectType, size: number): Uint8Array {
  const out = new Uint8Array(MAX_HEADER);
  return out.subarray(0, writeHeader(type, size, out));
}

// The header hashed before each object: written into one buffer (hashers copy what they are given).
const HEADER = new Uint8Array(MAX_HEADER);

// Objects up to this size are hashed in one call where the algorithm offers one,
// their canonical form assembled in one reused buffer.
const ONE_SHOT = 64 * 1024;
let canonical: Uint8Array | undefined;

/** The id of an object: the hash of its canonical form. */
export function hashObject(algo: HashAlgorithm, type: ObjectType, data: Uint8Array): string {
  if (algo.hashHex && data.length <= ONE_SHOT) {
    canonical ??= new Uint8Array(MAX_HEADER + ONE_SHOT);
    const n = writeHeader(type, data.length, canonical);
    canonical.set(data, n);
    return algo.hashHex(canonical.subarray(0, n + data.length));
  }
  const n = writeHeader(type, data.length, HEADER);
  return digestHex(algo.create().update(HEADER.subarray(0, n)).update(data));
}

/**
 * Parse the canonical header at the start of `bytes` by git's rules.
 * `where` names the object or file for the error message.
 */
export function decodeHeader(bytes: Uint8Array, where: string): { type: ObjectType; size: number; headerLength: number } {
  const sp = bytes.indexOf(0x20);
  if (sp < 0 || sp > 6) throw new CorruptObjectError(`${where}: malformed object header`);
  const type = String.fromCharCode(...bytes.subarray(0, sp));
  if (!isObjectType(type)) throw new CorruptObjectError(`${where}: unknown object type ${JSON.stringify(type)}`);
  let size = 0;
  let i = sp + 1;
  const start = i;
  for (; i < bytes.length && bytes[i] !== 0; i++) {
    const c = bytes[i]! - 0x30;
    if (c < 0 || c > 9 || i - start >= 16) throw new CorruptObjectError(`${where}: malformed object size`);
    size = size * 10 + c;
  }
  if (i >= bytes.length || i === start || (bytes[start] === 0x30 && i - start > 1)) {
    throw new CorruptObjectError(`${where}: malformed object size`);
  }
  return { type, size, headerLength: i + 1 };
}
