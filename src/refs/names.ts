/** Ref names by `git check-ref-format` rules. */
import { ValueError } from "../errors.js";

/** Why `name` is not a valid full ref name, or `undefined` when it is. */
export function refNameProblem(name: string): string | undefined {
  if (!name.includes("/")) return "has no '/'";
  if (name === "@") return "is '@'";
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return "has an empty component";
  if (name.endsWith(".")) return "ends with '.'";
  if (name.includes("..")) return "contains '..'";
  if (name.includes("@{")) return "contains '@{'";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || " ~^:?*[\\".includes(name[i]!)) return `contains ${JSON.stringify(name[i])}`;
  }
  for (const part of name.split("/")) {
    if (part.startsWith(".")) return "has a component starting with '.'";
    if (part.endsWith(".lock")) return "has a component ending with '.lock'";
  }
  return undefined;
}

/** Throw `ValueError` unless `name` is a valid full ref name. */
export function checkRefName(name: string): void {
  const problem = refNameProblem(name);
  if (problem) throw new ValueError(`invalid ref name ${JSON.stringify(name)}: ${problem}`);
}

/**
 * Throw `ValueError` unless a new branch may be called `name`: a valid ref
 * name under `refs/heads/` that git's own branch commands would also create
 * (they refuse `HEAD`, which would make `HEAD` ambiguous, and names starting
 * with `-`, which read as options).
 */
export function checkNewBranchName(name: string): void {
  checkRefName(HEADS + name);
  if (name === "HEAD" || name.startsWith("-")) throw new ValueError(`invalid branch name ${JSON.stringify(name)}: git does not create a branch by that name`);
}

export const HEADS = "refs/heads/";
export const TAGS = "refs/tags/";
