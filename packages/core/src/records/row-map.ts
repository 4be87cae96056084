import type { KernelArena } from '../arena.js';

// Row -> node id of one modality's index, in the shared memory so readers can turn a planner's row list into
// node ids. Chunked so it grows without moving: a table of kChunks chunk addresses, each chunk kChunkRows u32
// slots holding node + 1 (0 = no node). Written by the writer only.
const kChunkShift = 16;
const kChunkRows = 1 << kChunkShift;
const kChunks = 4096;

export class RowMap {
  readonly arena: KernelArena;
  /** Address of the chunk table. */
  readonly table: number;

  private constructor(arena: KernelArena, table: number) {
    this.arena = arena;
    this.table = table;
  }

  static create(arena: KernelArena): RowMap {
    return new RowMap(arena, arena.alloc(kChunks * 4));
  }

  /** The most rows a row map holds. */
  static readonly maxRows: number = kChunks * kChunkRows;

  /**
   * A row map of `rows` (≤ maxRows) slots whose chunks the caller fills: the byte ranges returned, in row
   * order (the file's ROWMAP section has this exact encoding). Check it against the index with
   * checkRowMap (hnsw/graph-restore.ts) before use.
   */
  static allocate(arena: KernelArena, rows: number): { map: RowMap; chunks: { at: number; bytes: number }[] } {
    const map = RowMap.create(arena);
    const chunks: { at: number; bytes: number }[] = [];
    for (let first = 0; first < rows; first += kChunkRows) {
      const chunk = arena.alloc(kChunkRows * 4);
      Atomics.store(arena.u32, (map.table >>> 2) + (first >>> kChunkShift), chunk);
      chunks.push({ at: chunk, bytes: Math.min(kChunkRows, rows - first) * 4 });
    }
    return { map, chunks };
  }

  /** log2 of the rows per chunk (the kernels' checkRowMap walks the chunks). */
  static readonly chunkShift: number = kChunkShift;

  static attach(arena: KernelArena, table: number): RowMap {
    return new RowMap(arena, table);
  }

  /** The node of `row`, or -1. */
  get(row: number): number {
    const u32 = this.arena.u32;
    // Atomic load of the chunk address: pairs with the store in set(), after the chunk was zeroed.
    const chunk = Atomics.load(u32, (this.table >>> 2) + (row >>> kChunkShift));
    if (chunk === 0) return -1;
    return Atomics.load(u32, (chunk >>> 2) + (row & (kChunkRows - 1))) - 1;
  }

  /** Sets (node >= 0) or clears (node = -1) the node of `row`. */
  set(row: number, node: number): void {
    const slot = (this.table >>> 2) + (row >>> kChunkShift);
    let chunk = this.arena.u32[slot];
    if (chunk === 0) {
      chunk = this.arena.alloc(kChunkRows * 4);
      // Atomic store: readers that see the chunk address see a zeroed chunk.
      Atomics.store(this.arena.u32, slot, chunk);
    }
    // Atomic store: a reader sees the old or the new node, never a torn value.
    Atomics.store(this.arena.u32, (chunk >>> 2) + (row & (kChunkRows - 1)), node + 1);
  }

  /** Gives the map's memory back to the arena (the map was retired and no reader can hold it: ADR 0008). */
  release(): void {
    const u32 = this.arena.u32;
    for (let c = 0; c < kChunks; c++) {
      const chunk = u32[(this.table >>> 2) + c];
      if (chunk !== 0) this.arena.free(chunk, kChunkRows * 4);
    }
    this.arena.free(this.table, kChunks * 4);
  }

  /** Maps rows to node ids, dropping rows without a node. */
  nodesOf(rows: Uint32Array): Uint32Array {
    const out = new Uint32Array(rows.length);
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const node = this.get(rows[i]);
      if (node >= 0) out[n++] = node;
    }
    return out.subarray(0, n);
  }
}
