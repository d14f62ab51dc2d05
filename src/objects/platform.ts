import { crc32 } from "./crc32.js";
import { sha1, type HashAlgorithm } from "./hash.js";
import { pakoZlib, type Zlib } from "./zlib.js";

/**
 * The CPU-bound primitives the engine needs. The runtime-agnostic build uses
 * pure TypeScript SHA-1 and CRC-32 and pako; the Node build plugs
 * `node:crypto` and `node:zlib`, which produce the same bytes faster.
 */
export interface Platform {
  readonly hash: HashAlgorithm;
  readonly zlib: Zlib;
  /** CRC-32 (zlib's) of `data`, continuing from `crc`: pack indexes record one per entry. */
  readonly crc32: (data: Uint8Array, crc?: number) => number;
}

/** Pure TypeScript: every runtime. */
export const portablePlatform: Platform = { hash: sha1, zlib: pakoZlib, crc32 };
