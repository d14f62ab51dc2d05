/**
 * Repository format versions and extensions (`core.repositoryformatversion`,
 * `extensions.*` in `config`): what a reader must understand to read the
 * repository right, as git's `repository-version` documentation defines it.
 */
import { ValueError } from "../errors.js";
import { configBool, type Config } from "../refs/config.js";

/**
 * The format-1 extensions this engine honours, with the value each needs
 * (`undefined`: any): the SHA-1 object format and files ref storage spelled
 * out, config per worktree (which a bare repository's reader never consults),
 * precious objects and partial clones (see `RepoOptions.keepPacks`).
 */
const HONOURED = new Map<string, string | undefined>([
  ["extensions.objectformat", "sha1"],
  ["extensions.refstorage", "files"],
  ["extensions.noop", undefined],
  ["extensions.worktreeconfig", undefined],
  ["extensions.preciousobjects", undefined],
  ["extensions.partialclone", undefined],
]);

/**
 * Check a repository of format `version` (not 0) against what this engine
 * honours: `ValueError` for another version or an extension it does not.
 * Returns why no pack may be removed there, if so (`RepoOptions.keepPacks`).
 */
export function checkFormat(config: Config, version: string, where: string): string | undefined {
  const extension = (key: string): string | undefined => config.get(key)?.toLowerCase();
  const honoured = (key: string): boolean => HONOURED.has(key) && (HONOURED.get(key) === undefined || HONOURED.get(key) === extension(key));
  const unknown = [...config.keys()].filter((k) => k.startsWith("extensions.") && !honoured(k));
  if (version !== "1" || unknown.length > 0) throw new ValueError(`unsupported repository format (version ${version}${unknown.length ? ", extensions " + unknown.join(", ") : ""}) at ${where}`);
  // Objects git must never delete, or a partial clone's promisor packs (which
  // say what the remote holds; git 2.39 marks such a clone by its remote's
  // `promisor` setting alone): gc would break either.
  if (extension("extensions.preciousobjects") === "true") return "a repository with extensions.preciousObjects";
  if (config.has("extensions.partialclone") || [...config.keys()].some((k) => /^remote\..*\.promisor$/.test(k) && configBool(config, k))) return "a partial clone";
  return undefined;
}
