/**
 * Copy-on-write editing of a tree: only directories along changed paths are
 * loaded and rewritten; every untouched subtree keeps its id.
 */
import { MODE, type TreeEntry } from "../objects/tree.js";
import type { ObjectWriter } from "../objects/odb.js";
import type { Repo } from "./repo.js";

interface Leaf {
  readonly mode: string;
  readonly id: string;
}

// A leaf is kept as a tree entry: one read from the base tree is written back from its bytes.
type Child = TreeEntry | MutableTree;

export class MutableTree {
  // `null` until first touched: the tree is then exactly `baseId`.
  #children: Map<string, Child> | null = null;

  constructor(
    readonly repo: Repo,
    readonly baseId: string | null,
  ) {}

  async #load(): Promise<Map<string, Child>> {
    if (!this.#children) {
      this.#children = new Map();
      if (this.baseId) for (const e of (await this.repo.getTree(this.baseId)).entries()) this.#children.set(e.name, e);
    }
    return this.#children;
  }

  /** The subtree at `name`, opened for editing; `undefined` when absent or not a tree. */
  async #subtree(name: string, create: boolean): Promise<MutableTree | undefined> {
    const children = await this.#load();
    const child = children.get(name);
    if (child instanceof MutableTree) return child;
    if (child && child.mode === MODE.tree) {
      const sub = new MutableTree(this.repo, child.id);
      children.set(name, sub);
      return sub;
    }
    if (!create) return undefined;
    const sub = new MutableTree(this.repo, null);
    sub.#children = new Map();
    children.set(name, sub);
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
    const child = (await node.#load()).get(segments[segments.length - 1]!);
    if (!child) return undefined;
    if (child instanceof MutableTree) return (await child.#isEmpty()) ? undefined : "tree";
    return child.mode === MODE.tree ? "tree" : child;
  }

  async #isEmpty(): Promise<boolean> {
    for (const c of (await this.#load()).values()) if (!(c instanceof MutableTree) || !(await c.#isEmpty())) return false;
    return true;
  }

  /** Put a blob at `segments`, replacing whatever is there or in the way. */
  async set(segments: readonly string[], leaf: Leaf): Promise<void> {
    let node: MutableTree = this;
    for (let i = 0; i < segments.length - 1; i++) node = (await node.#subtree(segments[i]!, true))!;
    const name = segments[segments.length - 1]!;
    (await node.#load()).set(name, { mode: leaf.mode, name, id: leaf.id });
  }

  /** Remove the file or directory at `segments`; `false` when nothing is there. */
  async remove(segments: readonly string[]): Promise<boolean> {
    let node: MutableTree = this;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = await node.#subtree(segments[i]!, false);
      if (!next) return false;
      node = next;
    }
    if ((await this.lookup(segments)) === undefined) return false;
    return (await node.#load()).delete(segments[segments.length - 1]!);
  }

  /**
   * Write every changed tree bottom-up; resolves to the new id, or `null` when
   * the tree ended up empty (git stores no empty subtrees).
   */
  async write(writer: ObjectWriter = this.repo.odb): Promise<string | null> {
    if (!this.#children) return this.baseId;
    const entries: TreeEntry[] = [];
    for (const [name, child] of this.#children) {
      if (child instanceof MutableTree) {
        const id = await child.write(writer);
        if (id) entries.push({ mode: MODE.tree, name, id });
      } else {
        entries.push(child);
      }
    }
    if (entries.length === 0) return null;
    return this.repo.writeTree(entries, writer);
  }

  /** Like {@link write}, but an empty root is the empty tree. */
  async writeRoot(writer: ObjectWriter = this.repo.odb): Promise<string> {
    return (await this.write(writer)) ?? (await this.repo.writeTree([], writer));
  }
}
