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

/** Slots of the table being left that each write moves into the next one (IdIndex, growth). */
const kMovePerWrite = 16;

/**
 * Id -> row, as an open-addressing table of row numbers in one Int32Array: no JS object per memory, so a
 * store of a million records builds it in milliseconds on open. The caller keeps each row's hash and decides,
 * per probe, whether a row is the one it looks for; this class only probes.
 *
 * Growth moves the rows into the larger table a few slots per write instead of all at once: rehashing the
 * facade's table in one step held the event loop ~6 ms at 40,000 rows of a build (a CPU profile of `addBatch`,
 * ~150 ns a row), and it grows with the store. While a growth is under way, a row sits in exactly one of the two
 * tables: lookups probe the new one, then the old; inserts go to the new one; each write moves the next
 * kMovePerWrite slots of the old one, leaving a tombstone behind so that the old table's probe chains hold. The
 * new table is sized so that the move ends before the next growth is due.
 */
export class IdIndex {
  #slots: Int32Array;
  #mask: number;
  /** Rows in both tables. */
  #used = 0;
  /** Slots of #slots holding a row or a tombstone: what decides growth. */
  #filled = 0;
  /** The table a growth is leaving, while rows remain in it, and how many do. */
  #old: Int32Array | undefined;
  #oldRows = 0;
  /** The next slot of #old to move. */
  #moved = 0;
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

  /** The table's slots, as a save stores them (a growth under way is finished first: one table holds every row). */
  get slots(): Int32Array {
    this.#finish();
    return this.#slots;
  }

  /** Bytes the table holds (both tables while a growth is under way). */
  get byteLength(): number {
    return this.#slots.byteLength + (this.#old?.byteLength ?? 0);
  }

  /** Copies the slots into this thread's memory if they view shared bytes (MemoryModel, "borrowed"). */
  unshare(): void {
    this.#finish();
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
    const found = this.#findIn(this.#slots, hash, match, a, b);
    return found >= 0 || this.#old === undefined ? found : this.#findIn(this.#old, hash, match, a, b);
  }

  #findIn<A, B>(slots: Int32Array, hash: number, match: (row: number, a: A, b: B) => boolean, a: A, b: B): number {
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
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
    this.#beforeInsert();
    if (this.#old !== undefined) {
      const found = this.#findIn(this.#old, hash, same, row, undefined);
      if (found >= 0) return found;
    }
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
    this.#beforeInsert();
    this.#place(row, hash);
    this.#used++;
  }

  /** Removes `row` (which holds the id with `hash`). */
  delete(row: number, hash: number): void {
    this.#count();
    this.#move();
    if (!this.#deleteIn(this.#slots, row, hash) && this.#old !== undefined) this.#deleteIn(this.#old, row, hash);
  }

  #deleteIn(slots: Int32Array, row: number, hash: number): boolean {
    const mask = slots.length - 1;
    for (let i = hash & mask; slots[i] !== kEmpty; i = (i + 1) & mask) {
      if (slots[i] === row + 1) {
        slots[i] = kDeleted;
        this.#used--;
        if (slots === this.#old) this.#oldRows--;
        return true;
      }
    }
    return false;
  }

  /**
   * Counts an adopted table, moves the next slots of a growth under way, and starts a growth when one is due:
   * when the rows still to move and the slots taken would fill more than half of the table, so that the one
   * table a save stores stays at most half full (docs/format.md).
   */
  #beforeInsert(): void {
    this.#count();
    this.#move();
    if ((this.#filled + this.#oldRows + 1) * 2 <= this.#slots.length) return;
    // Due again before the last one ended (the capacity below leaves room for the move): end that one first.
    this.#finish();
    const old = (this.#old = this.#slots);
    this.#oldRows = this.#used;
    this.#moved = 0;
    // Room for the rows, and for the writes that empty the old table before the next growth is due (a table
    // left its size, only rid of its tombstones, could otherwise be due again within a few writes).
    let capacity = capacityFor(this.#used + 1);
    while (capacity / 2 - this.#used <= old.length / kMovePerWrite) capacity *= 2;
    // A large table from the page allocator: the one it replaces is unmapped once the move has left it, not left
    // as a hole in malloc's heap.
    this.#slots = capacity >= kPagedSlots ? pageArray(Int32Array, capacity) : new Int32Array(capacity);
    this.#mask = capacity - 1;
    this.#filled = 0;
    this.#move();
  }

  /** Moves up to `slots` slots of the old table into the new one. */
  #move(slots: number = kMovePerWrite): void {
    const old = this.#old;
    if (old === undefined) return;
    const end = Math.min(old.length, this.#moved + slots);
    for (let i = this.#moved; i < end; i++) {
      const s = old[i];
      if (s > 0) {
        this.#place(s - 1, this.#hashOf(s - 1));
        old[i] = kDeleted;
        this.#oldRows--;
      }
    }
    this.#moved = end;
    if (end === old.length) this.#old = undefined;
  }

  #finish(): void {
    if (this.#old !== undefined) this.#move(this.#old.length);
  }

  /** Puts `row` into the first slot of its chain that holds no row (it is not in the table). */
  #place(row: number, hash: number): void {
    const slots = this.#slots;
    let i = hash & this.#mask;
    while (slots[i] > 0) i = (i + 1) & this.#mask;
    if (slots[i] === kEmpty) this.#filled++;
    slots[i] = row + 1;
  }
}

/** A power of two at least twice `n` (load factor ≤ 1/2), at least 16. */
function capacityFor(n: number): number {
  let c = 16;
  while (c < n * 2 + 2) c *= 2;
  return c;
}
