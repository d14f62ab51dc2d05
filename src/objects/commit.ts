/** Commit objects: tree, parents, author, committer, extra headers, message. */
import { CorruptObjectError } from "../errors.js";
import { isId, type HashAlgorithm } from "./hash.js";
import { decodeHeaders, encodeHeaders, type Header } from "./headers.js";

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

export function decodeCommit(data: Uint8Array, algo: HashAlgorithm, where: string): Commit {
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
