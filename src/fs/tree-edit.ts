/**
 * Copy-on-write editing of a tree: only directories along changed paths are
 * loaded and rewritten; every untouched subtree keeps its id.
 */
import { MODE, TreeView, canonicalMode, entryKind, type TreeEntry } from "../objects/tree.js";
import type { ObjectWriter } from "../objects/odb.js";
import type { Soon } from "../objects/soon.js";
import type { Repo } from "./repo.js";

interface Leaf {
  readonly mode: string;
  readonly id: string;
}

type Child = TreeEntry | MutableTree;

export class MutableTree {
  // The changed children by name (`null`: removed); every other child is the
  // base tree's. `null` until first touched: the tree is then exactly `baseId`.
  #changes: Map<string, Child | null> | null = null;
  #base: TreeView | undefined;

  constructor(
    readonly repo: Repo,
    readonly baseId: string | null,
  ) {}

  async #load(): Promise<Map<string, Child | null>> {
    if (!this.#changes) {
      if (this.baseId) this.#base = await this.repo.getTree(this.baseId);
      this.#changes = new Map();
    }
    return this.#changes;
  }

  /** The child called `name`: changed, or as in the base tree. */
  async #child(name: string): Promise<Child | undefined> {
    const changes = await this.#load();
    return changes.has(name) ? (changes.get(name) ?? undefined) : this.#base?.find(name);
  }

  /** The subtree at `name`, opened for editing; `undefined` when absent or not a tree. */
  async #subtree(name: string, create: boolean): Promise<MutableTree | undefined> {
    const child = await this.#child(name);
    if (child instanceof MutableTree) return child;
    let sub: MutableTree;
    if (child && entryKind(child.mode) === "tree") sub = new MutableTree(this.repo, child.id);
    else if (create) {
      sub = new MutableTree(this.repo, null);
      sub.#changes = new Map();
    } else return undefined;
    this.#changes!.set(name, sub);
    return sub;
  }

  /** What is at `segments`: a leaf, `"tree"`, or `undefined`. */
  async lookup(segments: readonly string[]): Promise<Leaf | "tree" | undefined> {
    let node: MutableTree = this;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = await node.#subtree(segments[i]!, false);
      if (!next) return undefined;
      node = next;
    }
    const child = await node.#child(segments[segments.length - 1]!);
    if (!child) return undefined;
    if (child instanceof MutableTree) return (await child.#isEmpty()) ? undefined : "tree";
    return entryKind(child.mode) === "tree" ? "tree" : child;
  }

  async #isEmpty(): Promise<boolean> {
    const changes = await this.#load();
    // A child of the base tree that no change replaces is there.
    let replaced = 0;
    if (this.#base) for (const name of changes.keys()) if (this.#base.find(name)) replaced++;
    if ((this.#base?.length ?? 0) > replaced) return false;
    for (const c of changes.values()) if (c !== null && (!(c instanceof MutableTree) || !(await c.#isEmpty()))) return false;
    return true;
  }

  /** Put a blob at `segments`, replacing whatever is there or in the way. */
  async set(segments: readonly string[], leaf: Leaf): Promise<void> {
    let node: MutableTree = this;
    for (let i = 0; i < segments.length - 1; i++) node = (await node.#subtree(segments[i]!, true))!;
    const name = segments[segments.length - 1]!;
    (await node.#load()).set(name, { mode: leaf.mode, name, id: leaf.id });
  }

  /**
   * Remove the file or directory at `segments`: `true` once done, `false` when
   * nothing is there, `{ fileAt: i }` when `segments[i]` (a parent) is not a
   * directory.
   */
  async remove(segments: readonly string[]): Promise<boolean | { readonly fileAt: number }> {
    let node: MutableTree = this;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = await node.#subtree(segments[i]!, false);
      if (!next) return (await node.#child(segments[i]!)) ? { fileAt: i } : false;
      node = next;
    }
    const name = segments[segments.length - 1]!;
    const child = await node.#child(name);
    if (!child || (child instanceof MutableTree && (await child.#isEmpty()))) return false;
    node.#changes!.set(name, null);
    return true;
  }

  /**
   * Write every changed tree bottom-up; resolves to the new id, or `null` when
   * the tree ended up empty (git stores no empty subtrees).
   */
  async write(writer: ObjectWriter = this.repo.odb): Promise<string | null> {
    // Children first, without recursion: a path thousands of directories
    // deep would exhaust the stack.
    const order: MutableTree[] = [this];
    for (let i = 0; i < order.length; i++) for (const c of order[i]!.#changes?.values() ?? []) if (c instanceof MutableTree) order.push(c);
    const written = new Map<MutableTree, string | null>();
    for (let i = order.length - 1; i >= 0; i--) {
      const id = order[i]!.#writeOne(written, writer);
      written.set(order[i]!, id instanceof Promise ? await id : id);
    }
    return written.get(this)!;
  }

  /** This tree written, its changed subtrees' ids in `written`. */
  #writeOne(written: Map<MutableTree, string | null>, writer: ObjectWriter): Soon<string | null> {
    if (!this.#changes || this.#changes.size === 0) return this.baseId;
    const edits = new Map<string, TreeEntry | null>();
    for (const [name, child] of this.#changes) {
      if (child instanceof MutableTree) {
        const id = written.get(child)!;
        edits.set(name, id ? { mode: MODE.tree, name, id } : null);
      } else {
        edits.set(name, child);
      }
    }
    const base = this.#base;
    if (base?.oddModes) {
      // Git writes the trees it makes with each mode spelled one way (`40000`,
      // `100644`), whatever the tree it started from had (`040000`, `100664`:
      // `git fsck --strict` flags both): so do we, for a tree we rewrite.
      for (let i = 0; i < base.length; i++) {
        const e = base.entry(i);
        const mode = canonicalMode(e.mode);
        if (mode !== e.mode && !edits.has(e.name)) edits.set(e.name, { mode, name: e.name, id: e.id });
      }
    }
    // The base's bytes with the edits spliced in: nothing else is decoded or sorted again.
    const tree = (base ?? TreeView.empty(this.repo.platform.hash)).with(edits);
    return tree.length === 0 ? null : this.repo.writeTreeView(tree, writer);
  }

  /** Like {@link write}, but an empty root is the empty tree. */
  async writeRoot(writer: ObjectWriter = this.repo.odb): Promise<string> {
    return (await this.write(writer)) ?? (await this.repo.writeTreeView(TreeView.empty(this.repo.platform.hash), writer));
  }
}
