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
  return decodePackedRefsFile(text, algo, where).refs;
}

/** Parse, keeping the header line (its traits describe what the file promises). */
export function decodePackedRefsFile(text: string, algo: HashAlgorithm, where = "packed-refs"): { header: string | undefined; refs: PackedRef[] } {
  const header = text.startsWith("# pack-refs with:") ? text.slice(0, text.indexOf("\n") + 1) : undefined;
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
  return { header, refs: refs.sort((a, b) => compareRefNames(a.name, b.name)) };
}

/**
 * Serialize, sorted. `header` defaults to git's full one; when rewriting a file
 * pass its own header, since "fully-peeled" promises a `^` line for every tag
 * and only the original writer knew whether that holds.
 */
export function encodePackedRefs(refs: readonly PackedRef[], header: string | undefined = PACKED_REFS_HEADER): string {
  let out = header ?? "";
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
