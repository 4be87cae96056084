// The order in which rows were last written by an upsert (add, addBatch): what getLast() answers from. A
// per-row stamp from a clock that every upsert advances, persisted in the WRITE_ORDER section (format 3.1);
// a file without it (older writers) counts its rows as written in row order.
import { growableColumn, grownColumn, scratchArray } from '../growable.js';

/** Per-row upsert stamps: higher is later; 0 means never stamped. */
export class WriteOrder {
  #stamps = new Float64Array(64);
  /** The highest stamp given; -1 until the first stamp after a restore (found then, not on open). */
  #clock = 0;

  /** Marks `row` as written now (after every row stamped before). */
  stamp(row: number): void {
    if (row >= this.#stamps.length) {
      this.#stamps = grownColumn(this.#stamps, Float64Array, Math.max(row + 1, this.#stamps.length * 2), this.#stamps.length);
    }
    if (this.#clock < 0) this.#clock = highest(this.#stamps);
    this.#stamps[row] = ++this.#clock;
  }

  /** The row among [0, rows) accepted by `eligible` that was written last, or undefined. */
  last(rows: number, eligible: (row: number) => boolean): number | undefined {
    let best: number | undefined;
    let bestStamp = -1;
    for (let row = 0; row < rows; row++) {
      const stamp = row < this.#stamps.length ? this.#stamps[row] : 0;
      // Ties (unstamped rows) go to the higher row: rows are created in write order.
      if (stamp >= bestStamp && eligible(row)) {
        best = row;
        bestStamp = stamp;
      }
    }
    return best;
  }

  /** The stamps of rows [0, rows) as little-endian f64 bytes (the WRITE_ORDER section). */
  toBytes(rows: number): Uint8Array {
    const out = scratchArray(Float64Array, rows);
    out.set(this.#stamps.subarray(0, Math.min(rows, this.#stamps.length)));
    return new Uint8Array(out.buffer, 0, out.byteLength);
  }

  /**
   * Restores the stamps of `rows` rows from a WRITE_ORDER section, or (none: an older file) stamps them in row
   * order. A section of another length is ignored the same way (it cannot belong to these rows). The section's
   * bytes, this thread's own read, are kept as the stamps when 8-aligned (a fresh read is), else copied once.
   */
  restore(rows: number, bytes: Uint8Array | undefined): void {
    if (bytes !== undefined && bytes.length === rows * 8) {
      if (bytes.byteOffset % 8 === 0 && bytes.buffer instanceof ArrayBuffer) {
        this.#stamps = new Float64Array(bytes.buffer, bytes.byteOffset, rows);
      } else {
        this.#stamps = growableColumn(Float64Array, Math.max(64, rows));
        new Uint8Array(this.#stamps.buffer, 0, rows * 8).set(bytes);
      }
      this.#clock = -1;
      return;
    }
    this.#stamps = growableColumn(Float64Array, Math.max(64, rows));
    for (let row = 0; row < rows; row++) this.#stamps[row] = row + 1;
    this.#clock = rows;
  }
}

/** The highest of `stamps` (0 when empty or all unstamped). */
function highest(stamps: Float64Array): number {
  let clock = 0;
  for (let row = 0; row < stamps.length; row++) if (stamps[row] > clock) clock = stamps[row]!;
  return clock;
}
