/**
 * Lossless bytes <-> string for names and messages stored in objects. Valid
 * UTF-8 decodes as usual; each byte of an invalid sequence becomes a lone
 * surrogate U+DC80..U+DCFF (Python's "surrogateescape"), and encoding maps those
 * back, so that re-encoding any object reproduces its exact bytes.
 */

const strict = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const LONE_ESCAPE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

export function decodeText(bytes: Uint8Array): string {
  // Short ASCII (tree entry names) is the common case: skip the decoder's call overhead.
  if (bytes.length <= 32) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return decodeUtf8(bytes);
      out += String.fromCharCode(c);
    }
    return out;
  }
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeEscaped(bytes);
  }
}

export function encodeText(s: string): Uint8Array {
  if (!LONE_ESCAPE.test(s)) return encoder.encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const prevHigh = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (c >= 0xdc80 && c <= 0xdcff && !prevHigh) {
      out.push(c - 0xdc00);
      continue;
    }
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    out.push(...encoder.encode(String.fromCodePoint(cp)));
  }
  return Uint8Array.from(out);
}

function decodeEscaped(b: Uint8Array): string {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n > 0 && i + n <= b.length) {
      try {
        s += strict.decode(b.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        // fall through: escape this byte
      }
    }
    s += String.fromCharCode(0xdc00 + c);
    i++;
  }
  return s;
}
