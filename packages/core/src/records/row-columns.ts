// The memory model's per-row columns: one typed array per field, indexed by row. A load views the file's
// COLUMNS section instead of decoding rows (columns-codec.ts); the model grows them on its next write.
import { kLive, kRowBlock, kRowColumnNames, newRowColumn, type Column, type ColumnData, type RowColumnName } from './columns-codec.js';

export class RowColumns {
  /** One past the highest row ever used. */
  n = 0;
  // The per-row columns (kRowColumnNames), assigned by the constructor's loop. Plain fields, not `declare`:
  // every instance is created with all of them in this order (one shape, the properties kept in the object).
  flags!: Uint8Array;
  idNum!: Float64Array;
  idHash!: Uint32Array;
  namespace!: Uint32Array;
  entity!: Uint32Array;
  importance!: Float64Array;
  timestamp!: Float64Array;
  recallCount!: Float64Array;
  /** NaN = never recalled. */
  lastRecalled!: Float64Array;
  modalitySet!: Uint32Array;
  attrCount!: Uint32Array;
  /** A row's attribute pairs are the attribute pool's [attrStart[row] ..][0 .. attrCount[row]). */
  attrStart: Uint32Array;

  constructor(capacity = 64) {
    for (const name of kRowColumnNames) this.#columns()[name] = newRowColumn(name, capacity);
    this.attrStart = new Uint32Array(capacity);
  }

  /** The columns of a decoded COLUMNS section, as views (each row's first attribute computed from the counts). */
  static adopt(d: ColumnData): RowColumns {
    const c = new RowColumns(0);
    c.n = d.rows;
    for (const name of kRowColumnNames) c.#columns()[name] = d[name];
    c.attrStart = attributeStarts(d.attrCount);
    return c;
  }

  /** The per-row columns by name, for code that handles each alike (it keeps each column's element type). */
  #columns(): Record<RowColumnName, Column> {
    return this;
  }

  isLive(row: number): boolean {
    return row >= 0 && row < this.n && (this.flags[row] & kLive) !== 0;
  }

  /** Calls `visit` for every live row, ascending. */
  eachLive(visit: (row: number) => unknown): void {
    const flags = this.flags;
    for (let row = 0; row < this.n; row++) if ((flags[row] & kLive) !== 0) visit(row);
  }

  /** Room for `more` rows in every column (capacity doubles). */
  grow(more: number): void {
    const need = this.n + more;
    if (need <= this.flags.length) return;
    const capacity = Math.max(need, this.flags.length * 2);
    for (const name of kRowColumnNames) {
      const column = newRowColumn(name, capacity);
      column.set(this[name].subarray(0, this.n));
      this.#columns()[name] = column;
    }
    const starts = new Uint32Array(capacity);
    starts.set(this.attrStart.subarray(0, this.n));
    this.attrStart = starts;
  }
}

// An open runs these once per process over every row: in blocks (kRowBlock) through small functions, which
// the engine optimises after their first calls instead of running one long loop in its baseline tiers.

/** Each row's first attribute pair: the prefix sums of the per-row counts. */
function attributeStarts(counts: Uint32Array): Uint32Array {
  const starts = new Uint32Array(counts.length);
  for (let from = 0, at = 0; from < counts.length; from += kRowBlock)
    at = prefixSums(counts, starts, from, Math.min(counts.length, from + kRowBlock), at);
  return starts;
}

function prefixSums(counts: Uint32Array, starts: Uint32Array, from: number, to: number, at: number): number {
  for (let row = from; row < to; row++) {
    starts[row] = at;
    at += counts[row];
  }
  return at;
}

/** Live rows per modality set. */
export function liveRowsPerSet(flags: Uint8Array, sets: Uint32Array, setCount: number): Uint32Array {
  const perSet = new Uint32Array(setCount);
  for (let from = 0; from < flags.length; from += kRowBlock) countSets(flags, sets, perSet, from, Math.min(flags.length, from + kRowBlock));
  return perSet;
}

function countSets(flags: Uint8Array, sets: Uint32Array, perSet: Uint32Array, from: number, to: number): void {
  for (let row = from; row < to; row++) if ((flags[row] & kLive) !== 0) perSet[sets[row]]++;
}
