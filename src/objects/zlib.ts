/**
 * zlib (RFC 1950) through pako, bounded so that data which lies about its size
 * cannot make us allocate more than it really holds.
 */
import { Z_BUF_ERROR, Z_FINISH, Z_OK, Z_STREAM_END, ZStream, zlibInflate, zlibInflateInit, zlibInflateReset } from "pako";

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
}

const CHUNK = 64 * 1024;

// One inflate state, reset per call (calls are synchronous, so never shared at
// once): allocating a fresh state and window per object dominated small reads.
let shared: ZStream | undefined;

function freshStream(): ZStream {
  if (!shared) {
    shared = new ZStream();
    if (zlibInflateInit(shared) !== Z_OK) throw new ZlibError("inflate init failed");
  } else if (zlibInflateReset(shared) !== Z_OK) {
    throw new ZlibError("inflate reset failed");
  }
  return shared;
}

function run(data: Uint8Array, maxOutput: number, prefixOnly: boolean): { output: Uint8Array; consumed: number } {
  const strm = freshStream();
  strm.input = data;
  strm.next_in = 0;
  strm.avail_in = data.length;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    // One byte of slack beyond maxOutput reveals a stream that is too long.
    const size = Math.max(1, Math.min(CHUNK, maxOutput + 1 - total));
    const out = new Uint8Array(size);
    strm.output = out;
    strm.next_out = 0;
    strm.avail_out = size;
    const status = zlibInflate(strm, Z_FINISH);
    const produced = size - strm.avail_out;
    if (produced > 0) {
      chunks.push(out.subarray(0, produced));
      total += produced;
    }
    if (total > maxOutput) {
      if (prefixOnly) break;
      throw new ZlibError(`inflates to more than ${maxOutput} bytes`);
    }
    if (status === Z_STREAM_END) break;
    if (prefixOnly && total === maxOutput) break;
    if (status === Z_BUF_ERROR && strm.avail_in === 0) throw new ZlibError("truncated zlib stream");
    if (status !== Z_OK && status !== Z_BUF_ERROR) throw new ZlibError(strm.msg || `zlib error ${status}`);
    if (produced === 0 && strm.avail_in === 0) throw new ZlibError("truncated zlib stream");
  }
  const output = chunks.length === 1 ? chunks[0]! : concat(chunks, total);
  return { output: prefixOnly ? output.subarray(0, Math.min(total, maxOutput)) : output, consumed: strm.next_in };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

// pako's own deflate-only build: a separate module, so a bundler leaves it out
// of the main chunk (pako's main module then contributes its inflater only).
let pakoDeflate: Promise<typeof import("pako/browser/deflate")> | undefined;

/** zlib through pako: runs in every runtime. */
export const pakoZlib: Zlib = {
  deflate: async (data, level) => (await (pakoDeflate ??= import("pako/browser/deflate"))).deflate(data, { level }),
  inflate: (data, maxOutput) => run(data, maxOutput, false),
  inflatePrefix: (data, n) => run(data, n, true).output,
};
