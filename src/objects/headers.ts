/**
 * The header block shared by commits and tags: `key SP value LF` lines, a value
 * continuing on lines that start with one SP, then an empty line and the
 * message. Kept as an ordered list so that re-encoding is byte-identical.
 */
import { CorruptObjectError } from "../errors.js";
import { decodeText, encodeText } from "./text.js";

export type Header = readonly [key: string, value: string];

export interface HeaderBlock {
  readonly headers: Header[];
  /** Everything after the empty line; `null` when the object has no empty line at all. */
  readonly message: string | null;
}

export function decodeHeaders(data: Uint8Array, where: string): HeaderBlock {
  const headers: [string, string][] = [];
  // Decode the header block in one call; the message separately (it may be in another encoding).
  const end = blankLine(data);
  const hasMessage = end < data.length;
  const block = decodeText(data.subarray(0, hasMessage ? end : data.length));
  if (!hasMessage && !block.endsWith("\n") && block !== "") throw new CorruptObjectError(`${where}: header not terminated by a newline`);
  const lines = block.split("\n");
  lines.pop(); // after the final newline
  for (const line of lines) {
    if (line.startsWith(" ")) {
      const last = headers[headers.length - 1];
      if (!last) throw new CorruptObjectError(`${where}: continuation line before any header`);
      last[1] += "\n" + line.slice(1);
    } else {
      const sp = line.indexOf(" ");
      if (sp <= 0) throw new CorruptObjectError(`${where}: malformed header line ${JSON.stringify(line.slice(0, 40))}`);
      headers.push([line.slice(0, sp), line.slice(sp + 1)]);
    }
  }
  return { headers, message: hasMessage ? decodeText(data.subarray(end + 1)) : null };
}

/** Where the first empty line (a LF at the start or right after another) is; `data.length` if none. */
function blankLine(data: Uint8Array): number {
  if (data[0] === 0x0a) return 0;
  for (let p = data.indexOf(0x0a); p >= 0 && p + 1 < data.length; p = data.indexOf(0x0a, p + 1)) {
    if (data[p + 1] === 0x0a) return p + 1;
  }
  return data.length;
}

export function encodeHeaders(block: HeaderBlock): Uint8Array {
  let s = "";
  for (const [key, value] of block.headers) s += `${key} ${value.replaceAll("\n", "\n ")}\n`;
  if (block.message !== null) s += "\n" + block.message;
  return encodeText(s);
}

/** `Name <email> 1700000000 +0000`, split; `undefined` when malformed. */
export interface Identity {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly time: number;
  /** `+HHMM` / `-HHMM` exactly as stored. */
  readonly tz: string;
}

const IDENT_RE = /^(.*?) ?<([^<>\n]*)> (\d+) ([+-]\d{4})$/;

export function decodeIdentity(s: string): Identity | undefined {
  const m = IDENT_RE.exec(s);
  return m ? { name: m[1]!, email: m[2]!, time: Number(m[3]), tz: m[4]! } : undefined;
}

export function encodeIdentity(id: Identity): string {
  return `${id.name} <${id.email}> ${id.time} ${id.tz}`;
}

/** The `+HHMM` form of a UTC offset given in minutes east. */
export function formatTz(minutesEast: number): string {
  const sign = minutesEast < 0 ? "-" : "+";
  const m = Math.abs(minutesEast);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, "0")}${String(m % 60).padStart(2, "0")}`;
}
