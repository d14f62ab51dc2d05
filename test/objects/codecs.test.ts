import { describe, expect, it } from "vitest";
import { CorruptObjectError } from "../../src/errors.js";
import { decodeCommit, encodeCommit } from "../../src/objects/commit.js";
import { sha1 } from "../../src/objects/sha1.js";
import { decodeHeader, hashObject } from "../../src/objects/object.js";
import { decodeTag, encodeTag } from "../../src/objects/tag.js";
import { decodeText, encodeText } from "../../src/objects/text.js";
import fc from "fast-check";
import { decodeTree, encodeTree, entryKind, MODE, TreeView, type TreeEntry } from "../../src/objects/tree.js";

const enc = new TextEncoder();
const HELLO = "ce013625030ba8dba906f756967f9e9ca394464a";
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

describe("object ids", () => {
  it("hashes the canonical form", () => {
    expect(hashObject(sha1, "blob", enc.encode("hello\n"))).toBe(HELLO);
    expect(hashObject(sha1, "tree", new Uint8Array(0))).toBe(EMPTY_TREE);
    expect(hashObject(sha1, "blob", new Uint8Array(0))).toBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  });

  it("parses headers by git's rules", () => {
    expect(decodeHeader(enc.encode("blob 6\0hello\n"), "x")).toEqual({ type: "blob", size: 6, headerLength: 7 });
    expect(decodeHeader(enc.encode("blob 0\0"), "x").size).toBe(0);
    for (const bad of ["blob 06\0", "blob \0", "blob 6", "blub 6\0", "blob -1\0", "blob 6x\0"]) {
      expect(() => decodeHeader(enc.encode(bad), "x")).toThrow(CorruptObjectError);
    }
  });
});

describe("trees", () => {
  const e = (mode: string, name: string, id = HELLO): TreeEntry => ({ mode, name, id });

  it("sorts directories as if their name ended in '/' (git's verified example)", () => {
    const entries = [e(MODE.tree, "foo", EMPTY_TREE), e(MODE.file, "foo.txt"), e(MODE.file, "foo0"), e(MODE.file, "foo-bar"), e(MODE.gitlink, "g", "0123456789abcdef0123456789abcdef01234567"), e(MODE.file, "g.txt"), e(MODE.symlink, "link", "1de565933b05f74c75ff9a6520af5f9f8a5a2f1d"), e(MODE.executable, "run.sh"), e(MODE.gitlink, "sub", "0123456789abcdef0123456789abcdef01234567")];
    const bytes = encodeTree(entries);
    expect(hashObject(sha1, "tree", bytes)).toBe("b3aeef517db3dc61a78c91bb857f389296ee36fa");
    expect(decodeTree(bytes, sha1, "t").map((x) => x.name)).toEqual(["foo-bar", "foo.txt", "foo", "foo0", "g", "g.txt", "link", "run.sh", "sub"]);
  });

  it("round-trips non-UTF-8 names byte for byte", () => {
    const raw = new Uint8Array([...enc.encode("100644 "), 0xff, 0xfe, 0x41, 0, ...Buffer.from(HELLO, "hex")]);
    const decoded = decodeTree(raw, sha1, "t");
    expect(Buffer.from(encodeTree(decoded)).equals(Buffer.from(raw))).toBe(true);
    expect([...encodeText(decodeText(new Uint8Array([0xc3, 0x28, 0xe2, 0x82])))]).toEqual([0xc3, 0x28, 0xe2, 0x82]);
  });

  it("rejects forbidden, duplicate and unordered entries", () => {
    const raw = (s: string): Uint8Array => new Uint8Array([...enc.encode(s), ...Buffer.from(HELLO, "hex")]);
    const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(parts.flatMap((p) => [...p]));
    for (const name of [".", "..", ".git", ".GIT", "", "a/b", "/"]) expect(() => decodeTree(raw(`100644 ${name}\0`), sha1, "t")).toThrow(CorruptObjectError);
    expect(() => decodeTree(cat(raw("100644 a\0"), raw("100644 a\0")), sha1, "t")).toThrow(/out of order|duplicate/);
    expect(() => decodeTree(cat(raw("100644 b\0"), raw("100644 a\0")), sha1, "t")).toThrow(/out of order/);
    expect(() => decodeTree(cat(raw("100644 a\0"), raw("100644 a.b\0"), raw("40000 a\0")), sha1, "t")).toThrow(/duplicate/);
    expect(() => decodeTree(raw("100644 a\0").subarray(0, 15), sha1, "t")).toThrow(/truncated/);
    expect(() => decodeTree(raw("10x644 a\0"), sha1, "t")).toThrow(/mode/);
  });

  it("reads any mode as git's rules say: 1-7 octal digits of a known kind, else a malformed or bad mode", () => {
    const mode = fc.oneof(fc.constantFrom("100644", "100755", "120000", "40000", "160000", "040000", "100664", "644", "1006444", "10064x", "4000", " 100644"), fc.stringMatching(/^[0-9a ]{0,8}$/));
    fc.assert(
      fc.property(mode, (m) => {
        const bytes = new Uint8Array([...enc.encode(`${m} a\0`), ...Buffer.from(m.startsWith("4") || m.startsWith("04") ? EMPTY_TREE : HELLO, "hex")]);
        const valid = /^[0-7]{1,7}$/.test(m) && entryKind(m) !== undefined;
        if (valid) expect(decodeTree(bytes, sha1, "t")[0]!.mode).toBe(m);
        else expect(() => decodeTree(bytes, sha1, "t")).toThrow(/mode|truncated|forbidden/);
      }),
      { seed: 9, numRuns: 2000 },
    );
  });

  it("finds a file and a directory of the same name wherever git's order puts them", () => {
    // Names that sort between `x` and `x/`: `x` extended by bytes below `/`.
    const name = fc.stringMatching(/^[ab][ab!.\-]{0,3}$/);
    const entry = fc.record({ name, tree: fc.boolean() });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (x) => `${x.name}${x.tree ? "/" : ""}`, maxLength: 30 }), (list) => {
        const sorted = list.map((x) => ({ ...x, key: enc.encode(x.tree ? `${x.name}/` : x.name) })).sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
        const bytes = new Uint8Array(sorted.flatMap((x) => [...enc.encode(`${x.tree ? "40000" : "100644"} ${x.name}\0`), ...Buffer.from(x.tree ? EMPTY_TREE : HELLO, "hex")]));
        const both = list.some((x) => x.tree && list.some((y) => !y.tree && y.name === x.name));
        if (both) expect(() => decodeTree(bytes, sha1, "t")).toThrow(/duplicate/);
        else expect(decodeTree(bytes, sha1, "t")).toHaveLength(list.length);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

describe("tree views", () => {
  const ids = ["ce013625030ba8dba906f756967f9e9ca394464a", EMPTY_TREE, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"];
  // Names close to each other in git's order: prefixes, the bytes either side of '/', non-ASCII.
  const name = fc.oneof(
    fc.constantFrom("a", "a-b", "a.b", "a0", "a/", "ab", "b", "é", "日本", "a\uDCFF"),
    fc.stringMatching(/^[a-c.\-0/]{1,4}$/),
  ).filter((n) => !n.includes("/") && n !== "." && n !== "..");
  const entries = fc
    .uniqueArray(fc.record({ name, mode: fc.constantFrom<string>(MODE.file, MODE.tree, MODE.executable, MODE.symlink), id: fc.constantFrom(...ids) }), { selector: (e) => e.name, maxLength: 40 })
    .map((es) => es.map((x) => (x.mode === MODE.tree ? { ...x, id: EMPTY_TREE } : x)));

  it("finds every entry by name, in place, and nothing else", () => {
    fc.assert(
      fc.property(entries, fc.array(fc.oneof(name, fc.constantFrom("a/", "a\0", "a//", "")), { maxLength: 10 }), (es, probes) => {
        const view = TreeView.decode(encodeTree(es), sha1, "t");
        const decoded = decodeTree(encodeTree(es), sha1, "t");
        expect(view.length).toBe(es.length);
        expect(view.entries()).toEqual(decoded);
        for (const e of es) {
          const found = view.find(e.name);
          expect(found && { mode: found.mode, name: found.name, id: found.id }).toEqual(e);
        }
        for (const p of probes) if (!es.some((e) => e.name === p)) expect(view.find(p)).toBeUndefined();
        // Searched often enough, the view answers from a name index: the same answers.
        for (let k = 0; k < 9; k++) view.find("");
        for (const e of es) {
          const found = view.find(e.name);
          expect(found && { mode: found.mode, name: found.name, id: found.id }).toEqual(e);
        }
        for (const p of probes) if (!es.some((e) => e.name === p)) expect(view.find(p)).toBeUndefined();
        decoded.forEach((d, i) => {
          expect(view.name(i)).toBe(d.name);
          expect(view.isTree(i)).toBe(d.mode === MODE.tree);
        });
      }),
      { seed: 20261127, numRuns: 300 },
    );
  });

  it("with(changes) gives the bytes of the edited tree, and a view that decoding them would give", () => {
    const change = fc.record({ name, entry: fc.option(fc.record({ mode: fc.constantFrom<string>(MODE.file, MODE.tree, MODE.executable, MODE.symlink), id: fc.constantFrom(...ids) }), { nil: null }) });
    fc.assert(
      fc.property(entries, fc.array(change, { maxLength: 12 }), (es, edits) => {
        const changes = new Map<string, TreeEntry | null>();
        for (const c of edits) changes.set(c.name, c.entry && { ...c.entry, name: c.name, id: c.entry.mode === MODE.tree ? EMPTY_TREE : c.entry.id });
        const expected = es.filter((e) => !changes.has(e.name));
        for (const e of changes.values()) if (e) expected.push(e);
        const edited = TreeView.decode(encodeTree(es), sha1, "t").with(changes);
        expect(Buffer.from(edited.data).equals(Buffer.from(encodeTree(expected)))).toBe(true);
        const decoded = TreeView.decode(edited.data, sha1, "t");
        expect(edited.length).toBe(decoded.length);
        for (let i = 0; i < decoded.length; i++) {
          expect(edited.name(i)).toBe(decoded.name(i));
          expect(edited.isTree(i)).toBe(decoded.isTree(i));
          expect(edited.entry(i).id).toBe(decoded.entry(i).id);
        }
        for (const e of expected) expect(edited.find(e.name)?.mode).toBe(e.mode);
      }),
      { seed: 20261128, numRuns: 500 },
    );
    expect(TreeView.empty(sha1).with(new Map([["x", { mode: MODE.file, name: "x", id: ids[0]! }]])).data).toEqual(encodeTree([{ mode: MODE.file, name: "x", id: ids[0]! }]));
  });

  it("tells a file from a directory of a similar name", () => {
    const view = TreeView.decode(encodeTree([{ mode: MODE.file, name: "a.b", id: ids[0]! }, { mode: MODE.tree, name: "a", id: EMPTY_TREE }, { mode: MODE.file, name: "a-b", id: ids[2]! }]), sha1, "t");
    expect(view.find("a")?.mode).toBe(MODE.tree);
    expect(view.find("a.b")?.id).toBe(ids[0]);
    expect(view.find("a.")).toBeUndefined();
    expect(view.find("a\0")).toBeUndefined();
    expect(view.find("a.")).toBeUndefined();
    expect(view.find("a\0")).toBeUndefined();
  });
});

describe("commits and tags", () => {
  const signed =
    "tree aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7\n" +
    "parent 043580b2cfbf5601554ba98a13b1a573dd6409a5\n" +
    "author A U Thor <author@example.com> 1700000000 +0100\n" +
    "committer C O Mitter <committer@example.com> 1700000000 -0130\n" +
    "encoding ISO-8859-1\n" +
    "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iIwEABYIADQWIQ\n -----END PGP SIGNATURE-----\n" +
    "\nfirst\n\n";

  it("decodes any plain commit to what re-encodes to its bytes", () => {
    const id = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString("hex"));
    const ident = fc.tuple(fc.string({ maxLength: 12 }).filter((x) => !/[<>\n]/.test(x)), fc.integer({ min: 0, max: 2 ** 33 })).map(([n, t]) => `${n} <${n}@x> ${t} +0100`);
    const message = fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }).map((b) => decodeText(b)));
    fc.assert(
      fc.property(id, fc.array(id, { maxLength: 3 }), ident, ident, message, (tree, parents, author, committer, msg) => {
        const raw = enc.encode(`tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join("")}author ${author}\ncommitter ${committer}\n\n`);
        const bytes = new Uint8Array([...raw, ...encodeText(msg)]);
        const c = decodeCommit(bytes, sha1, "c");
        expect(c).toEqual({ tree, parents, author, committer, extraHeaders: [], message: msg });
        expect(Buffer.from(encodeCommit(c)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("round-trips extra and multi-line headers exactly", () => {
    const c = decodeCommit(enc.encode(signed), sha1, "c");
    expect(c.parents).toEqual(["043580b2cfbf5601554ba98a13b1a573dd6409a5"]);
    expect(c.extraHeaders.map(([k]) => k)).toEqual(["encoding", "gpgsig"]);
    expect(new TextDecoder().decode(encodeCommit(c))).toBe(signed);
  });

  it("keeps a commit without a message separator distinct", () => {
    const raw = "tree aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7\nauthor a <b> 1 +0000\ncommitter a <b> 1 +0000\n";
    expect(new TextDecoder().decode(encodeCommit(decodeCommit(enc.encode(raw), sha1, "c")))).toBe(raw);
  });

  it("rejects malformed commits", () => {
    expect(() => decodeCommit(enc.encode("parent x\n\n"), sha1, "c")).toThrow(CorruptObjectError);
    expect(() => decodeCommit(enc.encode("tree aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7\ncommitter a <b> 1 +0000\n\n"), sha1, "c")).toThrow(/author/);
    expect(() => decodeCommit(enc.encode("tree aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7\nauthor a <b> 1 +0000\ncommitter a <b> 1 +0000"), sha1, "c")).toThrow(/newline/);
  });

  it("round-trips annotated tags", () => {
    const raw = "object 043580b2cfbf5601554ba98a13b1a573dd6409a5\ntype commit\ntag v1.0\ntagger C O Mitter <committer@example.com> 1700000000 +0000\n\nRelease 1.0\n";
    const t = decodeTag(enc.encode(raw), sha1, "t");
    expect(t.name).toBe("v1.0");
    expect(hashObject(sha1, "tag", encodeTag(t))).toBe("acea0edd342e153542cb3b2e92b00cf5ebacf71b");
  });
});
