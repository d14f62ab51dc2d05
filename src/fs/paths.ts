/** Snapshot paths: `/`-separated, relative to the root. */
import { NotADirectoryError, ValueError } from "../errors.js";

/**
 * Split a path into segments. Leading and trailing `/` are stripped; an empty
 * result, an empty segment, `.`/`..`, a NUL byte, or a segment that names
 * `.git` (see {@link isDotGit}) raises `ValueError`.
 */
export function splitPath(path: string): readonly string[] {
  if (typeof path !== "string") throw new ValueError(`path must be a string, got ${typeof path}`);
  // The same path again (one file read down a history, checked then read): its segments are checked already.
  if (path === lastPath) return lastSegments;
  // The common case has no slash to trim: no regular expression then.
  const trimmed = path.charCodeAt(0) === 0x2f || path.charCodeAt(path.length - 1) === 0x2f ? path.replace(/^\/+|\/+$/g, "") : path;
  if (trimmed === "") throw new ValueError(`empty path: ${JSON.stringify(path)}`);
  if (path.includes("\0")) throw new ValueError(`path contains NUL: ${JSON.stringify(path)}`);
  const segments = trimmed.split("/");
  // Indexed: a `for...of` allocates its iterator where the JIT has not compiled the loop yet.
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === "") throw new ValueError(`empty segment in path ${JSON.stringify(path)}`);
    if (s === "." || s === "..") throw new ValueError(`'${s}' segment in path ${JSON.stringify(path)}`);
    if (isDotGit(s)) throw new ValueError(`'${s}' is not allowed in a path: ${JSON.stringify(path)}`);
  }
  lastPath = path;
  lastSegments = segments;
  return segments;
}

let lastPath: string | undefined;
let lastSegments: readonly string[] = [];

const MAX_TREE_DEPTH = 4096;

/**
 * {@link splitPath} for a path about to be written: also refuses to make a
 * directory of a name where git's fsck accepts only a file (`.gitmodules`,
 * `.gitattributes`, and the names that filesystems take for them), and a path
 * more than 4,096 directories deep.
 */
export function splitWritePath(path: string): readonly string[] {
  const segments = splitPath(path);
  // git (2.44 and later) reads no tree nested deeper (core.maxTreeDepth's default).
  if (segments.length > MAX_TREE_DEPTH + 1) throw new ValueError(`path is ${segments.length - 1} directories deep, more than git reads (${MAX_TREE_DEPTH}): ${JSON.stringify(path.slice(0, 80))}...`);
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    if (isDotName(s, "gitmodules", "gi7eba") || isDotName(s, "gitattributes", "gi7d29")) {
      throw new ValueError(`'${s}' cannot be a directory (git allows only a file there): ${JSON.stringify(path)}`);
    }
  }
  return segments;
}

/**
 * Whether a name is `.git` to git's fsck (`hasDotgit`, an error with
 * `--strict`): in any letter case, and as NTFS and HFS+ read names. NTFS
 * drops trailing dots and spaces and what follows a `:` (`.git.`, `.git::$DATA`)
 * and knows `.git` by its short name `git~1`; git also stops at a `\`. HFS+
 * ignores some invisible code points (`.g\u200cit`).
 */
export function isDotGit(name: string): boolean {
  if (!mayBeDotName(name)) return false;
  const lower = name.slice(0, 5).toLowerCase();
  const rest = lower.startsWith(".git") ? 4 : lower === "git~1" ? 5 : -1;
  return (rest >= 0 && ntfsIgnoresFrom(name, rest, true)) || isHfsDotName(name, "git");
}

/**
 * Whether `name` is `.<needle>` as NTFS or HFS+ read it (git's
 * `is_ntfs_dot_generic` and `is_hfs_dot_generic`): `.gitmodules ` and
 * `.gitmodules:x`, the short names `gitmod~1` to `gitmod~4`, the fallback short
 * names `<shortPrefix>~<digits>` (`gi7eba~1`), or with ignored code points.
 */
function isDotName(name: string, needle: string, shortPrefix: string): boolean {
  return mayBeDotName(name) && (isHfsDotName(name, needle) || isNtfsDotName(name, needle, shortPrefix));
}

/** Whether `name` starts as every name above does (`.`, `g`, or a code point HFS+ ignores): most names are ruled out at once. */
function mayBeDotName(name: string): boolean {
  const c = name.charCodeAt(0);
  return c === 0x2e || (c | 0x20) === 0x67 || c >= 0x200c;
}

function isNtfsDotName(name: string, needle: string, shortPrefix: string): boolean {
  if (name[0] === "." && name.slice(1, 1 + needle.length).toLowerCase() === needle) return ntfsIgnoresFrom(name, 1 + needle.length, false);
  if (name.slice(0, 6).toLowerCase() === needle.slice(0, 6) && name[6] === "~" && name[7]! >= "1" && name[7]! <= "4") return ntfsIgnoresFrom(name, 8, false);
  // A short name NTFS makes up: up to six characters of `shortPrefix`, `~`, then digits (1-9 first), eight in all.
  let i = 0;
  let sawTilde = false;
  for (; i < 8; i++) {
    const c = name[i];
    if (c === undefined) return false;
    if (sawTilde) {
      if (c < "0" || c > "9") return false;
    } else if (c === "~") {
      const d = name[++i];
      if (d === undefined || d < "1" || d > "9") return false;
      sawTilde = true;
    } else if (i >= 6 || c.charCodeAt(0) > 0x7f || c.toLowerCase() !== shortPrefix[i]) {
      return false;
    }
  }
  return ntfsIgnoresFrom(name, i, false);
}

/** Whether NTFS ignores `name` from `from` on: only dots and spaces up to its end or a `:` (or, for git's `.git` check, a `\`). */
function ntfsIgnoresFrom(name: string, from: number, backslashEnds: boolean): boolean {
  for (let i = from; i < name.length; i++) {
    const c = name[i];
    if (c === ":" || (backslashEnds && c === "\\")) return true;
    if (c !== "." && c !== " ") return false;
  }
  return true;
}

// Code points HFS+ leaves out of names when comparing them (git's `next_hfs_char`).
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** Whether `name` without the code points HFS+ ignores is `.<needle>` in any (ASCII) letter case. */
function isHfsDotName(name: string, needle: string): boolean {
  const folded = name.replace(HFS_IGNORED, "");
  return folded.length === needle.length + 1 && folded[0] === "." && /^[\x21-\x7e]*$/.test(folded) && folded.slice(1).toLowerCase() === needle;
}

/** Like {@link splitPath}, but `undefined`, `""` and `"/"` mean the root (`[]`). */
export function splitDirPath(path: string | undefined): readonly string[] {
  if (path === undefined || (typeof path === "string" && /^\/*$/.test(path))) return [];
  return splitPath(path);
}

/** The error for `path` (split as `segments`) when `segments[i]`, one of its parents, is a file. */
export function parentNotADirectory(segments: readonly string[], i: number, path: string): NotADirectoryError {
  return new NotADirectoryError(`not a directory: ${segments.slice(0, i + 1).join("/")} (in ${path})`);
}
