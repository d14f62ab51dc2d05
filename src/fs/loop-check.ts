/**
 * Finds a loop in a walk of ids without keeping what it passed, as Brent's
 * algorithm does: each id is compared with a mark that jumps ahead to the
 * current id after 1, 2, 4... steps. A loop is found once the mark is in it
 * and jumps far enough: within three times the lead into it plus its length.
 */
export class LoopCheck {
  #mark: string;
  #steps = 0;
  #span = 1;

  constructor(first: string) {
    this.#mark = first;
  }

  /** Whether `id`, the next of the walk, shows that it loops. */
  loops(id: string): boolean {
    if (id === this.#mark) return true;
    if (++this.#steps === this.#span) {
      this.#mark = id;
      this.#span *= 2;
      this.#steps = 0;
    }
    return false;
  }
}
