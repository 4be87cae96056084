// Attributes of the memory model: each distinct (key, value) pair gets a dense pair id; a row's pairs are a
// slice of one u32 pool (RowColumns.attrStart/attrCount); postings (rows per pair) are built on the first
// filter. Replaced lists leave garbage in the pool, compacted when it is most of it.
import { growableColumn, grownColumn, scratchArray, unsharedColumn } from '../growable.js';
import { hasNoKeys } from '../validate.js';
import { RowGroups } from './row-groups.js';
import type { RowColumns } from './row-columns.js';
import type { AttributeValue, Attributes } from './types.js';

const kEmpty: ReadonlySet<number> = new Set();
/** The attributes of a memory without any: one frozen object for all of them (a search's hits build none). */
export const kNoAttributes: Attributes = Object.freeze({});

/** The attribute part of a COLUMNS section: pairs renumbered densely in first-use order over live rows. */
export interface EncodedAttributes {
  attrCount: Uint32Array;
  attrPool: Uint32Array;
  keys: string[];
  pairKeys: number[];
  pairValues: AttributeValue[];
}

export class AttributeStore {
  readonly #cols: RowColumns;
  #pool: Uint32Array = new Uint32Array(256);
  #used = 0;
  /** Sum of live rows' attribute counts: when the pool holds far more, it is compacted. */
  #live = 0;
  readonly #pairKey: string[] = [];
  readonly #pairValue: AttributeValue[] = [];
  /** key -> value -> pair id; built on the first attribute write or filter (a Map keyed by the value keeps 1, '1' and true apart). */
  #pairIds: Map<string, Map<AttributeValue, number>> | undefined;
  readonly #postings: RowGroups;

  constructor(cols: RowColumns) {
    this.#cols = cols;
    this.#postings = new RowGroups((emit) =>
      cols.eachLive((row) => {
        for (let i = cols.attrStart[row], end = i + cols.attrCount[row]; i < end; i++) emit(this.#pool[i], row);
      }),
    );
  }

  /** Adopts a decoded section's pool and pairs (the columns' counts and starts already describe the pool). */
  load(pool: Uint32Array, keys: readonly string[], pairKeys: readonly number[], pairValues: readonly AttributeValue[]): void {
    this.#pool = pool;
    this.#used = pool.length;
    this.#live = pool.length;
    for (let p = 0; p < pairKeys.length; p++) {
      this.#pairKey.push(keys[pairKeys[p]]);
      this.#pairValue.push(pairValues[p]);
    }
  }

  /** Copies the pool into this thread's memory if it views shared bytes (MemoryModel, "borrowed"). */
  unshare(): void {
    this.#pool = unsharedColumn(this.#pool, Uint32Array);
  }

  /** Bytes of the attribute pool in use (replaced lists included until a compaction). */
  get byteLength(): number {
    return this.#used * 4;
  }

  /** A row's attributes (frozen). */
  of(row: number): Attributes {
    const cols = this.#cols;
    if (cols.attrCount[row] === 0) return kNoAttributes;
    const attributes: Record<string, AttributeValue> = {};
    for (let i = cols.attrStart[row], end = i + cols.attrCount[row]; i < end; i++)
      attributes[this.#pairKey[this.#pool[i]]] = this.#pairValue[this.#pool[i]];
    return Object.freeze(attributes);
  }

  /** Live rows whose attribute `key` equals `value`. */
  postings(key: string, value: AttributeValue): ReadonlySet<number> {
    const pair = this.#pairIndex().get(key)?.get(value);
    return pair === undefined ? kEmpty : this.#postings.get(pair);
  }

  /** True when every pair of `filter` is among the (live) row's attributes. */
  matches(row: number, filter: Attributes): boolean {
    const start = this.#cols.attrStart[row];
    const end = start + this.#cols.attrCount[row];
    outer: for (const key in filter) {
      for (let i = start; i < end; i++) {
        const pair = this.#pool[i];
        if (this.#pairKey[pair] === key) {
          if (this.#pairValue[pair] !== filter[key]) return false;
          continue outer;
        }
      }
      return false;
    }
    return true;
  }

  /** Replaces a row's attributes (appended to the pool; the old pairs become garbage the pool sheds later). */
  set(row: number, attributes: Attributes): void {
    const cols = this.#cols;
    const oldStart = cols.attrStart[row];
    const oldCount = cols.attrCount[row];
    for (let i = oldStart; i < oldStart + oldCount; i++) this.#postings.delete(this.#pool[i], row);
    this.#live -= oldCount;
    cols.attrCount[row] = 0;
    // Nearly every record has no attributes.
    if (hasNoKeys(attributes)) return;
    const keys = Object.keys(attributes);
    if (this.#used + keys.length > this.#pool.length) this.#reserve(keys.length);
    const start = this.#used;
    const index = this.#pairIndex();
    for (const key of keys) {
      const value = attributes[key];
      let values = index.get(key);
      if (values === undefined) index.set(key, (values = new Map<AttributeValue, number>()));
      let pair = values.get(value);
      if (pair === undefined) {
        values.set(value, (pair = this.#pairKey.length));
        this.#pairKey.push(key);
        this.#pairValue.push(value);
      }
      this.#pool[this.#used++] = pair;
      this.#postings.add(pair, row);
    }
    cols.attrStart[row] = start;
    cols.attrCount[row] = keys.length;
    this.#live += keys.length;
  }

  /** The live rows' attributes as a COLUMNS section stores them. */
  encode(): EncodedAttributes {
    const cols = this.#cols;
    const attrCount = scratchArray(Uint32Array, cols.n);
    const pool: number[] = [];
    const remap = new Map<number, number>();
    const keyIds = new Map<string, number>();
    const out: EncodedAttributes = { attrCount, attrPool: new Uint32Array(0), keys: [], pairKeys: [], pairValues: [] };
    cols.eachLive((row) => {
      const start = cols.attrStart[row];
      attrCount[row] = cols.attrCount[row];
      for (let i = start; i < start + attrCount[row]; i++) {
        const pair = this.#pool[i];
        let dense = remap.get(pair);
        if (dense === undefined) {
          remap.set(pair, (dense = remap.size));
          const key = this.#pairKey[pair];
          let keyId = keyIds.get(key);
          if (keyId === undefined) {
            keyIds.set(key, (keyId = out.keys.length));
            out.keys.push(key);
          }
          out.pairKeys.push(keyId);
          out.pairValues.push(this.#pairValue[pair]);
        }
        pool.push(dense);
      }
    });
    out.attrPool = scratchArray(Uint32Array, pool.length);
    out.attrPool.set(pool);
    return out;
  }

  /** Room for `more` pool entries: grows the pool, or compacts it when replaced lists are most of it. */
  #reserve(more: number): void {
    if (this.#used - this.#live <= this.#live) {
      this.#pool = grownColumn(this.#pool, Uint32Array, Math.max(256, this.#pool.length * 2, this.#used + more), this.#used);
      return;
    }
    const cols = this.#cols;
    const pool = growableColumn(Uint32Array, Math.max(256, (this.#live + more) * 2));
    let at = 0;
    for (let row = 0; row < cols.n; row++) {
      const count = cols.attrCount[row];
      if (count === 0) continue;
      pool.set(this.#pool.subarray(cols.attrStart[row], cols.attrStart[row] + count), at);
      cols.attrStart[row] = at;
      at += count;
    }
    this.#pool = pool;
    this.#used = at;
  }

  #pairIndex(): Map<string, Map<AttributeValue, number>> {
    if (this.#pairIds === undefined) {
      this.#pairIds = new Map();
      for (let p = 0; p < this.#pairKey.length; p++) {
        let values = this.#pairIds.get(this.#pairKey[p]);
        if (values === undefined) this.#pairIds.set(this.#pairKey[p], (values = new Map<AttributeValue, number>()));
        values.set(this.#pairValue[p], p);
      }
    }
    return this.#pairIds;
  }
}
