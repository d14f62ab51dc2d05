/** Commit objects: tree, parents, author, committer, extra headers, message. */
import { CorruptObjectError } from "../errors.js";
import { isId, type HashAlgorithm } from "./hash.js";
import { decodeHeaders, encodeHeaders, type Header } from "./headers.js";
import { decodeText, encodeText } from "./text.js";

export interface Commit {
  readonly tree: string;
  readonly parents: readonly string[];
  /** Raw identity line value: `Name <email> seconds +HHMM`. */
  readonly author: string;
  readonly committer: string;
  /** Headers after `committer` (`encoding`, `gpgsig`, `mergetag`, ...), in order. */
  readonly extraHeaders: readonly Header[];
  /** The message bytes as text; `null` only for a commit without the empty line. */
  readonly message: string | null;
}

// The shape nearly every commit has (no extra headers), matched natively in one go.
const PLAIN = new Map<number, RegExp>();

function plainShape(algo: HashAlgorithm): RegExp {
  let re = PLAIN.get(algo.size);
  if (!re) {
    const id = `[0-9a-f]{${algo.size * 2}}`;
    PLAIN.set(algo.size, (re = new RegExp(`^tree (${id})\n((?:parent ${id}\n)*)author ([^\n]*)\ncommitter ([^\n]*)\n\n`)));
  }
  return re;
}

export function decodeCommit(data: Uint8Array, algo: HashAlgorithm, where: string): Commit {
  const text = decodeText(data);
  const m = plainShape(algo).exec(text);
  if (m) {
    const parents = m[2] ? m[2].slice(0, -1).split("\n").map((line) => line.slice("parent ".length)) : [];
    return { tree: m[1]!, parents, author: m[3]!, committer: m[4]!, extraHeaders: [], message: text.slice(m[0].length) };
  }
  const { headers, message } = decodeHeaders(data, `commit ${where}`);
  let i = 0;
  const take = (key: string): string => {
    const h = headers[i];
    if (!h || h[0] !== key) throw new CorruptObjectError(`commit ${where}: missing or misplaced ${key} header`);
    i++;
    return h[1];
  };
  const tree = take("tree");
  if (!isId(tree, algo)) throw new CorruptObjectError(`commit ${where}: bad tree id`);
  const parents: string[] = [];
  while (headers[i]?.[0] === "parent") {
    const p = headers[i++]![1];
    if (!isId(p, algo)) throw new CorruptObjectError(`commit ${where}: bad parent id`);
    parents.push(p);
  }
  const author = take("author");
  const committer = take("committer");
  const extraHeaders = headers.slice(i);
  for (const [k] of extraHeaders) {
    if (k === "tree" || k === "parent" || k === "author" || k === "committer") {
      throw new CorruptObjectError(`commit ${where}: misplaced ${k} header`);
    }
  }
  return { tree, parents, author, committer, extraHeaders, message };
}

export function encodeCommit(c: Commit): Uint8Array {
  const headers: Header[] = [["tree", c.tree], ...c.parents.map((p): Header => ["parent", p]), ["author", c.author], ["committer", c.committer], ...c.extraHeaders];
  return encodeHeaders({ headers, message: c.message });
}

/**
 * The message as text to show: a commit whose `encoding` header names another
 * encoding than UTF-8 (git's `i18n.commitEncoding`) is decoded with it, as
 * `git log` re-encodes it, where the runtime's `TextDecoder` knows it; else
 * the message as stored.
 */
export function messageText(c: Commit): string {
  const message = c.message ?? "";
  const encoding = c.extraHeaders.find(([k]) => k === "encoding")?.[1].trim();
  if (!encoding || /^utf-?8$/i.test(encoding)) return message;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding);
  } catch {
    return message;
  }
  return decoder.decode(encodeText(message));
}
