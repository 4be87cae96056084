// One thread's handles on the indexes and row maps of the shared memory, by address: attaching reads a
// header and allocates search scratch, so each thread attaches once per index (the facade and every pool
// thread keep one cache). Index headers are never freed, so an index address is never reused; a row map's
// handle holds nothing but its address. A handle whose index the writer retired (compaction, a storage change:
// the header's retired mark) is dropped and its scratch given back the next time this thread attaches an index
// or sees a generation change: the old index is freed once no reader holds it (docs/adr/0008), and its
// handles' scratch must not outlive it. A thread that only links (an import's pool threads) reaches retired
// indexes by address, never through current(), so the mark, not the generation this thread last saw, decides.
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
    if (index === undefined) {
      // A new index appears: the ones it replaced may be retired by now.
      this.#sweep();
      this.#indexes.set(address, (index = HnswIndex.attach(this.#arena, address)));
    }
    return index;
  }

  /** Indexes this thread holds a handle on (tests: retired ones must not pile up). */
  get attachedIndexes(): number {
    return this.#indexes.size;
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
      // The swap may be seen before the retired mark is: this thread has moved on from the old one either way.
      this.#drop(seen.index);
      this.#rowMaps.delete(seen.rowMap);
      this.#sweep();
    }
    this.#seen.set(slot, generation);
    return { index: this.index(generation.index), rows: this.rowMap(generation.rowMap) };
  }

  /**
   * Drops the handles on retired indexes. Safe between two uses of a handle (a scratch is only in use during a
   * kernel call, which nothing here interrupts); a dropped handle still held somewhere allocates afresh.
   */
  #sweep(): void {
    for (const [address, index] of this.#indexes) if (index.retired) this.#drop(address);
  }

  #drop(address: number): void {
    this.#indexes.get(address)?.releaseScratch();
    this.#indexes.delete(address);
  }
}
