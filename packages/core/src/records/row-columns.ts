// The memory model's per-row columns: one typed array per field, indexed by row. A load views the file's
// COLUMNS section instead of decoding rows (columns-codec.ts); the model grows them on its next write.
import { kLive, kRowBlock, type ColumnData } from './columns-codec.js';
import { grownColumn, unsharedColumn } from '../growable.js';
import { LocalRecall, type RecallColumns } from './recall-columns.js';

export class RowColumns {
  /** One past the highest row ever used. */
  n = 0;
  flags: Uint8Array;
  idNum: Float64Array;
  idHash: Uint32Array;
  namespace: Uint32Array;
  entity: Uint32Array;
  importance: Float64Array;
  timestamp: Float64Array;
  /** recallCount and lastRecalled (NaN = never): this thread's arrays, or the columns the mirror shares. */
  recall: RecallColumns;
  modalitySet: Uint32Array;
  /** A row's attribute pairs are the attribute pool's [attrStart[row] ..][0 .. attrCount[row]). */
  attrStart: Uint32Array;
  attrCount: Uint32Array;

  constructor(capacity = 64) {
    this.flags = new Uint8Array(capacity);
    this.idNum = new Float64Array(capacity);
    this.idHash = new Uint32Array(capacity);
    this.namespace = new Uint32Array(capacity);
    this.entity = new Uint32Array(capacity);
    this.importance = new Float64Array(capacity);
    this.timestamp = new Float64Array(capacity);
    this.recall = new LocalRecall(capacity);
    this.modalitySet = new Uint32Array(capacity);
    this.attrStart = new Uint32Array(capacity);
    this.attrCount = new Uint32Array(capacity);
  }

  /** The columns of a decoded COLUMNS section, as views (each row's first attribute computed from the counts). */
  static adopt(d: ColumnData): RowColumns {
    const c = new RowColumns(0);
    c.n = d.rows;
    c.flags = d.flags;
    c.idNum = d.idNum;
    c.idHash = d.idHash;
    c.namespace = d.namespace;
    c.entity = d.entity;
    c.importance = d.importance;
    c.timestamp = d.timestamp;
    c.recall = LocalRecall.adopt(d.recallCount, d.lastRecalled);
    c.modalitySet = d.modalitySet;
    c.attrCount = d.attrCount;
    c.attrStart = attributeStarts(d.attrCount);
    return c;
  }

  /** Copies into this thread's memory the columns that still view shared bytes (MemoryModel, "borrowed"). */
  unshare(): void {
    this.flags = unsharedColumn(this.flags, Uint8Array);
    this.idNum = unsharedColumn(this.idNum, Float64Array);
    this.idHash = unsharedColumn(this.idHash, Uint32Array);
    this.namespace = unsharedColumn(this.namespace, Uint32Array);
    this.entity = unsharedColumn(this.entity, Uint32Array);
    this.importance = unsharedColumn(this.importance, Float64Array);
    this.timestamp = unsharedColumn(this.timestamp, Float64Array);
    this.recall.unshare();
    this.modalitySet = unsharedColumn(this.modalitySet, Uint32Array);
    this.attrCount = unsharedColumn(this.attrCount, Uint32Array);
  }

  isLive(row: number): boolean {
    return row >= 0 && row < this.n && (this.flags[row] & kLive) !== 0;
  }

  /** Calls `visit` for every live row, ascending. */
  eachLive(visit: (row: number) => unknown): void {
    const flags = this.flags;
    for (let row = 0; row < this.n; row++) if ((flags[row] & kLive) !== 0) visit(row);
  }

  /** Room for `more` rows in every column (capacity doubles; the columns grow in place: growable.ts). */
  grow(more: number): void {
    const need = this.n + more;
    if (need <= this.flags.length) return;
    const capacity = Math.max(need, this.flags.length * 2);
    const n = this.n;
    this.flags = grownColumn(this.flags, Uint8Array, capacity, n);
    this.idNum = grownColumn(this.idNum, Float64Array, capacity, n);
    this.idHash = grownColumn(this.idHash, Uint32Array, capacity, n);
    this.namespace = grownColumn(this.namespace, Uint32Array, capacity, n);
    this.entity = grownColumn(this.entity, Uint32Array, capacity, n);
    this.importance = grownColumn(this.importance, Float64Array, capacity, n);
    this.timestamp = grownColumn(this.timestamp, Float64Array, capacity, n);
    this.recall.reserve(capacity);
    this.modalitySet = grownColumn(this.modalitySet, Uint32Array, capacity, n);
    this.attrStart = grownColumn(this.attrStart, Uint32Array, capacity, n);
    this.attrCount = grownColumn(this.attrCount, Uint32Array, capacity, n);
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
