// The COLUMNS section (docs/format.md): the memory model as columns a load copies, not objects it decodes.
//
//   offset  size  field (all little-endian)
//        0     4  layout (1)
//        4     4  rows n (one past the highest row ever used; forgotten rows are holes)
//        8     4  live rows
//       12     4  attribute pool length P (u32 entries)
//       16     8  next auto id (f64)
//       24     4  id blob bytes
//       28     4  text blob bytes
//       32     4  dictionary bytes
//       36     4  id table slots S (a power of two, or 0: the loader builds the table)
//       40    24  reserved (0)
//       64        columns, each starting on an 8-byte boundary:
//                 flags u8[n] (bit 0 live, bit 1 string id), idNum f64[n], idHash u32[n], namespace u32[n],
//                 entity u32[n], importance f64[n], timestamp f64[n], recallCount f64[n],
//                 lastRecalled f64[n] (NaN = never), modalitySet u32[n], attrCount u32[n], attrPool u32[P],
//                 idOffsets u32[n + 1], textOffsets u32[n + 1], idTable i32[S] (row + 1, 0 empty, -1 deleted:
//                 the id -> row hash table as it was in memory), id blob (UTF-8), text blob (UTF-8),
//                 dictionary (msgpack { namespaces, entities, modalitySets, keys, pairKeys, pairValues })
import { encode, unpack } from '../format/msgpack.js';
import { FeatherError } from '../errors.js';
import type { AttributeValue } from './types.js';

const kLayout = 1;
/** The COLUMNS header's bytes (columnsStringsAt needs this many). */
export const kColumnsHeaderBytes = 64;
const kHeaderBytes = kColumnsHeaderBytes;

export const kLive = 1;
export const kStringId = 2;

/** The model's state as the section holds it (pair ids dense, attribute lists back to back in row order). */
export interface ColumnData {
  rows: number;
  live: number;
  nextAuto: number;
  flags: Uint8Array;
  idNum: Float64Array;
  idHash: Uint32Array;
  namespace: Uint32Array;
  entity: Uint32Array;
  importance: Float64Array;
  timestamp: Float64Array;
  recallCount: Float64Array;
  lastRecalled: Float64Array;
  modalitySet: Uint32Array;
  attrCount: Uint32Array;
  attrPool: Uint32Array;
  idOffsets: Uint32Array;
  idBlob: Uint8Array;
  textOffsets: Uint32Array;
  textBlob: Uint8Array;
  /** The id hash table's slots (IdIndex), or empty. */
  idTable: Int32Array;
  dictionary: ColumnDictionary;
}

interface ColumnDictionary {
  namespaces: string[];
  /** By id from 1 (0 = no entity). */
  entities: string[];
  /** Modality names of each distinct set a row can hold. */
  modalitySets: (readonly string[])[];
  /** Attribute keys; pair p is (keys[pairKeys[p]], pairValues[p]). */
  keys: string[];
  pairKeys: number[];
  pairValues: AttributeValue[];
}

type Column = Uint8Array | Uint32Array | Int32Array | Float64Array;

function columnsOf(d: ColumnData): Column[] {
  return [
    d.flags,
    d.idNum,
    d.idHash,
    d.namespace,
    d.entity,
    d.importance,
    d.timestamp,
    d.recallCount,
    d.lastRecalled,
    d.modalitySet,
    d.attrCount,
    d.attrPool,
    d.idOffsets,
    d.textOffsets,
    d.idTable,
    d.idBlob,
    d.textBlob,
  ];
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The section's bytes, as parts to write back to back. */
export function encodeColumns(d: ColumnData): Uint8Array[] {
  const dictionary = encode(d.dictionary);
  const head = new DataView(new ArrayBuffer(kHeaderBytes));
  head.setUint32(0, kLayout, true);
  head.setUint32(4, d.rows, true);
  head.setUint32(8, d.live, true);
  head.setUint32(12, d.attrPool.length, true);
  head.setFloat64(16, d.nextAuto, true);
  head.setUint32(24, d.idBlob.length, true);
  head.setUint32(28, d.textBlob.length, true);
  head.setUint32(32, dictionary.length, true);
  head.setUint32(36, d.idTable.length, true);
  const parts: Uint8Array[] = [new Uint8Array(head.buffer)];
  for (const c of columnsOf(d)) {
    parts.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    const pad = align8(c.byteLength) - c.byteLength;
    if (pad > 0) parts.push(new Uint8Array(pad));
  }
  parts.push(dictionary);
  return parts;
}

/** A COLUMNS section's header, and where its parts lie. */
interface ColumnsLayout {
  n: number;
  live: number;
  pool: number;
  nextAuto: number;
  idBytes: number;
  textBytes: number;
  dictBytes: number;
  slots: number;
  /** Where the id blob starts: the columns before it, the strings and the dictionary after. */
  stringsAt: number;
  /** The section's length by the header's sizes. */
  length: number;
}

/** The layout the header at the start of `bytes` (at least kHeaderBytes) announces. @throws FEATHER_ERR_CORRUPT. */
function layoutOf(bytes: Uint8Array): ColumnsLayout {
  if (bytes.length < kHeaderBytes) throw corrupt('header', `${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== kLayout) throw corrupt('header', `layout ${v.getUint32(0, true)}`);
  const n = v.getUint32(4, true);
  const pool = v.getUint32(12, true);
  const idBytes = v.getUint32(24, true);
  const textBytes = v.getUint32(28, true);
  const dictBytes = v.getUint32(32, true);
  const slots = v.getUint32(36, true);
  if (slots !== 0 && (slots & (slots - 1)) !== 0) throw corrupt('header', `id table of ${slots} slots`);
  const columns = [n, n * 8, n * 4, n * 4, n * 4, n * 8, n * 8, n * 8, n * 8, n * 4, n * 4, pool * 4, (n + 1) * 4, (n + 1) * 4, slots * 4];
  const stringsAt = columns.reduce((sum, size) => sum + align8(size), kHeaderBytes);
  const length = stringsAt + align8(idBytes) + align8(textBytes) + dictBytes;
  return { n, live: v.getUint32(8, true), pool, nextAuto: v.getFloat64(16, true), idBytes, textBytes, dictBytes, slots, stringsAt, length };
}

/**
 * Where a COLUMNS section of `length` bytes, whose first bytes are `head`, splits into its columns and its
 * strings (an open reads the two into separate shared buffers: the strings are never copied, the columns are
 * once each model writes); `length` itself when the header does not add up (decodeColumns then says why).
 */
export function columnsStringsAt(head: Uint8Array, length: number): number {
  try {
    const layout = layoutOf(head);
    return layout.length === length ? layout.stringsAt : length;
  } catch {
    return length;
  }
}

/**
 * The section as columns (views of `bytes`, exact lengths: the model grows them on its next write),
 * checking every size, range and cross-reference a model relies on (the section checksum has already caught
 * damage; this catches a file that is well-formed but not one we wrote). `vouched`: another thread runs the per-row checks on these same
 * bytes (the writer, while the facade builds its mirror), so only sizes and the dictionary are checked here.
 * `strings`: the section's bytes from its id blob on, when read apart from the columns (columnsStringsAt).
 * The id and text blobs stay views of their bytes, shared memory included (nothing ever writes them).
 * @throws FEATHER_ERR_CORRUPT naming the part that is wrong.
 */
export function decodeColumns(bytes: Uint8Array, vouched = false, strings?: Uint8Array): ColumnData {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1)
    throw new FeatherError('FEATHER_ERR_INTERNAL', 'feather-db needs a little-endian machine');
  const layout = layoutOf(bytes);
  const { n, live, pool, nextAuto, idBytes, textBytes, dictBytes, slots } = layout;
  const length = bytes.length + (strings?.length ?? 0);
  if (layout.length !== length) throw corrupt('header', `sizes add up to ${layout.length} bytes, the section has ${length}`);
  if (strings !== undefined && layout.stringsAt !== bytes.length) throw corrupt('header', 'the strings do not start where the columns end');
  if (!Number.isSafeInteger(nextAuto) || nextAuto < 0) throw corrupt('header', 'next auto id');
  let at = kHeaderBytes;
  // Columns are views of `bytes` when it is 8-byte aligned (a fresh read is), else copies.
  const aligned = bytes.byteOffset % 8 === 0;
  const take = <T extends Column>(
    make: (buffer: ArrayBufferLike, offset: number, length: number) => T,
    width: number,
    length: number,
  ): T => {
    const size = length * width;
    const column = aligned ? make(bytes.buffer, bytes.byteOffset + at, length) : make(bytes.slice(at, at + size).buffer, 0, length);
    at += align8(size);
    return column;
  };
  const u8 = (b: ArrayBufferLike, o: number, k: number): Uint8Array => new Uint8Array(b, o, k);
  const u32 = (b: ArrayBufferLike, o: number, k: number): Uint32Array => new Uint32Array(b, o, k);
  const f64 = (b: ArrayBufferLike, o: number, k: number): Float64Array => new Float64Array(b, o, k);
  const i32 = (b: ArrayBufferLike, o: number, k: number): Int32Array => new Int32Array(b, o, k);
  // In the section's order: each take moves `at` on.
  const columns = {
    flags: take(u8, 1, n),
    idNum: take(f64, 8, n),
    idHash: take(u32, 4, n),
    namespace: take(u32, 4, n),
    entity: take(u32, 4, n),
    importance: take(f64, 8, n),
    timestamp: take(f64, 8, n),
    recallCount: take(f64, 8, n),
    lastRecalled: take(f64, 8, n),
    modalitySet: take(u32, 4, n),
    attrCount: take(u32, 4, n),
    attrPool: take(u32, 4, pool),
    idOffsets: take(u32, 4, n + 1),
    textOffsets: take(u32, 4, n + 1),
    idTable: take(i32, 4, slots),
  };
  const tail = strings ?? bytes.subarray(at);
  const textAt = align8(idBytes);
  const dictAt = textAt + align8(textBytes);
  const d: ColumnData = {
    rows: n,
    live,
    nextAuto,
    ...columns,
    idBlob: tail.subarray(0, idBytes),
    textBlob: tail.subarray(textAt, textAt + textBytes),
    // msgpack's decoder does not accept shared bytes: the dictionary (small) is copied out of them.
    dictionary: decodeDictionary(unshared(tail.subarray(dictAt, dictAt + dictBytes))),
  };
  if (!vouched) checkColumns(d);
  return d;
}

function unshared(bytes: Uint8Array): Uint8Array {
  return bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

function decodeDictionary(bytes: Uint8Array): ColumnDictionary {
  let value: unknown;
  try {
    value = unpack(bytes);
  } catch (error) {
    throw corrupt('dictionary', `does not decode (${(error as Error).message})`);
  }
  const d = value as Partial<ColumnDictionary> | null;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (typeof d !== 'object' || d === null || !strings(d.namespaces) || !strings(d.entities) || !strings(d.keys))
    throw corrupt('dictionary', 'names');
  if (!Array.isArray(d.modalitySets) || !d.modalitySets.every(strings)) throw corrupt('dictionary', 'modality sets');
  const keys = d.keys.length;
  if (!Array.isArray(d.pairKeys) || !Array.isArray(d.pairValues) || d.pairKeys.length !== d.pairValues.length)
    throw corrupt('dictionary', 'attribute pairs');
  if (!d.pairKeys.every((k) => Number.isInteger(k) && k >= 0 && k < keys)) throw corrupt('dictionary', 'attribute keys');
  if (!d.pairValues.every((x) => typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))))
    throw corrupt('dictionary', 'attribute values');
  return d as ColumnDictionary;
}

/**
 * Rows per call of the per-row loops an open runs once per process (checks here, prefix sums and counts in
 * the model): a small function called per block is optimised after its first calls, long before the last.
 */
export const kRowBlock = 4096;

/**
 * Every range and cross-reference. An open runs this once per process, so the row checks run in blocks
 * through one function, which the engine optimises after its first calls (a single pass over every row
 * would mostly run in the baseline tiers before on-stack replacement caught up).
 */
function checkColumns(d: ColumnData): void {
  const { rows: n, dictionary, attrPool } = d;
  const ids = d.idOffsets;
  const texts = d.textOffsets;
  if (ids[0] !== 0 || texts[0] !== 0 || ids[n] !== d.idBlob.length || texts[n] !== d.textBlob.length)
    throw corrupt('strings', 'offsets do not span the blobs');
  const limits = [dictionary.namespaces.length, dictionary.entities.length + 1, dictionary.modalitySets.length];
  let live = 0;
  let pool = 0;
  for (let r = 0; r < n; r += kRowBlock) {
    const counts = checkRows(d, r, Math.min(n, r + kRowBlock), limits);
    live += counts[0];
    pool += counts[1];
  }
  if (live !== d.live) throw corrupt('header', `${d.live} live rows announced, ${live} found`);
  if (pool !== attrPool.length) throw corrupt('attributes', 'counts do not add up to the pool');
  const pairs = dictionary.pairKeys.length;
  for (let i = 0; i < pool; i += kRowBlock) checkPairs(attrPool, i, Math.min(pool, i + kRowBlock), pairs);
  if (d.idTable.length > 0) checkIdTable(d.idTable, d.flags, live);
}

/** Rows [from, to): flags, string offsets, tags below `limits` (namespaces, entities, modality sets), fields. Returns [live rows, attribute pairs]. */
function checkRows(d: ColumnData, from: number, to: number, limits: number[]): [number, number] {
  const { flags, attrCount, idNum, importance, timestamp, recallCount, lastRecalled, namespace, entity, modalitySet } = d;
  const ids = d.idOffsets;
  const texts = d.textOffsets;
  const [namespaces, entities, sets] = limits;
  let live = 0;
  let pool = 0;
  for (let r = from; r < to; r++) {
    const f = flags[r];
    const idBytes = ids[r + 1] - ids[r];
    const textBytes = texts[r + 1] - texts[r];
    if (idBytes < 0 || textBytes < 0) throw corrupt(`row ${r}`, 'string offsets go backwards');
    pool += attrCount[r];
    if (f === 0) {
      if (attrCount[r] !== 0 || idBytes !== 0 || textBytes !== 0) throw corrupt(`row ${r}`, 'a forgotten row holds data');
      continue;
    }
    if (f === kLive) {
      if (idBytes !== 0) throw corrupt(`row ${r}`, 'a numeric id holds string bytes');
      const id = idNum[r];
      if (!(id >= 0 && id <= Number.MAX_SAFE_INTEGER && Math.floor(id) === id)) throw corrupt(`row ${r}`, 'the numeric id is out of range');
    } else if (f === (kLive | kStringId)) {
      if (idBytes === 0) throw corrupt(`row ${r}`, 'a string id is empty');
    } else {
      throw corrupt(`row ${r}`, `flags ${f}`);
    }
    live++;
    if (namespace[r] >= namespaces || entity[r] >= entities || modalitySet[r] >= sets) throw corrupt(`row ${r}`, 'a tag is out of range');
    const v = importance[r];
    const t = timestamp[r];
    const c = recallCount[r];
    const last = lastRecalled[r];
    // NaN fails every comparison below; lastRecalled may be NaN (never recalled) but not infinite.
    if (!(v >= 0 && v < Number.POSITIVE_INFINITY)) throw corrupt(`row ${r}`, 'importance is out of range');
    if (!(t > Number.NEGATIVE_INFINITY && t < Number.POSITIVE_INFINITY)) throw corrupt(`row ${r}`, 'the timestamp is not finite');
    if (!(c >= 0 && c <= Number.MAX_SAFE_INTEGER && Math.floor(c) === c)) throw corrupt(`row ${r}`, 'the recall count is out of range');
    if (last === Number.POSITIVE_INFINITY || last === Number.NEGATIVE_INFINITY)
      throw corrupt(`row ${r}`, 'the last recall time is infinite');
  }
  return [live, pool];
}

function checkPairs(pool: Uint32Array, from: number, to: number, pairs: number): void {
  for (let i = from; i < to; i++) if (pool[i] >= pairs) throw corrupt('attributes', `pair ${pool[i]} of ${pairs}`);
}

/** Every live row once, nothing else (where each sits is the hash's business: the checksum vouches for it). */
function checkIdTable(table: Int32Array, flags: Uint8Array, live: number): void {
  const seen = new Uint8Array(flags.length);
  let held = 0;
  for (let i = 0; i < table.length; i += kRowBlock) held += checkSlots(table, i, Math.min(table.length, i + kRowBlock), flags, seen);
  if (held !== live || held * 2 > table.length) throw corrupt('id table', `${held} rows in ${table.length} slots for ${live} live rows`);
}

/** Slots [from, to) of the id table: each holds nothing or a live row not seen before. Returns the rows held. */
function checkSlots(table: Int32Array, from: number, to: number, flags: Uint8Array, seen: Uint8Array): number {
  const n = flags.length;
  let held = 0;
  for (let i = from; i < to; i++) {
    const slot = table[i];
    if (slot === 0 || slot === -1) continue;
    if (slot < 1 || slot > n || flags[slot - 1] === 0 || seen[slot - 1] !== 0) throw corrupt('id table', `slot holds row ${slot - 1}`);
    seen[slot - 1] = 1;
    held++;
  }
  return held;
}

function corrupt(where: string, what: string): FeatherError {
  return new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt records (COLUMNS section) at ${where}: ${what}; restore the file from a backup`, {
    part: 'records',
    where,
  });
}
