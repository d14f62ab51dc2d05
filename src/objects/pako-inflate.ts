/**
 * pako's inflater, bounded so that data which lies about its size cannot make
 * us allocate more than it really holds. Loaded on first need by
 * {@link pakoZlib} (the Node build never loads it).
 */
import { Z_BUF_ERROR, Z_FINISH, Z_OK, Z_STREAM_END, ZStream, zlibInflate, zlibInflateInit, zlibInflateReset } from "pako";
import { ZlibError } from "./zlib.js";

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

/** Inflate the stream at the start of `data`: all of it (at most `maxOutput` bytes), or with `prefixOnly` its first `maxOutput` bytes. */
export function run(data: Uint8Array, maxOutput: number, prefixOnly: boolean): { output: Uint8Array; consumed: number } {
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
