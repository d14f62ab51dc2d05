/**
 * The subset of git's config format the engine needs: `[section]` or
 * `[section "sub"]` headers and `key = value` lines; names case-insensitive.
 */

export type Config = ReadonlyMap<string, string>;

/** Keys come back as `section.key` or `section.sub.key`, section and key lowercased. */
export function decodeConfig(text: string): Config {
  const out = new Map<string, string>();
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)[#;].*$/, "").trim();
    if (line === "") continue;
    const head = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]$/.exec(line);
    if (head) {
      section = head[1]!.toLowerCase() + (head[2] !== undefined ? "." + head[2] : "");
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (kv && section) {
      let value = kv[2] ?? "true";
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      out.set(`${section}.${kv[1]!.toLowerCase()}`, value);
    }
  }
  return out;
}

/** git's boolean spellings; `undefined` when unset or not a boolean. */
export function configBool(config: Config, key: string): boolean | undefined {
  const v = config.get(key)?.toLowerCase();
  if (v === undefined) return undefined;
  if (["true", "yes", "on", "1"].includes(v)) return true;
  if (["false", "no", "off", "0", ""].includes(v)) return false;
  return undefined;
}

export const DEFAULT_CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n\tlogallrefupdates = true\n";
