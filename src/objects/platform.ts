import { crc32 } from "./crc32.js";
import type { HashAlgorithm } from "./hash.js";
import { lazy } from "./once.js";
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

const pureSha1 = lazy(() => import("./sha1.js").then((m) => m.sha1));

/**
 * The pure TypeScript SHA-1, loaded on first use (`GitStore.open` awaits
 * `load`) as pako is: a page that bundles gitstore does not fetch it up front,
 * and the Node build never does.
 */
const lazySha1: HashAlgorithm = {
  name: "sha1",
  size: 20,
  create() {
    const loaded = pureSha1.loaded;
    if (!loaded) throw new Error("SHA-1 is not loaded: await hash.load() first");
    return loaded.create();
  },
  load: pureSha1.ready,
};

/** Pure TypeScript: every runtime. */
export const portablePlatform: Platform = { hash: lazySha1, zlib: pakoZlib, crc32 };
