/** Annotated tag objects: object, type, tag name, tagger, extra headers, message. */
import { CorruptObjectError } from "../errors.js";
import { isId, type HashAlgorithm } from "./hash.js";
import { decodeHeaders, encodeHeaders, type Header } from "./headers.js";
import { isObjectType, type ObjectType } from "./object.js";

export interface Tag {
  readonly object: string;
  readonly type: ObjectType;
  readonly name: string;
  /** Absent in very old tags. */
  readonly tagger: string | undefined;
  readonly extraHeaders: readonly Header[];
  readonly message: string | null;
}

export function decodeTag(data: Uint8Array, algo: HashAlgorithm, where: string): Tag {
  const { headers, message } = decodeHeaders(data, `tag ${where}`);
  const [o, t, n] = headers;
  if (o?.[0] !== "object" || !isId(o[1], algo)) throw new CorruptObjectError(`tag ${where}: missing or bad object header`);
  if (t?.[0] !== "type" || !isObjectType(t[1])) throw new CorruptObjectError(`tag ${where}: missing or bad type header`);
  if (n?.[0] !== "tag") throw new CorruptObjectError(`tag ${where}: missing tag header`);
  let i = 3;
  let tagger: string | undefined;
  if (headers[i]?.[0] === "tagger") tagger = headers[i++]![1];
  return { object: o[1], type: t[1], name: n[1], tagger, extraHeaders: headers.slice(i), message };
}

export function encodeTag(tag: Tag): Uint8Array {
  const headers: Header[] = [["object", tag.object], ["type", tag.type], ["tag", tag.name]];
  if (tag.tagger !== undefined) headers.push(["tagger", tag.tagger]);
  return encodeHeaders({ headers: [...headers, ...tag.extraHeaders], message: tag.message });
}
