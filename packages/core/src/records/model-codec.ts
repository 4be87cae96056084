// The memory model <-> the COLUMNS section (columns-codec.ts has its byte layout) and the format-1 RECORDS
// snapshot: a load views the columns and adopts the saved id table instead of rebuilding rows.
import { AttributeStore } from './attribute-store.js';
import { decodeColumns, encodeColumns, kLive, kStringId, type ColumnData } from './columns-codec.js';
import { ModalitySets, NameDictionary } from './dictionary.js';
import { IdIndex, idHash } from './id-index.js';
import { MemoryModel } from './memory-model.js';
import { modelParts } from './model-parts.js';
import { liveRowsPerSet, RowColumns } from './row-columns.js';
import { RowStrings } from './row-strings.js';
import { corrupt } from './snapshot.js';

/** The COLUMNS section's parts: columns as they are, strings and attributes packed. */
export function modelColumns(model: MemoryModel): Uint8Array[] {
  const p = model.parts;
  const c = p.cols;
  const n = c.n;
  const attributes = p.attributes.encode();
  const recall = c.recall.toArrays(n);
  return encodeColumns({
    rows: n,
    live: p.live,
    nextAuto: p.nextAuto,
    flags: c.flags.subarray(0, n),
    idNum: c.idNum.subarray(0, n),
    idHash: c.idHash.subarray(0, n),
    namespace: c.namespace.subarray(0, n),
    entity: c.entity.subarray(0, n),
    importance: c.importance.subarray(0, n),
    timestamp: c.timestamp.subarray(0, n),
    recallCount: recall.counts,
    lastRecalled: recall.lasts,
    modalitySet: c.modalitySet.subarray(0, n),
    attrCount: attributes.attrCount,
    attrPool: attributes.attrPool,
    ...p.strings.encode(c),
    idTable: p.ids.slots,
    dictionary: {
      namespaces: [...p.namespaces.names],
      entities: p.entities.names.slice(1),
      modalitySets: p.modalities.sets,
      keys: attributes.keys,
      pairKeys: attributes.pairKeys,
      pairValues: attributes.pairValues,
    },
  });
}

/**
 * A model from the COLUMNS and EDGES sections: the columns are viewed, not decoded row by row. `vouched` and
 * `stringBytes` (the section's strings read apart): see decodeColumns.
 * @throws FEATHER_ERR_CORRUPT naming what is wrong.
 */
export function modelFromColumns(columns: Uint8Array, edges: unknown, vouched = false, stringBytes?: Uint8Array): MemoryModel {
  const d: ColumnData = decodeColumns(columns, vouched, stringBytes);
  const cols = RowColumns.adopt(d);
  const namespaces = new NameDictionary();
  const entities = new NameDictionary(['']);
  for (const name of d.dictionary.namespaces) namespaces.intern(name);
  for (const name of d.dictionary.entities) entities.intern(name);
  if (namespaces.names.length !== d.dictionary.namespaces.length || entities.names.length !== d.dictionary.entities.length + 1)
    throw corrupt('dictionary', 'a name repeats');
  const modalities = new ModalitySets();
  if (!modalities.load(d.dictionary.modalitySets)) throw corrupt('dictionary', 'modality sets');
  const attributes = new AttributeStore(cols);
  attributes.load(d.attrPool, d.dictionary.keys, d.dictionary.pairKeys, d.dictionary.pairValues);
  const strings = new RowStrings({
    limit: d.rows,
    idOffsets: d.idOffsets,
    idBlob: d.idBlob,
    textOffsets: d.textOffsets,
    textBlob: d.textBlob,
  });
  const perSet = liveRowsPerSet(d.flags, d.modalitySet, modalities.sets.length);
  perSet.forEach((count, set) => {
    for (const m of modalities.sets[set]) modalities.adjust(m, count);
  });
  const parts = modelParts(cols, {
    strings,
    namespaces,
    entities,
    modalities,
    attributes,
    ids: idTable(d, cols, strings),
    live: d.live,
    nextAuto: d.nextAuto,
  });
  parts.edges.load(edges, (row) => cols.isLive(row));
  // Over shared memory (an open's COLUMNS read, which the other thread's model decodes too), borrowed.
  return new MemoryModel(parts, columns.buffer instanceof SharedArrayBuffer);
}

/** The saved id table, adopted as it is (no rehashing of every id on open), or one built with every check. */
function idTable(d: ColumnData, cols: RowColumns, strings: RowStrings): IdIndex {
  if (d.idTable.length > 0) return IdIndex.adopt(d.idTable, (row) => cols.idHash[row]);
  const ids = new IdIndex(d.live, (row) => cols.idHash[row]);
  const { flags } = d;
  const idOf = (row: number): string | number => ((flags[row] & kStringId) === 0 ? d.idNum[row] : strings.id(row));
  const same = (a: number, b: number): boolean => (flags[a] & kStringId) === (flags[b] & kStringId) && idOf(a) === idOf(b);
  for (let row = 0; row < d.rows; row++) {
    if ((flags[row] & kLive) === 0) continue;
    const hash = d.idHash[row];
    if ((flags[row] & kStringId) === 0 && idHash(d.idNum[row]) !== hash) throw corrupt(`row ${row}`, 'the id hash does not match the id');
    if (ids.insertUnique(row, hash, same) >= 0) throw corrupt(`row ${row}`, `duplicate id ${JSON.stringify(idOf(row))}`);
  }
  return ids;
}

/** A model from version-1 RECORDS and EDGES sections (decoded msgpack). */
export function modelFromRecords(records: unknown, edges: unknown): MemoryModel {
  return MemoryModel.fromSnapshot(typeof records === 'object' && records !== null ? { ...records, edges } : records);
}
