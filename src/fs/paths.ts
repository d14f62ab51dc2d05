/** Snapshot paths: `/`-separated, relative to the root. */
import { ValueError } from "../errors.js";

/**
 * Split a path into segments. Leading and trailing `/` are stripped; an empty
 * result, an empty segment, `.`/`..`, a NUL byte, or a `.git` segment (any
 * letter case) raises `ValueError`.
 */
export function splitPath(path: string): string[] {
  if (typeof path !== "string") throw new ValueError(`path must be a string, got ${typeof path}`);
  // The common case has no slash to trim: no regular expression then.
  const trimmed = path.charCodeAt(0) === 0x2f || path.charCodeAt(path.length - 1) === 0x2f ? path.replace(/^\/+|\/+$/g, "") : path;
  if (trimmed === "") throw new ValueError(`empty path: ${JSON.stringify(path)}`);
  if (path.includes("\0")) throw new ValueError(`path contains NUL: ${JSON.stringify(path)}`);
  const segments = trimmed.split("/");
  for (const s of segments) {
    if (s === "") throw new ValueError(`empty segment in path ${JSON.stringify(path)}`);
    if (s === "." || s === "..") throw new ValueError(`'${s}' segment in path ${JSON.stringify(path)}`);
    if (s.length === 4 && s.toLowerCase() === ".git") throw new ValueError(`'${s}' is not allowed in a path: ${JSON.stringify(path)}`);
  }
  return segments;
}

/** Like {@link splitPath}, but `undefined`, `""` and `"/"` mean the root (`[]`). */
export function splitDirPath(path: string | undefined): string[] {
  if (path === undefined || (typeof path === "string" && /^\/*$/.test(path))) return [];
  return splitPath(path);
}
