// The memory model's dictionaries: namespace and entity names interned to dense ids (nodes carry the ids as
// filter tags), and the distinct modality sets rows hold. Interning is deterministic (first use, in op
// order), which is how the facade's mirror and the writer's model agree on every id.

/** Names to dense ids in first-use order, starting after `reserved` names (entities reserve 0 for none). */
export class NameDictionary {
  readonly names: string[];
  readonly #ids = new Map<string, number>();

  constructor(reserved: readonly string[] = []) {
    this.names = [...reserved];
  }

  intern(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.#ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  /** The id of a name, or undefined when no memory ever used it. */
  id(name: string): number | undefined {
    return this.#ids.get(name);
  }
}

/** The distinct sets of modalities rows hold (set 0: none), and how many live rows hold each modality. */
export class ModalitySets {
  /** Frozen: a record hands its row's set out as is. */
  readonly sets: (readonly string[])[] = [Object.freeze([])];
  readonly #ids = new Map<string, number>([['', 0]]);
  readonly #counts = new Map<string, number>();
  /** with()'s answers by set and modality: every new record asks, and the answer is nearly always known. */
  readonly #added = new Map<number, Map<string, number>>();

  /** The set that is `set` plus `modality` (interned), or `set` itself when it holds it already. */
  with(set: number, modality: string): number {
    const known = this.#added.get(set)?.get(modality);
    if (known !== undefined) return known;
    const current = this.sets[set];
    let id = set;
    if (!current.includes(modality)) {
      const next = Object.freeze([...current, modality]);
      const key = next.join('\u0000');
      id = this.#ids.get(key) ?? this.sets.length;
      if (id === this.sets.length) {
        this.#ids.set(key, id);
        this.sets.push(next);
      }
    }
    let bySet = this.#added.get(set);
    if (bySet === undefined) this.#added.set(set, (bySet = new Map<string, number>()));
    bySet.set(modality, id);
    return id;
  }

  /** Live rows holding a vector of `modality`. */
  count(modality: string): number {
    return this.#counts.get(modality) ?? 0;
  }

  adjust(modality: string, delta: number): void {
    this.#counts.set(modality, this.count(modality) + delta);
  }

  /** Adopts saved sets (set 0 must be empty); false when they are not distinct. */
  load(sets: readonly (readonly string[])[]): boolean {
    sets.forEach((set, i) => {
      if (i > 0) this.sets.push(Object.freeze(set));
      this.#ids.set(set.join('\u0000'), i);
    });
    return sets[0]?.length === 0 && this.#ids.size === this.sets.length;
  }
}
