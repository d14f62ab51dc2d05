/**
 * SHA-1 in plain TypeScript (FIPS 180-4), streaming. Git's object ids are
 * SHA-1 of the canonical object form; this is the runtime-agnostic fallback
 * that the Node build replaces with `node:crypto`.
 */
import type { HashAlgorithm, Hasher } from "./hash.js";

const W = new Int32Array(80);

export class Sha1 implements Hasher {
  #h0 = 0x67452301;
  #h1 = 0xefcdab89 | 0;
  #h2 = 0x98badcfe | 0;
  #h3 = 0x10325476;
  #h4 = 0xc3d2e1f0 | 0;
  readonly #block = new Uint8Array(64);
  #blockLen = 0;
  #total = 0;
  #done = false;

  update(data: Uint8Array): this {
    if (this.#done) throw new Error("Sha1: update after digest");
    let pos = 0;
    const len = data.length;
    this.#total += len;
    if (this.#blockLen > 0) {
      const take = Math.min(64 - this.#blockLen, len);
      this.#block.set(data.subarray(0, take), this.#blockLen);
      this.#blockLen += take;
      pos = take;
      if (this.#blockLen < 64) return this;
      this.#compress(this.#block, 0);
      this.#blockLen = 0;
    }
    while (pos + 64 <= len) {
      this.#compress(data, pos);
      pos += 64;
    }
    if (pos < len) {
      this.#block.set(data.subarray(pos), 0);
      this.#blockLen = len - pos;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.#done) throw new Error("Sha1: digest called twice");
    this.#done = true;
    const block = this.#block;
    let n = this.#blockLen;
    block[n++] = 0x80;
    if (n > 56) {
      block.fill(0, n);
      this.#compress(block, 0);
      n = 0;
    }
    block.fill(0, n);
    const bits = this.#total * 8;
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    block[56] = hi >>> 24;
    block[57] = hi >>> 16;
    block[58] = hi >>> 8;
    block[59] = hi;
    block[60] = lo >>> 24;
    block[61] = lo >>> 16;
    block[62] = lo >>> 8;
    block[63] = lo;
    this.#compress(block, 0);
    const out = new Uint8Array(20);
    const hs = [this.#h0, this.#h1, this.#h2, this.#h3, this.#h4];
    for (let i = 0; i < 5; i++) {
      const h = hs[i]!;
      out[i * 4] = h >>> 24;
      out[i * 4 + 1] = h >>> 16;
      out[i * 4 + 2] = h >>> 8;
      out[i * 4 + 3] = h;
    }
    return out;
  }

  #compress(b: Uint8Array, p: number): void {
    const w = W;
    for (let i = 0; i < 16; i++, p += 4) {
      w[i] = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = this.#h0;
    let bb = this.#h1;
    let c = this.#h2;
    let d = this.#h3;
    let e = this.#h4;
    let i = 0;
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + w[i]! + 0x5a827999) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + w[i]! + 0x6ed9eba1) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    for (; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e + w[i]! - 0x70e44324) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + w[i]! - 0x359d3e2a) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    this.#h0 = (this.#h0 + a) | 0;
    this.#h1 = (this.#h1 + bb) | 0;
    this.#h2 = (this.#h2 + c) | 0;
    this.#h3 = (this.#h3 + d) | 0;
    this.#h4 = (this.#h4 + e) | 0;
  }
}

/** Pure TypeScript SHA-1: runs in every runtime. */
export const sha1: HashAlgorithm = { name: "sha1", size: 20, create: () => new Sha1() };
