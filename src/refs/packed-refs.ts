/**
 * `packed-refs`: an optional header, `<id> SP <name>` lines, each optionally
 * followed by a `^<peeled id>` line that belongs to it.
 */
import { CorruptObjectError } from "../errors.js";
import { isId, type HashAlgorithm } from "../objects/hash.js";

export interface PackedRef {
  readonly name: string;
  readonly id: string;
  /** Fully peeled id when the ref points at a tag object. */
  readonly peeled?: string | undefined;
}

export const PACKED_REFS_HEADER = "# pack-refs with: peeled fully-peeled sorted \n";

/** Parse; refs come back sorted by name. */
export function decodePackedRefs(text: string, algo: HashAlgorithm, where = "packed-refs"): PackedRef[] {
  const refs: { name: string; id: string; peeled?: string }[] = [];
  const lines = text.split("\n");
  if (lines.pop() !== "") throw new CorruptObjectError(`${where}: missing final newline`);
  lines.forEach((line, i) => {
    if (i === 0 && line.startsWith("# pack-refs with:")) return;
    if (line.startsWith("^")) {
      const last = refs[refs.length - 1];
      const peeled = line.slice(1);
      if (!last || last.peeled !== undefined || !isId(peeled, algo)) throw new CorruptObjectError(`${where}: malformed peeled line ${i + 1}`);
      last.peeled = peeled;
      return;
    }
    const sp = line.indexOf(" ");
    const id = line.slice(0, sp);
    const name = line.slice(sp + 1);
    if (sp < 0 || !isId(id, algo) || name === "" || name.includes(" ")) {
      throw new CorruptObjectError(`${where}: malformed line ${i + 1}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    refs.push({ name, id });
  });
  return refs.sort((a, b) => compareRefNames(a.name, b.name));
}

/** Serialize with git's header; refs are sorted here. */
export function encodePackedRefs(refs: readonly PackedRef[]): string {
  let out = PACKED_REFS_HEADER;
  for (const r of [...refs].sort((a, b) => compareRefNames(a.name, b.name))) {
    out += `${r.id} ${r.name}\n`;
    if (r.peeled) out += `^${r.peeled}\n`;
  }
  return out;
}

const enc = new TextEncoder();

/** Bytewise (UTF-8) order of ref names, as git sorts them. */
export function compareRefNames(a: string, b: string): number {
  if (a === b) return 0;
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
