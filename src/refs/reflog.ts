/** Reflog lines: `<old> SP <new> SP <identity> [HT <message>] LF`. */

export interface ReflogEntry {
  readonly oldId: string;
  readonly newId: string;
  /** `Name <email> seconds +HHMM`. */
  readonly identity: string;
  readonly message: string;
}

/** Whitespace runs (newlines included) become one space, ends trimmed, as git stores messages. */
export function normalizeReflogMessage(message: string): string {
  return message.replace(/\s+/g, " ").trim();
}

export function encodeReflogEntry(e: ReflogEntry): string {
  const msg = normalizeReflogMessage(e.message);
  return `${e.oldId} ${e.newId} ${e.identity}${msg ? "\t" + msg : ""}\n`;
}

const LINE_RE = /^([0-9a-f]+) ([0-9a-f]+) (.*? <[^<>]*> \d+ [+-]\d{4})(?:\t(.*))?$/;

/** Parse a reflog; unparsable lines are skipped, as git does. */
export function decodeReflog(text: string): ReflogEntry[] {
  const out: ReflogEntry[] = [];
  for (const line of text.split("\n")) {
    const m = LINE_RE.exec(line);
    if (m) out.push({ oldId: m[1]!, newId: m[2]!, identity: m[3]!, message: m[4] ?? "" });
  }
  return out;
}
