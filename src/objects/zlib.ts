/**
 * zlib (RFC 1950) behind one small interface, and its portable implementation
 * through pako, whose two halves load on first use.
 */

/** Failure to inflate: bad stream, truncated stream or too much output. */
export class ZlibError extends Error {}

/** The compression half of the platform. */
export interface Zlib {
  /**
   * Compress `data` into a zlib stream. Asynchronous so that a build may load
   * its compressor on first use: an application that only reads never ships it.
   */
  deflate(data: Uint8Array, level: number): Promise<Uint8Array>;
  /**
   * Inflate the zlib stream at the start of `data`. Throws {@link ZlibError}
   * when the stream is damaged or truncated, or when it would produce more than
   * `maxOutput` bytes. Bytes after the end of the stream are ignored; `consumed`
   * says where the stream ended.
   */
  inflate(data: Uint8Array, maxOutput: number): { output: Uint8Array; consumed: number };
  /** Up to the first `n` bytes the stream at the start of `data` inflates to (fewer if it is shorter). */
  inflatePrefix(data: Uint8Array, n: number): Uint8Array;
  /**
   * For an implementation that loads its inflater on first use: a promise to
   * await before calling `inflate` or `inflatePrefix`, or `undefined` once
   * they are ready. (Inflating stays synchronous: it runs on paths where the
   * bytes are already at hand.)
   */
  load?(): Promise<void> | undefined;
}

// Both halves are separate modules, so that a bundler leaves them out of the
// main chunk: a page that only reads never ships the compressor, and the
// Node build (which uses node:zlib) loads neither.
let pakoDeflate: Promise<typeof import("pako/browser/deflate")> | undefined;
let pakoInflate: typeof import("./pako-inflate.js") | undefined;
let loadingInflate: Promise<void> | undefined;

function inflater(): typeof import("./pako-inflate.js") {
  if (!pakoInflate) throw new Error("pako's inflater is not loaded: await zlib.load() first");
  return pakoInflate;
}

/** zlib through pako: runs in every runtime. */
export const pakoZlib: Zlib = {
  deflate: async (data, level) => (await (pakoDeflate ??= import("pako/browser/deflate"))).deflate(data, { level }),
  inflate: (data, maxOutput) => inflater().run(data, maxOutput, false),
  inflatePrefix: (data, n) => inflater().run(data, n, true).output,
  load: () =>
    pakoInflate
      ? undefined
      : (loadingInflate ??= import("./pako-inflate.js").then((m) => {
          pakoInflate = m;
        })),
};
