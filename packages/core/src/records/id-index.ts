import { pageArray, unsharedColumn } from '../growable.js';
import type { MemoryId } from './types.js';

/**
 * The hash of a memory id, as the file stores it per row (docs/format.md, COLUMNS). Numbers (non-negative
 * safe integers) mix their two 32-bit halves; strings are FNV-1a over their UTF-16 code units. A 1 and a '1'
 * may share a hash: lookups compare the id itself, type included.
 */
export function idHash(id: MemoryId): number {
  if (typeof id === 'number') return fmix32((id >>> 0) ^ fmix32(Math.floor(id / 0x1_0000_0000) + 0x9e37_79b9));
  let h = 0x811c_9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x0100_0193);
  return fmix32(h);
}

function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const kEmpty = 0;
const kDeleted = -1;
/** Tables of this many slots (256 KiB) and more come from the page allocator. */
const kPagedSlots = 1 << 16;

/**
 * Id -> row, as an open-addressing table of row numbers in one Int32Array: no JS object per memory, so a
 * store of a million records builds it in milliseconds on open. The caller keeps each row's hash and decides,
 * per probe, whether a row is the one it looks for; this class only probes.
 */
export class IdIndex {
  #slots: Int32Array;
  #mask: number;
  #used = 0;
  /** Slots holding a row or a tombstone: what decides growth. */
  #filled = 0;
  readonly #hashOf: (row: number) => number;

  constructor(expected: number, hashOf: (row: number) => number) {
    const capacity = capacityFor(expected);
    this.#slots = new Int32Array(capacity);
    this.#mask = capacity - 1;
    this.#hashOf = hashOf;
  }

  /** A table over slots saved by {@link slots} (the caller vouches that they index its rows and hashes). */
  static adopt(slots: Int32Array, hashOf: (row: number) => number): IdIndex {
    const index = new IdIndex(0, hashOf);
    index.#slots = slots;
    index.#mask = slots.length - 1;
    // Counted when first needed (the next insert): a load of a large table then touches no slot.
    index.#used = -1;
    return index;
  }

  /** The table's slots, as a save stores them. */
  get slots(): Int32Array {
    return this.#slots;
  }

  /** Copies the slots into this thread's memory if they view shared bytes (MemoryModel, "borrowed"). */
  unshare(): void {
    this.#slots = unsharedColumn(this.#slots, Int32Array, false);
  }

  get size(): number {
    this.#count();
    return this.#used;
  }

  #count(): void {
    if (this.#used >= 0) return;
    this.#used = 0;
    this.#filled = 0;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i];
      if (s !== kEmpty) this.#filled++;
      if (s > 0) this.#used++;
    }
  }

  /**
   * The first row with this hash that `match(row, a, b)` accepts, or -1. The matcher takes what it compares as
   * arguments, so a caller passes a function it made once: a lookup per row of a bulk upsert allocates nothing.
   */
  find<A, B>(hash: number, match: (row: number, a: A, b: B) => boolean, a: A, b: B): number {
    const slots = this.#slots;
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const s = slots[i];
      if (s === kEmpty) return -1;
      if (s > 0 && this.#hashOf(s - 1) === hash && match(s - 1, a, b)) return s - 1;
    }
  }

  /**
   * Adds `row` unless a row with the same hash that `same(other, row)` accepts is there: one probe instead of
   * a lookup then an insert, for bulk loads. Returns the row already holding the id, or -1 when added.
   */
  insertUnique(row: number, hash: number, same: (other: number, row: number) => boolean): number {
    this.#count();
    if ((this.#filled + 1) * 2 > this.#slots.length) this.#rehash(capacityFor(this.#used + 1));
    const slots = this.#slots;
    let free = -1;
    let i = hash & this.#mask;
    for (; slots[i] !== kEmpty; i = (i + 1) & this.#mask) {
      const s = slots[i];
      if (s === kDeleted) free = free < 0 ? i : free;
      else if (this.#hashOf(s - 1) === hash && same(s - 1, row)) return s - 1;
    }
    if (free < 0) {
      free = i;
      this.#filled++;
    }
    slots[free] = row + 1;
    this.#used++;
    return -1;
  }

  /** Adds a row whose id is not in the table (the caller checked). */
  insert(row: number, hash: number): void {
    this.#count();
    if ((this.#filled + 1) * 2 > this.#slots.length) this.#rehash(capacityFor(this.#used + 1));
    const slots = this.#slots;
    let i = hash & this.#mask;
    while (slots[i] > 0) i = (i + 1) & this.#mask;
    if (slots[i] === kEmpty) this.#filled++;
    slots[i] = row + 1;
    this.#used++;
  }

  /** Removes `row` (which holds the id with `hash`). */
  delete(row: number, hash: number): void {
    this.#count();
    const slots = this.#slots;
    for (let i = hash & this.#mask; slots[i] !== kEmpty; i = (i + 1) & this.#mask) {
      if (slots[i] === row + 1) {
        slots[i] = kDeleted;
        this.#used--;
        return;
      }
    }
  }

  #rehash(capacity: number): void {
    const old = this.#slots;
    // A large table from the page allocator: the one it replaces is unmapped, not left as a hole in malloc's heap.
    this.#slots = capacity >= kPagedSlots ? pageArray(Int32Array, capacity) : new Int32Array(capacity);
    this.#mask = capacity - 1;
    this.#filled = 0;
    this.#used = 0;
    // An indexed loop: a typed array's iterator allocates a result per slot until the loop is optimised (a 1M-slot
    // table left ~40 MiB of garbage).
    for (let i = 0; i < old.length; i++) if (old[i] > 0) this.insert(old[i] - 1, this.#hashOf(old[i] - 1));
  }
}

/** A power of two at least twice `n` (load factor ≤ 1/2), at least 16. */
function capacityFor(n: number): number {
  let c = 16;
  while (c < n * 2 + 2) c *= 2;
  return c;
}
