/**
 * Object ids and the hash behind them. Ids are lowercase hex strings whose
 * length comes from the {@link HashAlgorithm}, never from a constant elsewhere,
 * so that SHA-256 repositories can be added without touching the codecs.
 */

/** A streaming hash. */
export interface Hasher {
  update(data: Uint8Array): this;
  digest(): Uint8Array;
  /** The digest as lowercase hex, where the implementation makes it natively (else {@link toHex} of `digest()`). */
  digestHex?(): string;
}

/** Finish `h` as a lowercase hex id. */
export function digestHex(h: Hasher): string {
  return h.digestHex ? h.digestHex() : toHex(h.digest());
}

/** A hash function and the shape of the ids it makes. */
export interface HashAlgorithm {
  /** Name as in git's `extensions.objectformat`. */
  readonly name: string;
  /** Raw id length in bytes (20 for SHA-1). */
  readonly size: number;
  create(): Hasher;
  /**
   * The hash of `data` as lowercase hex in one call, where the implementation
   * has one that is cheaper than a streaming {@link Hasher} (node:crypto's
   * `hash`: no object per call).
   */
  readonly hashHex?: (data: Uint8Array) => string;
  /** The raw hash of `data` in one call, where cheaper (as for {@link hashHex}). */
  readonly hashRaw?: (data: Uint8Array) => Uint8Array;
  /**
   * For an implementation that loads on first use: a promise to await before
   * the first {@link create}, or `undefined` once loaded (`name` and `size`
   * serve at once).
   */
  load?(): Promise<unknown> | undefined;
}

/** The raw hash of `data`: in one call where the algorithm has one. */
export function hashBytes(algo: HashAlgorithm, data: Uint8Array): Uint8Array {
  return algo.hashRaw ? algo.hashRaw(data) : algo.create().update(data).digest();
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of `bytes` (from `start` to `end`). */
export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return hexOf(bytes, start, end);
}

/** {@link toHex} in plain TypeScript, for every runtime. */
export function portableHex(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  let i = start;
  // Four bytes a step: the loop often runs before the JIT has compiled it.
  for (; i + 4 <= end; i += 4) s += HEX[bytes[i]!]! + HEX[bytes[i + 1]!]! + HEX[bytes[i + 2]!]! + HEX[bytes[i + 3]!]!;
  for (; i < end; i++) s += HEX[bytes[i]!];
  return s;
}

// A runtime's native encoder where it has one (see useHexEncoder): every id
// read from a tree or an index is made here, and the portable loop builds
// each one out of a dozen intermediate strings before the JIT has compiled it.
let hexOf = portableHex;

/** Make {@link toHex} use `encode` (the Node build's native one; same output). */
export function useHexEncoder(encode: typeof hexOf): void {
  hexOf = encode;
}

/** Raw bytes of a hex string (its length must be even and all digits hex; checked by the caller). */
export function fromHex(hex: string): Uint8Array {
  return writeHex(hex, new Uint8Array(hex.length >>> 1), 0);
}

/** The bytes of `hex` written into `out` at `at`; returns `out`. */
export function writeHex(hex: string, out: Uint8Array, at: number): Uint8Array {
  const n = hex.length >>> 1;
  for (let i = 0; i < n; i++) out[at + i] = (NIBBLE[hex.charCodeAt(2 * i)]! << 4) | NIBBLE[hex.charCodeAt(2 * i + 1)]!;
  return out;
}

const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 16; i++) NIBBLE["0123456789abcdef".charCodeAt(i)] = NIBBLE["0123456789ABCDEF".charCodeAt(i)] = i;

const ID_PATTERNS = new Map<number, RegExp>();

/** Whether `s` is a full lowercase hex id for `algo`. */
export function isId(s: string, algo: HashAlgorithm): boolean {
  if (typeof s !== "string" || s.length !== algo.size * 2) return false;
  // A regular expression runs as native code even before the JIT has warmed up to a loop.
  let re = ID_PATTERNS.get(algo.size);
  if (!re) ID_PATTERNS.set(algo.size, (re = new RegExp(`^[0-9a-f]{${algo.size * 2}}$`)));
  return re.test(s);
}

/** The all-zero id (meaning "no object" in reflogs and ref updates). */
export function zeroId(algo: HashAlgorithm): string {
  return "0".repeat(algo.size * 2);
}
