/**
 * Live rows grouped by a numeric key (a namespace, a namespace+entity pair, an attribute pair), built only
 * when first asked for. Until then writes cost nothing here, which is what lets a loaded store skip building
 * hundreds of thousands of sets on open; a store that never filters (the writer's copy) never builds them.
 *
 * Once built, the grouping is a counting sort of every row's keys (typed arrays, one pass) and each key's
 * Set is materialised from its slice the first time that key is read or changed: a key's Set, when present,
 * is the truth, else its slice is.
 */
export class RowGroups {
  readonly #collect: (emit: (key: number, row: number) => void) => void;
  #built = false;
  readonly #sets = new Map<number, Set<number>>();
  /** key -> [start, end) into #rows. */
  readonly #slices = new Map<number, number>();
  #starts = new Uint32Array(0);
  #rows = new Uint32Array(0);

  /** `collect` calls `emit(key, row)` once for every (key, live row) pair of the current state. */
  constructor(collect: (emit: (key: number, row: number) => void) => void) {
    this.#collect = collect;
  }

  get built(): boolean {
    return this.#built;
  }

  /** The rows of `key`. Never mutate the returned set. */
  get(key: number): ReadonlySet<number> {
    return this.#set(key, false) ?? kNone;
  }

  add(key: number, row: number): void {
    if (this.#built) this.#set(key, true)!.add(row);
  }

  delete(key: number, row: number): void {
    if (this.#built) this.#set(key, true)!.delete(row);
  }

  #set(key: number, create: boolean): Set<number> | undefined {
    this.#build();
    let set = this.#sets.get(key);
    if (set !== undefined) return set;
    const slot = this.#slices.get(key);
    if (slot === undefined && !create) return undefined;
    set = new Set<number>();
    if (slot !== undefined) for (let i = this.#starts[slot]; i < this.#starts[slot + 1]; i++) set.add(this.#rows[i]);
    this.#sets.set(key, set);
    return set;
  }

  #build(): void {
    if (this.#built) return;
    this.#built = true;
    // Pass 1 counts per key; pass 2 places rows (rows arrive ascending, so every slice is sorted).
    const counts: number[] = [];
    const keys: number[] = [];
    this.#collect((key) => {
      let slot = this.#slices.get(key);
      if (slot === undefined) {
        this.#slices.set(key, (slot = keys.length));
        keys.push(key);
        counts.push(0);
      }
      counts[slot]++;
    });
    const starts = new Uint32Array(keys.length + 1);
    for (let s = 0; s < keys.length; s++) starts[s + 1] = starts[s] + counts[s];
    const fill = starts.slice(0, keys.length);
    const rows = new Uint32Array(starts[keys.length]);
    this.#collect((key, row) => {
      rows[fill[this.#slices.get(key)!]++] = row;
    });
    this.#starts = starts;
    this.#rows = rows;
  }
}

const kNone: ReadonlySet<number> = new Set();
