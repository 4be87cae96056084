import { FeatherError } from '../errors.js';
import { WriteOrder } from './write-order.js';
import { decodeColumns, encodeColumns, kLive, kRowBlock, kStringId, type ColumnData } from './columns-codec.js';
import { IdIndex, idHash } from './id-index.js';
import { RowGroups } from './row-groups.js';
import { checkSnapshot, corrupt, isFiniteNumber, type ModelSnapshot, type SnapshotEdge, type SnapshotRow } from './snapshot.js';
import type { AttributeValue, Attributes, Edge, MemoryId, MemoryRecord, ModelOp, RecordPatch, UpsertItem } from './types.js';

/** Defaults of a new memory's fields. */
export const kDefaultNamespace = 'default';
export const kDefaultImportance = 1;

/** (namespace, entity) scope keys: namespace · 2^26 + entity stays a safe integer for any realistic store. */
const kEntitySpan = 0x400_0000;

interface StoredEdge {
  from: number;
  to: number;
  type: string;
  weight: number;
}

/** What an upsert did to one record: the writer turns it into index work. */
export interface UpsertEffect {
  row: number;
  created: boolean;
  namespace: number;
  entity: number;
  /** The record's namespace or entity changed: its existing nodes need new tags. */
  retagged: boolean;
  /** The modality whose vector is replaced or added, if any. */
  modality: string | undefined;
}

/** What a forget removed: the row and the modalities whose nodes must be tombstoned. */
export interface ForgetEffect {
  row: number;
  modalities: readonly string[];
}

const kUtf8 = new TextDecoder();
const kUtf8Encoder = new TextEncoder();

/**
 * The memory model: records, ids, namespace and entity dictionaries, attribute postings and the context
 * graph. Deterministic: the same ops in the same order give the same rows and dictionary ids, which is how the
 * facade's mirror and the writer's copy agree without shipping state between threads.
 *
 * Rows are slots of the record table, never reused while the store is open (compaction rebuilds the graphs,
 * not the rows); a forgotten row is a hole. Records live in columns (typed arrays), not one object each: a
 * load copies the file's COLUMNS section into them, and the strings (ids, texts) of loaded rows stay UTF-8
 * until something reads them. Scope sets and attribute postings are built on first use (RowGroups).
 */
export class MemoryModel {
  #n = 0;
  #flags: Uint8Array = new Uint8Array(64);
  #idNum: Float64Array = new Float64Array(64);
  #idHash: Uint32Array = new Uint32Array(64);
  #namespace: Uint32Array = new Uint32Array(64);
  #entity: Uint32Array = new Uint32Array(64);
  #importance: Float64Array = new Float64Array(64);
  #timestamp: Float64Array = new Float64Array(64);
  #recallCount: Float64Array = new Float64Array(64);
  /** NaN = never recalled. */
  #lastRecalled: Float64Array = new Float64Array(64);
  /** When each row was last upserted (getLast). */
  readonly #writeOrder = new WriteOrder();
  #modalitySet: Uint32Array = new Uint32Array(64);
  /** A row's attribute pairs are #attrPool[#attrStart[row] ..][0 .. #attrCount[row]). */
  #attrStart: Uint32Array = new Uint32Array(64);
  #attrCount: Uint32Array = new Uint32Array(64);
  #attrPool: Uint32Array = new Uint32Array(256);
  #poolUsed = 0;
  /** Sum of live rows' attribute counts: when the pool holds far more, it is compacted. */
  #poolLive = 0;
  /** Strings of loaded rows, still UTF-8: rows below `limit` read theirs here unless replaced. */
  #base: { limit: number; idOffsets: Uint32Array; idBlob: Uint8Array; textOffsets: Uint32Array; textBlob: Uint8Array } = { limit: 0, idOffsets: new Uint32Array(1), idBlob: new Uint8Array(0), textOffsets: new Uint32Array(1), textBlob: new Uint8Array(0) };
  /** String ids decoded from the base, and every string id added since the load. */
  readonly #idStrings = new Map<number, string>();
  /** Texts set since the load (they win over the base). */
  readonly #texts = new Map<number, string>();
  #ids = new IdIndex(0, (row) => this.#idHash[row]);
  readonly #namespaces = new Map<string, number>();
  readonly #namespaceNames: string[] = [];
  readonly #entities = new Map<string, number>();
  readonly #entityNames: string[] = [''];
  readonly #modalitySets: string[][] = [[]];
  readonly #modalitySetIds = new Map<string, number>([['', 0]]);
  readonly #modalityCounts = new Map<string, number>();
  readonly #pairKey: string[] = [];
  readonly #pairValue: AttributeValue[] = [];
  /** key -> value -> pair id; built on the first attribute write or filter (a Map keyed by the value keeps 1, '1' and true apart). */
  #pairIds: Map<string, Map<AttributeValue, number>> | undefined;
  readonly #members = new RowGroups((emit) => this.#eachLive((row) => emit(this.#namespace[row], row)));
  readonly #entityMembers = new RowGroups((emit) => this.#eachLive((row) => this.#entity[row] !== 0 && emit(this.#namespace[row] * kEntitySpan + this.#entity[row], row)));
  readonly #entityRows = new RowGroups((emit) => this.#eachLive((row) => this.#entity[row] !== 0 && emit(this.#entity[row], row)));
  readonly #postings = new RowGroups((emit) =>
    this.#eachLive((row) => {
      for (let i = this.#attrStart[row], end = i + this.#attrCount[row]; i < end; i++) emit(this.#attrPool[i], row);
    }),
  );
  readonly #out = new Map<number, StoredEdge[]>();
  readonly #in = new Map<number, StoredEdge[]>();
  #live = 0;
  #nextAuto = 0;
  #version = 0;

  /** Live memories. */
  get size(): number {
    return this.#live;
  }

  /** One past the highest row ever used: the length a row bitmap needs. */
  get rowLimit(): number {
    return this.#n;
  }

  /** Bumped by every write that can change which rows a filter selects (not by recall tracking). */
  get version(): number {
    return this.#version;
  }

  /** The id the next memory added without one gets. */
  peekAutoId(): number {
    return this.#nextAuto;
  }

  rowOf(id: MemoryId): number | undefined {
    const row = this.#find(id);
    return row < 0 ? undefined : row;
  }

  has(id: MemoryId): boolean {
    return this.#find(id) >= 0;
  }

  #find(id: MemoryId): number {
    return this.#ids.find(idHash(id), (row) => this.#holds(row, id));
  }

  #isLive(row: number): boolean {
    return row >= 0 && row < this.#n && (this.#flags[row] & kLive) !== 0;
  }

  /** The public view of a live row, or undefined. */
  record(row: number): MemoryRecord | undefined {
    if (!this.#isLive(row)) return undefined;
    const entity = this.#entity[row];
    const last = this.#lastRecalled[row];
    return {
      id: this.#idOf(row),
      text: this.#textOf(row),
      namespace: this.#namespaceNames[this.#namespace[row]],
      entity: entity === 0 ? null : this.#entityNames[entity],
      importance: this.#importance[row],
      attributes: this.#attributesOf(row),
      timestamp: this.#timestamp[row],
      recallCount: this.#recallCount[row],
      lastRecalled: Number.isNaN(last) ? null : last,
      modalities: [...this.#modalitySets[this.#modalitySet[row]]],
    };
  }

  /** Fields the scorer needs, without building a view. */
  scoringFields(row: number): { importance: number; timestamp: number; recallCount: number } | undefined {
    if (!this.#isLive(row)) return undefined;
    return { importance: this.#importance[row], timestamp: this.#timestamp[row], recallCount: this.#recallCount[row] };
  }

  /** Namespace and entity dictionary sizes (tags must stay below them; entity ids run 1..entityCount). */
  get namespaceCount(): number {
    return this.#namespaceNames.length;
  }

  get entityCount(): number {
    return this.#entityNames.length - 1;
  }

  /** Dictionary ids a row's nodes are tagged with. */
  /** Whether live row `row` has exactly these namespace and entity ids (a check of loaded node tags). */
  tagsMatch(row: number, namespace: number, entity: number): boolean {
    return this.#isLive(row) && this.#namespace[row] === namespace && this.#entity[row] === entity;
  }

  tagsOf(row: number): { namespace: number; entity: number } | undefined {
    return this.#isLive(row) ? { namespace: this.#namespace[row], entity: this.#entity[row] } : undefined;
  }

  namespaceOfRow(row: number): string | undefined {
    return this.#isLive(row) ? this.#namespaceNames[this.#namespace[row]] : undefined;
  }

  /** Dictionary id of a namespace name, or undefined when no memory ever used it. */
  namespaceId(name: string): number | undefined {
    return this.#namespaces.get(name);
  }

  entityId(name: string): number | undefined {
    return this.#entities.get(name);
  }

  /** Live rows of a namespace, an entity (across namespaces) or both. Never mutate the returned set. */
  scopeRows(namespace: number | undefined, entity?: number): ReadonlySet<number> {
    if (namespace === undefined) return entity === undefined ? kEmpty : this.#entityRows.get(entity);
    if (entity === undefined) return this.#members.get(namespace);
    return this.#entityMembers.get(namespace * kEntitySpan + entity);
  }

  /** Live rows whose attribute `key` equals `value`. */
  postings(key: string, value: AttributeValue): ReadonlySet<number> {
    const pair = this.#pairIndex().get(key)?.get(value);
    return pair === undefined ? kEmpty : this.#postings.get(pair);
  }

  /** True when every pair of `filter` is among the row's attributes. */
  matches(row: number, filter: Attributes): boolean {
    if (!this.#isLive(row)) return false;
    const start = this.#attrStart[row];
    const end = start + this.#attrCount[row];
    outer: for (const key in filter) {
      for (let i = start; i < end; i++) {
        const pair = this.#attrPool[i];
        if (this.#pairKey[pair] === key) {
          if (this.#pairValue[pair] !== filter[key]) return false;
          continue outer;
        }
      }
      return false;
    }
    return true;
  }

  /** Live memories holding a vector of `modality`. */
  modalityCount(modality: string): number {
    return this.#modalityCounts.get(modality) ?? 0;
  }

  /** Whether live row `row` holds a vector of `modality`. */
  hasModality(row: number, modality: string): boolean {
    return row < this.#n && (this.#flags[row] & kLive) !== 0 && this.#modalitySets[this.#modalitySet[row]].includes(modality);
  }

  /** Namespaces holding at least one live memory, sorted. */
  listNamespaces(): string[] {
    return [...this.#members.keys()].map((id) => this.#namespaceNames[id]).sort();
  }

  count(namespace?: string): number {
    if (namespace === undefined) return this.#live;
    const id = this.#namespaces.get(namespace);
    return id === undefined ? 0 : this.scopeRows(id).size;
  }

  /**
   * The live row an upsert wrote last (a new memory or an updated one; of a batch, its last row), optionally
   * within a namespace: if that memory was forgotten, the one written before it.
   */
  lastRow(namespace?: string): number | undefined {
    const ns = namespace === undefined ? undefined : this.#namespaces.get(namespace);
    if (namespace !== undefined && ns === undefined) return undefined;
    return this.#writeOrder.last(this.#n, (row) => (this.#flags[row] & kLive) !== 0 && (ns === undefined || this.#namespace[row] === ns));
  }

  /** The WRITE_ORDER section's bytes (see WriteOrder). */
  writeOrderBytes(): Uint8Array {
    return this.#writeOrder.toBytes(this.#n);
  }

  /** Restores the write order saved with these rows (undefined: a file from before it was saved). */
  restoreWriteOrder(bytes: Uint8Array | undefined): void {
    this.#writeOrder.restore(this.#n, bytes);
  }

  /** Every live row, ascending. */
  *liveRows(): IterableIterator<number> {
    for (let row = 0; row < this.#n; row++) if ((this.#flags[row] & kLive) !== 0) yield row;
  }

  #eachLive(visit: (row: number) => unknown): void {
    const flags = this.#flags;
    for (let row = 0; row < this.#n; row++) if ((flags[row] & kLive) !== 0) visit(row);
  }

  /** Outgoing and incoming edges of a live row (edges to forgotten memories are gone). */
  edgesOf(row: number): { outgoing: Edge[]; incoming: Edge[] } {
    return { outgoing: (this.#out.get(row) ?? []).map((e) => this.#edgeView(e)), incoming: (this.#in.get(row) ?? []).map((e) => this.#edgeView(e)) };
  }

  /** Rows adjacent to `row` over outgoing and incoming edges, with the edge walked. */
  neighbours(row: number): { row: number; edge: Edge }[] {
    const result: { row: number; edge: Edge }[] = [];
    for (const e of this.#out.get(row) ?? []) result.push({ row: e.to, edge: this.#edgeView(e) });
    for (const e of this.#in.get(row) ?? []) result.push({ row: e.from, edge: this.#edgeView(e) });
    return result;
  }

  /** The whole model as plain data (rows keep their numbers; holes are null): what integrity checks compare. */
  toSnapshot(): ModelSnapshot {
    const rows: (SnapshotRow | null)[] = [];
    for (let row = 0; row < this.#n; row++) {
      const r = this.record(row);
      rows.push(r === undefined ? null : [r.id, r.text, this.#namespace[row], this.#entity[row], r.importance, r.attributes, r.timestamp, r.recallCount, r.lastRecalled, [...r.modalities]]);
    }
    return { rows, namespaces: [...this.#namespaceNames], entities: this.#entityNames.slice(1), nextAuto: this.#nextAuto, edges: this.edgeList() };
  }

  /** Every edge as [from row, to row, type, weight], by source row (the EDGES section). */
  edgeList(): SnapshotEdge[] {
    const edges: SnapshotEdge[] = [];
    for (const [from, list] of [...this.#out].sort((a, b) => a[0] - b[0])) for (const e of list) edges.push([from, e.to, e.type, e.weight]);
    return edges;
  }

  /** The COLUMNS section's parts (see columns-codec.ts): columns as they are, strings and attributes packed. */
  toColumns(): Uint8Array[] {
    const n = this.#n;
    const idOffsets = new Uint32Array(n + 1);
    const textOffsets = new Uint32Array(n + 1);
    const ids = new ByteList();
    const texts = new ByteList();
    const attrCount = new Uint32Array(n);
    const pool: number[] = [];
    const remap = new Map<number, number>();
    const dictionary = { namespaces: [...this.#namespaceNames], entities: this.#entityNames.slice(1), modalitySets: this.#modalitySets, keys: [] as string[], pairKeys: [] as number[], pairValues: [] as AttributeValue[] };
    const keyIds = new Map<string, number>();
    const base = this.#base;
    for (let row = 0; row < n; row++) {
      if ((this.#flags[row] & kLive) !== 0) {
        if ((this.#flags[row] & kStringId) !== 0) {
          const decoded = row < base.limit ? undefined : this.#idStrings.get(row);
          if (decoded === undefined) ids.push(base.idBlob.subarray(base.idOffsets[row], base.idOffsets[row + 1]));
          else ids.pushString(decoded);
        }
        const text = this.#texts.get(row);
        if (text !== undefined) texts.pushString(text);
        else if (row < base.limit) texts.push(base.textBlob.subarray(base.textOffsets[row], base.textOffsets[row + 1]));
        const start = this.#attrStart[row];
        attrCount[row] = this.#attrCount[row];
        for (let i = start; i < start + attrCount[row]; i++) {
          const pair = this.#attrPool[i];
          let dense = remap.get(pair);
          if (dense === undefined) {
            remap.set(pair, (dense = remap.size));
            const key = this.#pairKey[pair];
            let keyId = keyIds.get(key);
            if (keyId === undefined) {
              keyIds.set(key, (keyId = dictionary.keys.length));
              dictionary.keys.push(key);
            }
            dictionary.pairKeys.push(keyId);
            dictionary.pairValues.push(this.#pairValue[pair]);
          }
          pool.push(dense);
        }
      }
      idOffsets[row + 1] = ids.length;
      textOffsets[row + 1] = texts.length;
    }
    return encodeColumns({
      rows: n,
      live: this.#live,
      nextAuto: this.#nextAuto,
      flags: this.#flags.subarray(0, n),
      idNum: this.#idNum.subarray(0, n),
      idHash: this.#idHash.subarray(0, n),
      namespace: this.#namespace.subarray(0, n),
      entity: this.#entity.subarray(0, n),
      importance: this.#importance.subarray(0, n),
      timestamp: this.#timestamp.subarray(0, n),
      recallCount: this.#recallCount.subarray(0, n),
      lastRecalled: this.#lastRecalled.subarray(0, n),
      modalitySet: this.#modalitySet.subarray(0, n),
      attrCount,
      attrPool: Uint32Array.from(pool),
      idOffsets,
      idBlob: ids.bytes(),
      textOffsets,
      textBlob: texts.bytes(),
      idTable: this.#ids.slots,
      dictionary,
    });
  }

  /**
   * A model from the COLUMNS and EDGES sections: the columns are viewed, not decoded row by row. `vouched`:
   * see decodeColumns.
   * @throws FEATHER_ERR_CORRUPT naming what is wrong.
   */
  static fromColumns(columns: Uint8Array, edges: unknown, vouched = false): MemoryModel {
    const d: ColumnData = decodeColumns(columns, vouched);
    const model = new MemoryModel();
    const n = d.rows;
    model.#n = n;
    model.#flags = d.flags;
    model.#idNum = d.idNum;
    model.#idHash = d.idHash;
    model.#namespace = d.namespace;
    model.#entity = d.entity;
    model.#importance = d.importance;
    model.#timestamp = d.timestamp;
    model.#recallCount = d.recallCount;
    model.#lastRecalled = d.lastRecalled;
    model.#modalitySet = d.modalitySet;
    model.#attrCount = d.attrCount;
    model.#attrPool = d.attrPool;
    model.#poolUsed = d.attrPool.length;
    model.#poolLive = d.attrPool.length;
    model.#attrStart = attributeStarts(d.attrCount);
    model.#base = { limit: n, idOffsets: d.idOffsets, idBlob: d.idBlob, textOffsets: d.textOffsets, textBlob: d.textBlob };
    model.#live = d.live;
    model.#nextAuto = d.nextAuto;
    for (const name of d.dictionary.namespaces) model.#internNamespace(name);
    for (const name of d.dictionary.entities) model.#internEntity(name);
    if (model.#namespaceNames.length !== d.dictionary.namespaces.length || model.#entityNames.length !== d.dictionary.entities.length + 1) throw corrupt('dictionary', 'a name repeats');
    d.dictionary.modalitySets.forEach((set, i) => {
      if (i > 0) model.#modalitySets.push(set);
      model.#modalitySetIds.set(set.join('\u0000'), i);
    });
    if (d.dictionary.modalitySets[0]?.length !== 0 || model.#modalitySetIds.size !== model.#modalitySets.length) throw corrupt('dictionary', 'modality sets');
    for (let p = 0; p < d.dictionary.pairKeys.length; p++) {
      model.#pairKey.push(d.dictionary.keys[d.dictionary.pairKeys[p]]);
      model.#pairValue.push(d.dictionary.pairValues[p]);
    }
    const perSet = liveRowsPerSet(d.flags, d.modalitySet, model.#modalitySets.length);
    const { flags } = d;
    if (d.idTable.length > 0) {
      // The saved table, adopted as it is: no rehashing of every id on open.
      model.#ids = IdIndex.adopt(d.idTable, (row) => model.#idHash[row]);
    } else {
      const ids = (model.#ids = new IdIndex(d.live, (row) => model.#idHash[row]));
      const same = (a: number, b: number): boolean => model.#sameId(a, b);
      for (let row = 0; row < n; row++) {
        if ((flags[row] & kLive) === 0) continue;
        const hash = d.idHash[row];
        if ((flags[row] & kStringId) === 0 && idHash(d.idNum[row]) !== hash) throw corrupt(`row ${row}`, 'the id hash does not match the id');
        if (ids.insertUnique(row, hash, same) >= 0) throw corrupt(`row ${row}`, `duplicate id ${JSON.stringify(model.#idOf(row))}`);
      }
    }
    perSet.forEach((count, set) => {
      for (const m of model.#modalitySets[set]) model.#modalityCounts.set(m, model.modalityCount(m) + count);
    });
    model.#loadEdges(edges);
    return model;
  }

  /**
   * Rebuilds a model from a version-1 RECORDS snapshot (see {@link toSnapshot}), checking every field first.
   * @throws FEATHER_ERR_CORRUPT naming the first field that is not what a snapshot holds.
   */
  static fromSnapshot(value: unknown): MemoryModel {
    const s = checkSnapshot(value);
    const model = new MemoryModel();
    for (const name of s.namespaces) model.#internNamespace(name);
    for (const name of s.entities) model.#internEntity(name);
    s.rows.forEach((row, i) => {
      if (row === null) {
        model.#grow(1);
        model.#n++;
        return;
      }
      const [id, text, namespace, entity, importance, attributes, timestamp, recallCount, lastRecalled, modalities] = row;
      if (model.has(id)) throw corrupt(`rows[${i}]`, `duplicate id ${JSON.stringify(id)}`);
      const r = model.#append(id, text, namespace, entity, importance, timestamp, attributes);
      model.#recallCount[r] = recallCount;
      model.#lastRecalled[r] = lastRecalled ?? Number.NaN;
      for (const m of modalities) model.#addModality(r, m);
    });
    model.#nextAuto = s.nextAuto;
    model.#loadEdges(s.edges);
    return model;
  }

  /** A model from version-1 RECORDS and EDGES sections (decoded msgpack). */
  static fromSections(records: unknown, edges: unknown): MemoryModel {
    return MemoryModel.fromSnapshot(typeof records === 'object' && records !== null ? { ...records, edges } : records);
  }

  #loadEdges(value: unknown): void {
    if (!Array.isArray(value)) throw corrupt('edges', 'not an array');
    (value as unknown[]).forEach((e, i) => {
      const ok = Array.isArray(e) && e.length === 4 && Number.isInteger(e[0]) && Number.isInteger(e[1]) && typeof e[2] === 'string' && isFiniteNumber(e[3]) && e[3] >= 0;
      if (!ok) throw corrupt(`edges[${i}]`, 'not a valid edge');
      const [from, to, type, weight] = e as SnapshotEdge;
      if (!this.#isLive(from) || !this.#isLive(to)) throw corrupt(`edges[${i}]`, 'an edge end is not a live row');
      this.#linkRows(from, to, type, weight);
    });
  }

  /** Applies any op (the WAL replay and writer entry point). */
  apply(op: ModelOp): void {
    switch (op.type) {
      case 'upsert':
        this.upsert(op.items, op.now);
        return;
      case 'update':
        this.update(op.id, op.patch);
        return;
      case 'forget':
        this.forget(op.ids);
        return;
      case 'link':
        this.link(op.from, op.to, op.edgeType, op.weight);
        return;
      case 'touch':
        this.touch(op.rows, op.at);
        return;
      default:
        assertNever(op);
    }
  }

  /** Inserts or updates records. Items must be validated; later items win over earlier ones with the same id. */
  upsert(items: readonly UpsertItem[], now: number): UpsertEffect[] {
    this.#version++;
    const effects: UpsertEffect[] = [];
    for (const item of items) {
      const existing = this.rowOf(item.id);
      const created = existing === undefined;
      const row = created ? this.#create(item, now) : existing;
      const oldNamespace = this.#namespace[row];
      const oldEntity = this.#entity[row];
      if (!created) {
        if (item.text !== undefined) this.#texts.set(row, item.text);
        if (item.importance !== undefined) this.#importance[row] = item.importance;
        if (item.timestamp !== undefined) this.#timestamp[row] = item.timestamp;
        if (item.attributes !== undefined) this.#setAttributes(row, item.attributes);
        if (item.namespace !== undefined || item.entity !== undefined) {
          this.#unscope(row);
          if (item.namespace !== undefined) this.#namespace[row] = this.#internNamespace(item.namespace);
          if (item.entity !== undefined) this.#entity[row] = this.#internEntity(item.entity);
          this.#scope(row);
        }
      }
      if (item.modality !== undefined) this.#addModality(row, item.modality);
      this.#writeOrder.stamp(row);
      const namespace = this.#namespace[row];
      const entity = this.#entity[row];
      effects.push({ row, created, namespace, entity, retagged: !created && (namespace !== oldNamespace || entity !== oldEntity), modality: item.modality });
    }
    return effects;
  }

  /** Changes fields of one record; returns whether its namespace/entity tags changed. */
  update(id: MemoryId, patch: RecordPatch): { row: number; retagged: boolean; namespace: number; entity: number } {
    const row = this.#require(id);
    this.#version++;
    if (patch.text !== undefined) this.#texts.set(row, patch.text);
    if (patch.importance !== undefined) this.#importance[row] = patch.importance;
    if (patch.attributes !== undefined) this.#setAttributes(row, patch.attributes);
    let retagged = false;
    if (patch.entity !== undefined) {
      const entity = this.#internEntity(patch.entity);
      if (entity !== this.#entity[row]) {
        this.#unscope(row);
        this.#entity[row] = entity;
        this.#scope(row);
        retagged = true;
      }
    }
    return { row, retagged, namespace: this.#namespace[row], entity: this.#entity[row] };
  }

  /** Removes records and every edge touching them. All ids must exist (checked before anything changes). */
  forget(ids: readonly MemoryId[]): ForgetEffect[] {
    const rows = ids.map((id) => this.#require(id));
    this.#version++;
    const effects: ForgetEffect[] = [];
    for (const row of new Set(rows)) {
      const modalities = this.#modalitySets[this.#modalitySet[row]];
      this.#unscope(row);
      this.#setAttributes(row, {});
      for (const m of modalities) this.#modalityCounts.set(m, this.modalityCount(m) - 1);
      this.#dropEdges(row);
      this.#ids.delete(row, this.#idHash[row]);
      this.#idStrings.delete(row);
      this.#texts.delete(row);
      this.#flags[row] = 0;
      this.#modalitySet[row] = 0;
      this.#live--;
      effects.push({ row, modalities });
    }
    return effects;
  }

  /** Adds an edge, or re-weights the existing edge of the same type between the same two memories. */
  link(from: MemoryId, to: MemoryId, type: string, weight: number): void {
    this.#linkRows(this.#require(from), this.#require(to), type, weight);
  }

  #linkRows(a: number, b: number, type: string, weight: number): void {
    const out = this.#out.get(a) ?? [];
    const existing = out.find((e) => e.to === b && e.type === type);
    if (existing !== undefined) {
      existing.weight = weight;
      return;
    }
    const edge = { from: a, to: b, type, weight };
    out.push(edge);
    this.#out.set(a, out);
    const incoming = this.#in.get(b) ?? [];
    incoming.push(edge);
    this.#in.set(b, incoming);
  }

  /** Records that searches returned these rows at `at` (rows forgotten meanwhile are skipped). */
  touch(rows: readonly number[], at: number): void {
    for (const row of rows) {
      if (!this.#isLive(row)) continue;
      this.#recallCount[row]++;
      this.#lastRecalled[row] = at;
    }
  }

  #create(item: UpsertItem, now: number): number {
    const row = this.#append(
      item.id,
      item.text ?? '',
      this.#internNamespace(item.namespace ?? kDefaultNamespace),
      this.#internEntity(item.entity ?? null),
      item.importance ?? kDefaultImportance,
      item.timestamp ?? now,
      item.attributes ?? {},
    );
    if (typeof item.id === 'number' && item.id >= this.#nextAuto) this.#nextAuto = item.id + 1;
    return row;
  }

  /** A new live row at the end (dictionary ids already interned). */
  #append(id: MemoryId, text: string, namespace: number, entity: number, importance: number, timestamp: number, attributes: Attributes): number {
    this.#grow(1);
    const row = this.#n++;
    const hash = idHash(id);
    if (typeof id === 'number') {
      this.#flags[row] = kLive;
      this.#idNum[row] = id;
    } else {
      this.#flags[row] = kLive | kStringId;
      this.#idNum[row] = 0;
      this.#idStrings.set(row, id);
    }
    this.#idHash[row] = hash;
    this.#ids.insert(row, hash);
    if (text !== '') this.#texts.set(row, text);
    this.#namespace[row] = namespace;
    this.#entity[row] = entity;
    this.#importance[row] = importance;
    this.#timestamp[row] = timestamp;
    this.#recallCount[row] = 0;
    this.#lastRecalled[row] = Number.NaN;
    this.#modalitySet[row] = 0;
    this.#attrCount[row] = 0;
    this.#live++;
    this.#scope(row);
    this.#setAttributes(row, attributes);
    return row;
  }

  /** Room for `more` rows in every column. */
  #grow(more: number): void {
    const need = this.#n + more;
    if (need <= this.#flags.length) return;
    const capacity = Math.max(need, this.#flags.length * 2);
    const widen = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, make: (k: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.#n));
      return b;
    };
    this.#flags = widen(this.#flags, (k) => new Uint8Array(k));
    this.#idNum = widen(this.#idNum, (k) => new Float64Array(k));
    this.#idHash = widen(this.#idHash, (k) => new Uint32Array(k));
    this.#namespace = widen(this.#namespace, (k) => new Uint32Array(k));
    this.#entity = widen(this.#entity, (k) => new Uint32Array(k));
    this.#importance = widen(this.#importance, (k) => new Float64Array(k));
    this.#timestamp = widen(this.#timestamp, (k) => new Float64Array(k));
    this.#recallCount = widen(this.#recallCount, (k) => new Float64Array(k));
    this.#lastRecalled = widen(this.#lastRecalled, (k) => new Float64Array(k));
    this.#modalitySet = widen(this.#modalitySet, (k) => new Uint32Array(k));
    this.#attrStart = widen(this.#attrStart, (k) => new Uint32Array(k));
    this.#attrCount = widen(this.#attrCount, (k) => new Uint32Array(k));
  }

  #addModality(row: number, modality: string): void {
    const current = this.#modalitySets[this.#modalitySet[row]];
    if (current.includes(modality)) return;
    const next = [...current, modality];
    const key = next.join('\u0000');
    let set = this.#modalitySetIds.get(key);
    if (set === undefined) {
      this.#modalitySetIds.set(key, (set = this.#modalitySets.length));
      this.#modalitySets.push(next);
    }
    this.#modalitySet[row] = set;
    this.#modalityCounts.set(modality, this.modalityCount(modality) + 1);
  }

  /** Replaces a row's attributes (appended to the pool; the old pairs become garbage the pool sheds later). */
  #setAttributes(row: number, attributes: Attributes): void {
    const oldStart = this.#attrStart[row];
    const oldCount = this.#attrCount[row];
    for (let i = oldStart; i < oldStart + oldCount; i++) this.#postings.delete(this.#attrPool[i], row);
    this.#poolLive -= oldCount;
    this.#attrCount[row] = 0;
    const keys = Object.keys(attributes);
    if (keys.length === 0) return;
    if (this.#poolUsed + keys.length > this.#attrPool.length) this.#reservePool(keys.length);
    const start = this.#poolUsed;
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
      this.#attrPool[this.#poolUsed++] = pair;
      this.#postings.add(pair, row);
    }
    this.#attrStart[row] = start;
    this.#attrCount[row] = keys.length;
    this.#poolLive += keys.length;
  }

  /** Room for `more` pool entries: grows the pool, or compacts it when replaced lists are most of it. */
  #reservePool(more: number): void {
    if (this.#poolUsed - this.#poolLive <= this.#poolLive) {
      const pool = new Uint32Array(Math.max(256, this.#attrPool.length * 2, this.#poolUsed + more));
      pool.set(this.#attrPool.subarray(0, this.#poolUsed));
      this.#attrPool = pool;
      return;
    }
    const pool = new Uint32Array(Math.max(256, (this.#poolLive + more) * 2));
    let at = 0;
    for (let row = 0; row < this.#n; row++) {
      const count = this.#attrCount[row];
      if (count === 0) continue;
      pool.set(this.#attrPool.subarray(this.#attrStart[row], this.#attrStart[row] + count), at);
      this.#attrStart[row] = at;
      at += count;
    }
    this.#attrPool = pool;
    this.#poolUsed = at;
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

  #scope(row: number): void {
    const ns = this.#namespace[row];
    const entity = this.#entity[row];
    this.#members.add(ns, row);
    if (entity === 0) return;
    this.#entityMembers.add(ns * kEntitySpan + entity, row);
    this.#entityRows.add(entity, row);
  }

  #unscope(row: number): void {
    const ns = this.#namespace[row];
    const entity = this.#entity[row];
    this.#members.delete(ns, row);
    if (entity === 0) return;
    this.#entityMembers.delete(ns * kEntitySpan + entity, row);
    this.#entityRows.delete(entity, row);
  }

  #dropEdges(row: number): void {
    for (const e of this.#out.get(row) ?? []) removeEdge(this.#in, e.to, e);
    for (const e of this.#in.get(row) ?? []) removeEdge(this.#out, e.from, e);
    this.#out.delete(row);
    this.#in.delete(row);
  }

  #internNamespace(name: string): number {
    let id = this.#namespaces.get(name);
    if (id === undefined) {
      id = this.#namespaceNames.length;
      this.#namespaces.set(name, id);
      this.#namespaceNames.push(name);
    }
    return id;
  }

  #internEntity(name: string | null): number {
    if (name === null) return 0;
    let id = this.#entities.get(name);
    if (id === undefined) {
      id = this.#entityNames.length;
      this.#entities.set(name, id);
      this.#entityNames.push(name);
    }
    return id;
  }

  #require(id: MemoryId): number {
    const row = this.#find(id);
    if (row < 0) {
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', `memory ${JSON.stringify(id)} does not exist (never added, or forgotten); check the id and its type (1 and '1' differ)`, { id });
    }
    return row;
  }

  /** Whether live row `row` holds exactly `id` (type included). */
  #holds(row: number, id: MemoryId): boolean {
    if (typeof id === 'number') return (this.#flags[row] & kStringId) === 0 && this.#idNum[row] === id;
    return (this.#flags[row] & kStringId) !== 0 && this.#idOf(row) === id;
  }

  #sameId(a: number, b: number): boolean {
    const string = this.#flags[a] & kStringId;
    if (string !== (this.#flags[b] & kStringId)) return false;
    return string === 0 ? this.#idNum[a] === this.#idNum[b] : this.#idOf(a) === this.#idOf(b);
  }

  #idOf(row: number): MemoryId {
    if ((this.#flags[row] & kStringId) === 0) return this.#idNum[row];
    let id = this.#idStrings.get(row);
    if (id === undefined) {
      const b = this.#base;
      this.#idStrings.set(row, (id = kUtf8.decode(b.idBlob.subarray(b.idOffsets[row], b.idOffsets[row + 1]))));
    }
    return id;
  }

  #textOf(row: number): string {
    const text = this.#texts.get(row);
    if (text !== undefined || row >= this.#base.limit) return text ?? '';
    const b = this.#base;
    return kUtf8.decode(b.textBlob.subarray(b.textOffsets[row], b.textOffsets[row + 1]));
  }

  #attributesOf(row: number): Attributes {
    const attributes: Record<string, AttributeValue> = {};
    for (let i = this.#attrStart[row], end = i + this.#attrCount[row]; i < end; i++) attributes[this.#pairKey[this.#attrPool[i]]] = this.#pairValue[this.#attrPool[i]];
    return Object.freeze(attributes);
  }

  #edgeView(e: StoredEdge): Edge {
    return { from: this.#idOf(e.from), to: this.#idOf(e.to), type: e.type, weight: e.weight };
  }
}

/** Growable bytes for the string blobs a save writes. */
class ByteList {
  #bytes: Uint8Array = new Uint8Array(1024);
  length = 0;

  push(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  pushString(s: string): void {
    if (s.length === 0) return;
    this.#room(s.length * 3);
    this.length += kUtf8Encoder.encodeInto(s, this.#bytes.subarray(this.length)).written;
  }

  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  #room(more: number): void {
    if (this.length + more <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(this.length + more, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.length));
    this.#bytes = next;
  }
}

const kEmpty: ReadonlySet<number> = new Set();

function removeEdge(index: Map<number, StoredEdge[]>, row: number, edge: StoredEdge): void {
  const list = index.get(row);
  if (list === undefined) return;
  const i = list.indexOf(edge);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) index.delete(row);
}

export function assertNever(value: never): never {
  throw new FeatherError('FEATHER_ERR_INTERNAL', `unexpected variant ${JSON.stringify(value)}`);
}

// An open runs these once per process over every row: in blocks (kRowBlock) through small functions, which
// the engine optimises after their first calls instead of running one long loop in its baseline tiers.

/** Each row's first attribute pair: the prefix sums of the per-row counts. */
function attributeStarts(counts: Uint32Array): Uint32Array {
  const starts = new Uint32Array(counts.length);
  for (let from = 0, at = 0; from < counts.length; from += kRowBlock) at = prefixSums(counts, starts, from, Math.min(counts.length, from + kRowBlock), at);
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
function liveRowsPerSet(flags: Uint8Array, sets: Uint32Array, setCount: number): Uint32Array {
  const perSet = new Uint32Array(setCount);
  for (let from = 0; from < flags.length; from += kRowBlock) countSets(flags, sets, perSet, from, Math.min(flags.length, from + kRowBlock));
  return perSet;
}

function countSets(flags: Uint8Array, sets: Uint32Array, perSet: Uint32Array, from: number, to: number): void {
  for (let row = from; row < to; row++) if ((flags[row] & kLive) !== 0) perSet[sets[row]]++;
}
