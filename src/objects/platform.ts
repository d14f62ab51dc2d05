import { sha1, type HashAlgorithm } from "./hash.js";
import { pakoZlib, type Zlib } from "./zlib.js";

/**
 * The two CPU-bound primitives the engine needs. The runtime-agnostic build
 * uses pure TypeScript SHA-1 and pako; the Node build plugs `node:crypto` and
 * `node:zlib`, which produce the same bytes faster.
 */
export interface Platform {
  readonly hash: HashAlgorithm;
  readonly zlib: Zlib;
}

/** Pure TypeScript: every runtime. */
export const portablePlatform: Platform = { hash: sha1, zlib: pakoZlib };
