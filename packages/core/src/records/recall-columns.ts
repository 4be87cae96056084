// Recall state per row: how many times a search returned it and when it last did (NaN = never). The one
// per-row state a search changes (design.md §3, ADR 0004). A model keeps it in one of two forms:
//  - LocalRecall: plain typed arrays, owned by the model (a model used alone: tests, the engine in-process);
//  - SharedRecall: chunks of the shared kernel memory, so two models on two threads read the same values.
//    The facade's mirror owns them (it bumps them after every search it ranks, with no write through the
//    writer); the writer's model only reads them (save, integrity checks) and skips every recall write,
//    which the owner has already made.
//
// Shared layout: a table of kChunks u32 chunk addresses (0 = not allocated yet), each chunk kChunkRows
// f64 counts then kChunkRows f64 last-recalled times. Chunks never move (the arena only grows). Only the
// owner's thread stores into them; the writer reads them only after a message from that thread (a write
// it was sent, a save, a check), which orders its reads after the stores. So plain stores suffice, and
// f64 keeps the counts' whole range (an import may carry counts up to 2^53).
import type { KernelArena } from '../arena.js';
import { grownColumn, scratchArray, unsharedColumn } from '../growable.js';

const kChunkShift = 14;
const kChunkRows = 1 << kChunkShift;
const kChunks = 16384;

/** A model's recall columns. Writes are no-ops unless `owner`. */
export interface RecallColumns {
  /** True when this model writes the values (the writer's view of shared columns does not). */
  readonly owner: boolean;
  count(row: number): number;
  /** When the row was last recalled (ms), NaN for never. */
  last(row: number): number;
  set(row: number, count: number, last: number): void;
  /** One more recall of `row`, at `at`. */
  bump(row: number, at: number): void;
  /** Room for rows [0, rows). */
  reserve(rows: number): void;
  /** Rows [0, rows) as two arrays (the COLUMNS section's recallCount and lastRecalled). */
  toArrays(rows: number): { counts: Float64Array; lasts: Float64Array };
  /** Copies into this thread's memory arrays that view a loaded section's shared bytes (RowColumns.unshare). */
  unshare(): void;
}

/** Recall columns as plain arrays of this thread. */
export class LocalRecall implements RecallColumns {
  readonly owner = true;
  #counts: Float64Array;
  #lasts: Float64Array;

  constructor(capacity = 64) {
    this.#counts = new Float64Array(capacity);
    this.#lasts = new Float64Array(capacity);
  }

  /** Columns viewing a loaded section's arrays (not copied). */
  static adopt(counts: Float64Array, lasts: Float64Array): LocalRecall {
    const r = new LocalRecall(0);
    r.#counts = counts;
    r.#lasts = lasts;
    return r;
  }

  count(row: number): number {
    return this.#counts[row];
  }

  last(row: number): number {
    return this.#lasts[row];
  }

  set(row: number, count: number, last: number): void {
    this.#counts[row] = count;
    this.#lasts[row] = last;
  }

  bump(row: number, at: number): void {
    this.#counts[row]++;
    this.#lasts[row] = at;
  }

  unshare(): void {
    this.#counts = unsharedColumn(this.#counts, Float64Array);
    this.#lasts = unsharedColumn(this.#lasts, Float64Array);
  }

  reserve(rows: number): void {
    if (rows <= this.#counts.length) return;
    const capacity = Math.max(rows, this.#counts.length * 2);
    this.#counts = grownColumn(this.#counts, Float64Array, capacity, this.#counts.length);
    this.#lasts = grownColumn(this.#lasts, Float64Array, capacity, this.#lasts.length);
  }

  toArrays(rows: number): { counts: Float64Array; lasts: Float64Array } {
    return { counts: this.#counts.subarray(0, rows), lasts: this.#lasts.subarray(0, rows) };
  }
}

/** An empty chunk table of shared recall columns (MemoryModel.shareRecall fills it; attachRecall reads it). */
export function allocateRecallTable(arena: KernelArena): number {
  return arena.alloc(kChunks * 4);
}

/** Recall columns in the shared kernel memory (see the layout above). */
export class SharedRecall implements RecallColumns {
  readonly owner: boolean;
  /** Address of the chunk table. */
  readonly table: number;
  readonly #arena: KernelArena;
  #f64: Float64Array;
  /**
   * Per chunk, its f64 index once seen allocated (0: not yet). Chunks never move, so an address read once
   * stays right: a record's two reads (count, last) and a search's bumps skip the table's atomic load.
   */
  readonly #bases = new Int32Array(kChunks);

  private constructor(arena: KernelArena, table: number, owner: boolean) {
    this.#arena = arena;
    this.table = table;
    this.owner = owner;
    this.#f64 = new Float64Array(arena.u32.buffer);
  }

  /** The owner's columns over the table at `table`, with room for `capacity` rows, filled with `from`'s rows [0, rows). */
  static own(arena: KernelArena, table: number, from: RecallColumns, rows: number, capacity: number): SharedRecall {
    const shared = new SharedRecall(arena, table, true);
    shared.reserve(Math.max(rows, capacity));
    const { counts, lasts } = from.toArrays(rows);
    for (let first = 0; first < rows; first += kChunkRows) {
      const chunk = shared.#chunk(first) >>> 3;
      const end = Math.min(rows, first + kChunkRows);
      shared.#f64.set(counts.subarray(first, end), chunk);
      shared.#f64.set(lasts.subarray(first, end), chunk + kChunkRows);
    }
    return shared;
  }

  /** A reader's view of the columns another thread owns. */
  static attach(arena: KernelArena, table: number): SharedRecall {
    return new SharedRecall(arena, table, false);
  }

  /** The most rows shared columns hold. */
  static readonly maxRows: number = kChunks * kChunkRows;

  count(row: number): number {
    const at = this.#word(row);
    return at < 0 ? 0 : this.#f64[at];
  }

  last(row: number): number {
    const at = this.#word(row);
    return at < 0 ? Number.NaN : this.#f64[at + kChunkRows];
  }

  set(row: number, count: number, last: number): void {
    if (!this.owner) return;
    const at = this.#ownWord(row);
    this.#f64[at] = count;
    this.#f64[at + kChunkRows] = last;
  }

  bump(row: number, at: number): void {
    if (!this.owner) return;
    const word = this.#ownWord(row);
    this.#f64[word]++;
    this.#f64[word + kChunkRows] = at;
  }

  reserve(rows: number): void {
    if (!this.owner) return;
    const u32 = this.#arena.u32;
    for (let first = 0; first < rows; first += kChunkRows) {
      const slot = (this.table >>> 2) + (first >>> kChunkShift);
      if (u32[slot] !== 0) continue;
      const chunk = this.#arena.alloc(kChunkRows * 16);
      // A fresh chunk reads as "never recalled" (NaN), not as time 0.
      this.#view(chunk + kChunkRows * 16).fill(Number.NaN, (chunk >>> 3) + kChunkRows, (chunk >>> 3) + 2 * kChunkRows);
      // Atomic store after the chunk is initialised: a reader that sees the address sees the chunk.
      Atomics.store(this.#arena.u32, slot, chunk);
    }
  }

  toArrays(rows: number): { counts: Float64Array; lasts: Float64Array } {
    const counts = scratchArray(Float64Array, rows);
    const lasts = scratchArray(Float64Array, rows).fill(Number.NaN);
    for (let first = 0; first < rows; first += kChunkRows) {
      const chunk = this.#chunk(first);
      if (chunk === 0) continue;
      const end = Math.min(rows, first + kChunkRows);
      const view = this.#view(chunk + kChunkRows * 16);
      counts.set(view.subarray(chunk >>> 3, (chunk >>> 3) + end - first), first);
      lasts.set(view.subarray((chunk >>> 3) + kChunkRows, (chunk >>> 3) + kChunkRows + end - first), first);
    }
    return { counts, lasts };
  }

  unshare(): void {
    // Chunks of the kernel memory, shared by design (the layout above): nothing of a loaded section's.
  }

  /** The chunk address of `row` (0 when none). */
  #chunk(row: number): number {
    // Atomic load: pairs with the store in reserve().
    return Atomics.load(this.#arena.u32, (this.table >>> 2) + (row >>> kChunkShift));
  }

  /** The f64 index of `row`'s count (its last time is kChunkRows further), or -1 when its chunk is missing. */
  #word(row: number): number {
    const slot = row >>> kChunkShift;
    let base = this.#bases[slot];
    if (base === 0) {
      const chunk = this.#chunk(row);
      if (chunk === 0) return -1;
      // The view then reaches the chunk for good: it is only ever replaced by a longer one.
      this.#view(chunk + kChunkRows * 16);
      base = this.#bases[slot] = chunk >>> 3;
    }
    return base + (row & (kChunkRows - 1));
  }

  /** As #word, allocating the chunk when it is missing (the owner's writes). */
  #ownWord(row: number): number {
    const at = this.#word(row);
    if (at >= 0) return at;
    this.reserve(row + 1);
    return this.#word(row);
  }

  /** An f64 view reaching at least byte `end` (the memory grows; views are refreshed only then). */
  #view(end: number): Float64Array {
    if (this.#f64.byteLength < end) this.#f64 = new Float64Array(this.#arena.u32.buffer);
    return this.#f64;
  }
}
