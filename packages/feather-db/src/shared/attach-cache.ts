// One thread's handles on the indexes and row maps of the shared memory, by address: attaching reads a
// header and allocates search scratch, so each thread attaches once per index (the facade and every pool
// thread keep one cache). Addresses are never reused (the arena only grows), so entries never go stale.
import { HnswIndex, readGeneration, RowMap, type KernelArena } from '@feather-db/core';

export class AttachCache {
  readonly #arena: KernelArena;
  readonly #indexes = new Map<number, HnswIndex>();
  readonly #rowMaps = new Map<number, RowMap>();

  constructor(arena: KernelArena) {
    this.#arena = arena;
  }

  /** The shared memory the handles are on. */
  get arena(): KernelArena {
    return this.#arena;
  }

  /** The index whose header is at `address`. */
  index(address: number): HnswIndex {
    let index = this.#indexes.get(address);
    if (index === undefined) this.#indexes.set(address, (index = HnswIndex.attach(this.#arena, address)));
    return index;
  }

  /** The row map whose chunk table is at `table`. */
  rowMap(table: number): RowMap {
    let rows = this.#rowMaps.get(table);
    if (rows === undefined) this.#rowMaps.set(table, (rows = RowMap.attach(this.#arena, table)));
    return rows;
  }

  /** The current index and row map of the modality whose slot is at `slot` (compaction swaps them together). */
  current(slot: number): { index: HnswIndex; rows: RowMap } {
    const generation = readGeneration(this.#arena, slot);
    return { index: this.index(generation.index), rows: this.rowMap(generation.rowMap) };
  }
}
