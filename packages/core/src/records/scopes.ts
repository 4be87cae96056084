// Live rows by scope: per namespace, per (namespace, entity) and per entity across namespaces. Built on first
// use (RowGroups): a store that never scopes a search (the writer's model) never builds them.
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

  constructor(cols: RowColumns) {
    const c = (this.#cols = cols);
    this.#members = new RowGroups((emit) => c.eachLive((row) => emit(c.namespace[row], row)));
    this.#entityMembers = new RowGroups((emit) =>
      c.eachLive((row) => c.entity[row] !== 0 && emit(c.namespace[row] * kEntitySpan + c.entity[row], row)),
    );
    this.#entityRows = new RowGroups((emit) => c.eachLive((row) => c.entity[row] !== 0 && emit(c.entity[row], row)));
  }

  /** Live rows of a namespace, an entity (across namespaces) or both. Never mutate the returned set. */
  rows(namespace: number | undefined, entity?: number): ReadonlySet<number> {
    if (namespace === undefined) return entity === undefined ? kEmpty : this.#entityRows.get(entity);
    if (entity === undefined) return this.#members.get(namespace);
    return this.#entityMembers.get(namespace * kEntitySpan + entity);
  }

  /** Namespace ids with at least one live row. */
  namespaces(): IterableIterator<number> {
    return this.#members.keys();
  }

  /** Adds `row` under its current namespace and entity. */
  add(row: number): void {
    const ns = this.#cols.namespace[row];
    const entity = this.#cols.entity[row];
    this.#members.add(ns, row);
    if (entity === 0) return;
    this.#entityMembers.add(ns * kEntitySpan + entity, row);
    this.#entityRows.add(entity, row);
  }

  /** Removes `row` from under its current namespace and entity (before they change or it is forgotten). */
  delete(row: number): void {
    const ns = this.#cols.namespace[row];
    const entity = this.#cols.entity[row];
    this.#members.delete(ns, row);
    if (entity === 0) return;
    this.#entityMembers.delete(ns * kEntitySpan + entity, row);
    this.#entityRows.delete(entity, row);
  }
}
