/** `node:crypto` and `node:zlib` behind the engine's {@link Platform} port. */
import { createHash } from "node:crypto";
import { constants as bufferConstants } from "node:buffer";
import { constants, deflateSync, inflateSync } from "node:zlib";
import type { Hasher, HashAlgorithm } from "../objects/hash.js";
import type { Platform } from "../objects/platform.js";
import { ZlibError, type Zlib } from "../objects/zlib.js";

class NodeSha1 implements Hasher {
  readonly #h = createHash("sha1");
  update(data: Uint8Array): this {
    this.#h.update(data);
    return this;
  }
  digest(): Uint8Array {
    const b = this.#h.digest();
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}

/** SHA-1 through `node:crypto`. */
export const nodeSha1: HashAlgorithm = { name: "sha1", size: 20, create: () => new NodeSha1() };

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** zlib through `node:zlib`. */
export const nodeZlib: Zlib = {
  deflate: async (data, level) => asBytes(deflateSync(data, { level })),
  inflate(data, maxOutput) {
    try {
      // An output chunk sized to the expected object avoids allocating 16 KiB per small object.
      const chunkSize = Math.min(64 * 1024, Math.max(64, maxOutput + 1));
      const r = inflateSync(data, { info: true, chunkSize, maxOutputLength: Math.max(1, Math.min(maxOutput, bufferConstants.MAX_LENGTH)) }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      if (r.buffer.length > maxOutput) throw new ZlibError(`inflates to more than ${maxOutput} bytes`);
      return { output: asBytes(r.buffer), consumed: r.engine.bytesWritten };
    } catch (e) {
      if (e instanceof ZlibError) throw e;
      throw new ZlibError((e as Error).message);
    }
  },
  inflatePrefix(data, n) {
    try {
      // Feeding a bounded slice keeps the output bounded too (deflate expands at most ~1032x).
      const slice = data.subarray(0, Math.max(1024, n * 4));
      const out = inflateSync(slice, { finishFlush: constants.Z_SYNC_FLUSH });
      return asBytes(out).subarray(0, n);
    } catch (e) {
      throw new ZlibError((e as Error).message);
    }
  },
};

/** The Node platform: same bytes as the portable one, several times faster. */
export const nodePlatform: Platform = { hash: nodeSha1, zlib: nodeZlib };
