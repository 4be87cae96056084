// One thread's handles on the indexes and row maps of the shared memory, by address: attaching reads a
// header and allocates search scratch, so each thread attaches once per index (the facade and every pool
// thread keep one cache). Index headers are never freed, so an index address is never reused; a row map's
// handle holds nothing but its address. When a modality's generation changes (compaction), the handle of the
// one it replaced is dropped and its scratch given back: the old index is freed once no reader holds it
// (docs/adr/0008), and this thread, which reads it only through current(), has moved on.
import { HnswIndex, readGeneration, RowMap, type KernelArena } from '@feather-db/core';

export class AttachCache {
  readonly #arena: KernelArena;
  readonly #indexes = new Map<number, HnswIndex>();
  readonly #rowMaps = new Map<number, RowMap>();
  /** Per modality slot, the generation current() last returned. */
  readonly #seen = new Map<number, { index: number; rowMap: number }>();

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
    const seen = this.#seen.get(slot);
    if (seen !== undefined && seen.index !== generation.index) {
      this.#indexes.get(seen.index)?.releaseScratch();
      this.#indexes.delete(seen.index);
      this.#rowMaps.delete(seen.rowMap);
    }
    this.#seen.set(slot, generation);
    return { index: this.index(generation.index), rows: this.rowMap(generation.rowMap) };
  }
}
