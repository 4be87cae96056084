// The order in which rows were last written by an upsert (add, addBatch): what getLast() answers from. A
// per-row stamp from a clock that every upsert advances, persisted in the WRITE_ORDER section (format 3.1);
// a file without it (older writers) counts its rows as written in row order.
import { growableColumn, grownColumn, scratchArray } from '../growable.js';

/** Per-row upsert stamps: higher is later; 0 means never stamped. */
export class WriteOrder {
  #stamps = new Float64Array(64);
  #clock = 0;

  /** Marks `row` as written now (after every row stamped before). */
  stamp(row: number): void {
    if (row >= this.#stamps.length) {
      this.#stamps = grownColumn(this.#stamps, Float64Array, Math.max(row + 1, this.#stamps.length * 2), this.#stamps.length);
    }
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
   * order. A section of another length is ignored the same way (it cannot belong to these rows).
   */
  restore(rows: number, bytes: Uint8Array | undefined): void {
    this.#stamps = growableColumn(Float64Array, Math.max(64, rows));
    if (bytes !== undefined && bytes.length === rows * 8) {
      // One copy, byte for byte (the section's bytes need not be 8-aligned), then the clock in a plain loop.
      new Uint8Array(this.#stamps.buffer, 0, rows * 8).set(bytes);
      const stamps = this.#stamps;
      let clock = 0;
      for (let row = 0; row < rows; row++) if (stamps[row] > clock) clock = stamps[row]!;
      this.#clock = clock;
      return;
    }
    for (let row = 0; row < rows; row++) this.#stamps[row] = row + 1;
    this.#clock = rows;
  }
}
