// Live rows by scope: per namespace, per (namespace, entity) and per entity across namespaces. Built on first
// use (RowGroups): a store that never scopes a search (the writer's model) never builds them. How many live
// rows each namespace has (count, listNamespaces, stats) is a separate count, so answering it builds no sets:
// built, they hold ~30 bytes of JS heap per row for as long as the store is open.
import { RowGroups } from './row-groups.js';
import type { RowColumns } from './row-columns.js';

/** (namespace, entity) keys: namespace · 2^26 + entity stays a safe integer for any realistic store. */
const kEntitySpan = 0x400_0000;
const kEmpty: ReadonlySet<number> = new Set();

export class Scopes {
  readonly #cols: RowColumns;
  readonly #members: RowGroups;
  readonly #entityMembers: RowGroups;
  readonly #entityRows: RowGroups;

  /** Live rows per namespace id: counted from the columns when first asked for, then kept up to date. */
  #perNamespace: Uint32Array | undefined;

  constructor(cols: RowColumns) {
    const c = (this.#cols = cols);
    this.#members = new RowGroups((emit) => c.eachLive((row) => emit(c.namespace[row], row)));
    this.#entityMembers = new RowGroups((emit) =>
      c.eachLive((row) => c.entity[row] !== 0 && emit(c.namespace[row] * kEntitySpan + c.entity[row], row)),
    );
    this.#entityRows = new RowGroups((emit) => c.eachLive((row) => c.entity[row] !== 0 && emit(c.entity[row], row)));
  }

  /** Whether any grouping was built (a first call of rows()). */
  get built(): boolean {
    return this.#members.built || this.#entityMembers.built || this.#entityRows.built;
  }

  /** Live rows of a namespace, an entity (across namespaces) or both. Never mutate the returned set. */
  rows(namespace: number | undefined, entity?: number): ReadonlySet<number> {
    if (namespace === undefined) return entity === undefined ? kEmpty : this.#entityRows.get(entity);
    if (entity === undefined) return this.#members.get(namespace);
    return this.#entityMembers.get(namespace * kEntitySpan + entity);
  }

  /** Namespace ids with at least one live row, ascending. */
  *namespaces(): IterableIterator<number> {
    const counts = this.#counts();
    for (let ns = 0; ns < counts.length; ns++) if (counts[ns] > 0) yield ns;
  }

  /** Live rows of a namespace. */
  namespaceSize(namespace: number): number {
    const counts = this.#counts();
    return namespace < counts.length ? counts[namespace] : 0;
  }

  /** Adds `row` under its current namespace and entity. */
  add(row: number): void {
    const ns = this.#cols.namespace[row];
    const entity = this.#cols.entity[row];
    this.#members.add(ns, row);
    if (this.#perNamespace !== undefined) this.#count(ns, 1);
    if (entity === 0) return;
    this.#entityMembers.add(ns * kEntitySpan + entity, row);
    this.#entityRows.add(entity, row);
  }

  /** Removes `row` from under its current namespace and entity (before they change or it is forgotten). */
  delete(row: number): void {
    const ns = this.#cols.namespace[row];
    const entity = this.#cols.entity[row];
    this.#members.delete(ns, row);
    if (this.#perNamespace !== undefined) this.#count(ns, -1);
    if (entity === 0) return;
    this.#entityMembers.delete(ns * kEntitySpan + entity, row);
    this.#entityRows.delete(entity, row);
  }

  #counts(): Uint32Array {
    if (this.#perNamespace === undefined) {
      this.#perNamespace = new Uint32Array(16);
      const c = this.#cols;
      c.eachLive((row) => this.#count(c.namespace[row], 1));
    }
    return this.#perNamespace;
  }

  #count(namespace: number, delta: number): void {
    let counts = this.#perNamespace!;
    if (namespace >= counts.length) {
      const grown = new Uint32Array(Math.max(namespace + 1, counts.length * 2));
      grown.set(counts);
      this.#perNamespace = counts = grown;
    }
    counts[namespace] += delta;
  }
}
