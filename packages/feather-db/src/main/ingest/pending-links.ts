// Links whose target is not stored yet (it comes later in the source): kept until it is, or the source ends.
import type { MemoryId } from '@feather-db/core';
import { idKey, type RowLink } from './ingest-row.js';

export interface WaitingLink extends RowLink {
  from: MemoryId;
  /** The source row that carried it. */
  row: number;
}

export class PendingLinks {
  readonly #byTarget = new Map<string, WaitingLink[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  wait(link: WaitingLink): void {
    const key = idKey(link.to);
    const list = this.#byTarget.get(key);
    if (list === undefined) this.#byTarget.set(key, [link]);
    else list.push(link);
    this.#size++;
  }

  /** The links waiting for `id`, removed from the waiting set. */
  take(id: MemoryId): WaitingLink[] {
    const key = idKey(id);
    const list = this.#byTarget.get(key);
    if (list === undefined) return [];
    this.#byTarget.delete(key);
    this.#size -= list.length;
    return list;
  }

  /** Every link still waiting, in the order they were met; empties the set. */
  drain(): WaitingLink[] {
    const all = [...this.#byTarget.values()].flat().sort((a, b) => a.row - b.row);
    this.#byTarget.clear();
    this.#size = 0;
    return all;
  }
}
