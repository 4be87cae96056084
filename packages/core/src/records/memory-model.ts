import { FeatherError } from '../errors.js';
import type { AttributeValue, Attributes, Edge, MemoryId, MemoryRecord, ModelOp, RecordPatch, UpsertItem } from './types.js';

/** Defaults of a new memory's fields. */
export const kDefaultNamespace = 'default';
export const kDefaultImportance = 1;

/** A record as the model keeps it: names interned to dictionary ids, mutable. */
interface Row {
  readonly id: MemoryId;
  readonly row: number;
  text: string;
  namespace: number;
  /** Entity dictionary id; 0 = none. */
  entity: number;
  importance: number;
  attributes: Attributes;
  timestamp: number;
  recallCount: number;
  lastRecalled: number | null;
  modalities: string[];
}

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

/**
 * The memory model: records, ids, namespace and entity dictionaries, attribute postings and the context
 * graph. Deterministic: the same ops in the same order give the same rows and dictionary ids, which is how the
 * facade's mirror and the writer's copy agree without shipping state between threads.
 *
 * Rows are slots of the record table, never reused while the store is open (compaction rebuilds the graphs,
 * not the rows); a forgotten row is a hole.
 */
export class MemoryModel {
  readonly #rows: (Row | undefined)[] = [];
  readonly #byId = new Map<MemoryId, number>();
  readonly #namespaces = new Map<string, number>();
  readonly #namespaceNames: string[] = [];
  readonly #entities = new Map<string, number>();
  readonly #entityNames: string[] = [''];
  /** namespace id -> live rows. */
  readonly #members = new Map<number, Set<number>>();
  /** namespace id -> entity id -> live rows. */
  readonly #entityMembers = new Map<number, Map<number, Set<number>>>();
  /** entity id -> live rows across namespaces. */
  readonly #entityRows = new Map<number, Set<number>>();
  /** attribute key -> value -> live rows (a Map keyed by the value itself keeps 1, '1' and true apart). */
  readonly #postings = new Map<string, Map<AttributeValue, Set<number>>>();
  readonly #modalityCounts = new Map<string, number>();
  readonly #out = new Map<number, StoredEdge[]>();
  readonly #in = new Map<number, StoredEdge[]>();
  #live = 0;
  #nextAuto = 0;
  #version = 0;
  /** False: no namespace/entity scope sets and no attribute postings (the writer plans no searches). */
  readonly #indexed: boolean;

  /**
   * `indexes: false` skips the scope sets and attribute postings that only planning, counting and listing use:
   * the writer's copy needs none of them, and loading a large store then costs about half as much.
   */
  constructor(options: { indexes?: boolean } = {}) {
    this.#indexed = options.indexes ?? true;
  }

  /** Live memories. */
  get size(): number {
    return this.#live;
  }

  /** One past the highest row ever used: the length a row bitmap needs. */
  get rowLimit(): number {
    return this.#rows.length;
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
    return this.#byId.get(id);
  }

  has(id: MemoryId): boolean {
    return this.#byId.has(id);
  }

  /** The public view of a live row, or undefined. */
  record(row: number): MemoryRecord | undefined {
    const r = this.#rows[row];
    return r === undefined ? undefined : this.#view(r);
  }

  /** Fields the scorer needs, without building a view. */
  scoringFields(row: number): { importance: number; timestamp: number; recallCount: number } | undefined {
    return this.#rows[row];
  }

  /** Namespace and entity dictionary sizes (tags must stay below them; entity ids run 1..entityCount). */
  get namespaceCount(): number {
    return this.#namespaceNames.length;
  }

  get entityCount(): number {
    return this.#entityNames.length - 1;
  }

  /** Dictionary ids a row's nodes are tagged with. */
  tagsOf(row: number): { namespace: number; entity: number } | undefined {
    const r = this.#rows[row];
    return r === undefined ? undefined : { namespace: r.namespace, entity: r.entity };
  }

  namespaceOfRow(row: number): string | undefined {
    const r = this.#rows[row];
    return r === undefined ? undefined : this.#namespaceNames[r.namespace];
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
    if (namespace === undefined) return entity === undefined ? kEmpty : (this.#entityRows.get(entity) ?? kEmpty);
    if (entity === undefined) return this.#members.get(namespace) ?? kEmpty;
    return this.#entityMembers.get(namespace)?.get(entity) ?? kEmpty;
  }

  /** Live rows whose attribute `key` equals `value`. */
  postings(key: string, value: AttributeValue): ReadonlySet<number> {
    return this.#postings.get(key)?.get(value) ?? kEmpty;
  }

  /** True when every pair of `filter` is among the row's attributes. */
  matches(row: number, filter: Attributes): boolean {
    const r = this.#rows[row];
    if (r === undefined) return false;
    for (const key in filter) if (r.attributes[key] !== filter[key]) return false;
    return true;
  }

  /** Live memories holding a vector of `modality`. */
  modalityCount(modality: string): number {
    return this.#modalityCounts.get(modality) ?? 0;
  }

  /** Namespaces holding at least one live memory, sorted. */
  listNamespaces(): string[] {
    const names: string[] = [];
    for (const [id, rows] of this.#members) if (rows.size > 0) names.push(this.#namespaceNames[id]);
    return names.sort();
  }

  count(namespace?: string): number {
    if (namespace === undefined) return this.#live;
    const id = this.#namespaces.get(namespace);
    return id === undefined ? 0 : this.scopeRows(id).size;
  }

  /** The live row added last (the highest row), optionally within a namespace. */
  lastRow(namespace?: string): number | undefined {
    const ns = namespace === undefined ? undefined : this.#namespaces.get(namespace);
    if (namespace !== undefined && ns === undefined) return undefined;
    for (let row = this.#rows.length - 1; row >= 0; row--) {
      const r = this.#rows[row];
      if (r !== undefined && (ns === undefined || r.namespace === ns)) return row;
    }
    return undefined;
  }

  /** Every live row, ascending. */
  *liveRows(): IterableIterator<number> {
    for (let row = 0; row < this.#rows.length; row++) if (this.#rows[row] !== undefined) yield row;
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

  /** The whole model as plain data (rows keep their numbers; holes are null), for the file format. */
  toSnapshot(): ModelSnapshot {
    const rows: (SnapshotRow | null)[] = this.#rows.map((r) =>
      r === undefined ? null : [r.id, r.text, r.namespace, r.entity, r.importance, r.attributes, r.timestamp, r.recallCount, r.lastRecalled, r.modalities],
    );
    const edges: SnapshotEdge[] = [];
    for (const [from, list] of [...this.#out].sort((a, b) => a[0] - b[0])) for (const e of list) edges.push([from, e.to, e.type, e.weight]);
    return { rows, namespaces: [...this.#namespaceNames], entities: this.#entityNames.slice(1), nextAuto: this.#nextAuto, edges };
  }

  /**
   * Rebuilds a model from {@link toSnapshot} output (decoded from a file), checking every field first.
   * @throws FEATHER_ERR_CORRUPT naming the first field that is not what a snapshot holds.
   */
  static fromSnapshot(value: unknown, options: { indexes?: boolean } = {}): MemoryModel {
    const s = checkSnapshot(value);
    const model = new MemoryModel(options);
    for (const name of s.namespaces) model.#internNamespace(name);
    for (const name of s.entities) model.#internEntity(name);
    s.rows.forEach((row, i) => {
      if (row === null) {
        model.#rows.push(undefined);
        return;
      }
      const [id, text, namespace, entity, importance, attributes, timestamp, recallCount, lastRecalled, modalities] = row;
      if (model.#byId.has(id)) throw corrupt(`rows[${i}]`, `duplicate id ${JSON.stringify(id)}`);
      const r: Row = { id, row: i, text, namespace, entity, importance, attributes: {}, timestamp, recallCount, lastRecalled, modalities: [...modalities] };
      model.#rows.push(r);
      model.#byId.set(id, i);
      model.#live++;
      model.#scope(r);
      model.#setAttributes(r, attributes, true);
      for (const m of modalities) model.#modalityCounts.set(m, model.modalityCount(m) + 1);
    });
    model.#nextAuto = s.nextAuto;
    s.edges.forEach(([from, to, type, weight], i) => {
      if (model.#rows[from] === undefined || model.#rows[to] === undefined) throw corrupt(`edges[${i}]`, 'an edge end is not a live row');
      model.link(model.#rows[from].id, model.#rows[to].id, type, weight);
    });
    return model;
  }

  /** A model from decoded RECORDS and EDGES sections (see the file format). */
  static fromSections(records: unknown, edges: unknown, options: { indexes?: boolean } = {}): MemoryModel {
    return MemoryModel.fromSnapshot(typeof records === 'object' && records !== null ? { ...records, edges } : records, options);
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
      const existing = this.#byId.get(item.id);
      const r = existing === undefined ? this.#create(item, now) : this.#rows[existing]!;
      const created = existing === undefined;
      const oldNamespace = r.namespace;
      const oldEntity = r.entity;
      if (!created) {
        if (item.text !== undefined) r.text = item.text;
        if (item.importance !== undefined) r.importance = item.importance;
        if (item.timestamp !== undefined) r.timestamp = item.timestamp;
        if (item.attributes !== undefined) this.#setAttributes(r, item.attributes);
        if (item.namespace !== undefined || item.entity !== undefined) {
          this.#unscope(r);
          if (item.namespace !== undefined) r.namespace = this.#internNamespace(item.namespace);
          if (item.entity !== undefined) r.entity = this.#internEntity(item.entity);
          this.#scope(r);
        }
      }
      if (item.modality !== undefined && !r.modalities.includes(item.modality)) {
        r.modalities.push(item.modality);
        this.#modalityCounts.set(item.modality, this.modalityCount(item.modality) + 1);
      }
      effects.push({ row: r.row, created, namespace: r.namespace, entity: r.entity, retagged: !created && (r.namespace !== oldNamespace || r.entity !== oldEntity), modality: item.modality });
    }
    return effects;
  }

  /** Changes fields of one record; returns whether its namespace/entity tags changed. */
  update(id: MemoryId, patch: RecordPatch): { row: number; retagged: boolean; namespace: number; entity: number } {
    const row = this.#require(id);
    this.#version++;
    const r = this.#rows[row]!;
    if (patch.text !== undefined) r.text = patch.text;
    if (patch.importance !== undefined) r.importance = patch.importance;
    if (patch.attributes !== undefined) this.#setAttributes(r, patch.attributes);
    let retagged = false;
    if (patch.entity !== undefined) {
      const entity = this.#internEntity(patch.entity);
      if (entity !== r.entity) {
        this.#unscope(r);
        r.entity = entity;
        this.#scope(r);
        retagged = true;
      }
    }
    return { row, retagged, namespace: r.namespace, entity: r.entity };
  }

  /** Removes records and every edge touching them. All ids must exist (checked before anything changes). */
  forget(ids: readonly MemoryId[]): ForgetEffect[] {
    const rows = ids.map((id) => this.#require(id));
    this.#version++;
    const effects: ForgetEffect[] = [];
    for (const row of new Set(rows)) {
      const r = this.#rows[row]!;
      this.#unscope(r);
      this.#setAttributes(r, {});
      for (const m of r.modalities) this.#modalityCounts.set(m, this.modalityCount(m) - 1);
      this.#dropEdges(row);
      this.#byId.delete(r.id);
      this.#rows[row] = undefined;
      this.#live--;
      effects.push({ row, modalities: r.modalities });
    }
    return effects;
  }

  /** Adds an edge, or re-weights the existing edge of the same type between the same two memories. */
  link(from: MemoryId, to: MemoryId, type: string, weight: number): void {
    const a = this.#require(from);
    const b = this.#require(to);
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
      const r = this.#rows[row];
      if (r === undefined) continue;
      r.recallCount++;
      r.lastRecalled = at;
    }
  }

  #create(item: UpsertItem, now: number): Row {
    const row = this.#rows.length;
    const r: Row = {
      id: item.id,
      row,
      text: item.text ?? '',
      namespace: this.#internNamespace(item.namespace ?? kDefaultNamespace),
      entity: this.#internEntity(item.entity ?? null),
      importance: item.importance ?? kDefaultImportance,
      attributes: {},
      timestamp: item.timestamp ?? now,
      recallCount: 0,
      lastRecalled: null,
      modalities: [],
    };
    this.#rows.push(r);
    this.#byId.set(item.id, row);
    if (typeof item.id === 'number' && item.id >= this.#nextAuto) this.#nextAuto = item.id + 1;
    this.#live++;
    this.#scope(r);
    this.#setAttributes(r, item.attributes ?? {});
    return r;
  }

  /** Replaces a row's attributes; `owned` objects (fresh from a decoder) are adopted instead of copied. */
  #setAttributes(r: Row, attributes: Attributes, owned = false): void {
    if (!this.#indexed) {
      r.attributes = Object.freeze(owned ? attributes : { ...attributes });
      return;
    }
    for (const key in r.attributes) this.#postings.get(key)?.get(r.attributes[key])?.delete(r.row);
    const copy: Record<string, AttributeValue> = owned ? (attributes) : {};
    for (const key in attributes) {
      const value = attributes[key];
      if (!owned) copy[key] = value;
      let values = this.#postings.get(key);
      if (values === undefined) this.#postings.set(key, (values = new Map<AttributeValue, Set<number>>()));
      let rows = values.get(value);
      if (rows === undefined) values.set(value, (rows = new Set()));
      rows.add(r.row);
    }
    r.attributes = Object.freeze(copy);
  }

  #scope(r: Row): void {
    if (!this.#indexed) return;
    let members = this.#members.get(r.namespace);
    if (members === undefined) this.#members.set(r.namespace, (members = new Set()));
    members.add(r.row);
    // Entity 0 (none) is never a scope: searches name an entity. Skipping it halves the work of a load.
    if (r.entity === 0) return;
    let byEntity = this.#entityMembers.get(r.namespace);
    if (byEntity === undefined) this.#entityMembers.set(r.namespace, (byEntity = new Map<number, Set<number>>()));
    let rows = byEntity.get(r.entity);
    if (rows === undefined) byEntity.set(r.entity, (rows = new Set()));
    rows.add(r.row);
    let all = this.#entityRows.get(r.entity);
    if (all === undefined) this.#entityRows.set(r.entity, (all = new Set()));
    all.add(r.row);
  }

  #unscope(r: Row): void {
    this.#members.get(r.namespace)?.delete(r.row);
    this.#entityMembers.get(r.namespace)?.get(r.entity)?.delete(r.row);
    this.#entityRows.get(r.entity)?.delete(r.row);
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
    const row = this.#byId.get(id);
    if (row === undefined) {
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', `memory ${JSON.stringify(id)} does not exist (never added, or forgotten); check the id and its type (1 and '1' differ)`, { id });
    }
    return row;
  }

  #view(r: Row): MemoryRecord {
    return {
      id: r.id,
      text: r.text,
      namespace: this.#namespaceNames[r.namespace],
      entity: r.entity === 0 ? null : this.#entityNames[r.entity],
      importance: r.importance,
      attributes: r.attributes,
      timestamp: r.timestamp,
      recallCount: r.recallCount,
      lastRecalled: r.lastRecalled,
      modalities: [...r.modalities],
    };
  }

  #edgeView(e: StoredEdge): Edge {
    return { from: this.#rows[e.from]!.id, to: this.#rows[e.to]!.id, type: e.type, weight: e.weight };
  }
}

const kEmpty: ReadonlySet<number> = new Set();

/** [id, text, namespace id, entity id, importance, attributes, timestamp, recallCount, lastRecalled, modalities] */
export type SnapshotRow = [MemoryId, string, number, number, number, Attributes, number, number, number | null, string[]];
/** [from row, to row, type, weight] */
export type SnapshotEdge = [number, number, string, number];

/** The model as plain data (see docs/format.md, RECORDS section). */
export interface ModelSnapshot {
  rows: (SnapshotRow | null)[];
  namespaces: string[];
  /** Entity names by id, starting at id 1 (0 = no entity). */
  entities: string[];
  nextAuto: number;
  edges: SnapshotEdge[];
}

function corrupt(where: string, what: string): FeatherError {
  return new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt records section at ${where}: ${what}; restore the file from a backup`, { part: 'records', where });
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Structural check of a decoded snapshot: every type and range a model relies on. */
function checkSnapshot(value: unknown): ModelSnapshot {
  if (typeof value !== 'object' || value === null) throw corrupt('root', 'not an object');
  const s = value as Record<string, unknown>;
  if (!Array.isArray(s['rows']) || !isStringArray(s['namespaces']) || !isStringArray(s['entities']) || !Array.isArray(s['edges'])) throw corrupt('root', 'missing rows, namespaces, entities or edges');
  if (!isFiniteNumber(s['nextAuto']) || !Number.isSafeInteger(s['nextAuto']) || s['nextAuto'] < 0) throw corrupt('nextAuto', 'not a non-negative integer');
  const namespaces = s['namespaces'].length;
  const entities = s['entities'].length;
  (s['rows'] as unknown[]).forEach((row, i) => {
    if (row === null) return;
    const ok =
      Array.isArray(row) &&
      row.length === 10 &&
      ((typeof row[0] === 'string' && row[0].length > 0) || (Number.isSafeInteger(row[0]) && (row[0] as number) >= 0)) &&
      typeof row[1] === 'string' &&
      Number.isInteger(row[2]) && (row[2] as number) >= 0 && (row[2] as number) < namespaces &&
      Number.isInteger(row[3]) && (row[3] as number) >= 0 && (row[3] as number) <= entities &&
      isFiniteNumber(row[4]) && row[4] >= 0 &&
      typeof row[5] === 'object' && row[5] !== null && !Array.isArray(row[5]) &&
      Object.values(row[5] as object).every((v) => typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v)) &&
      isFiniteNumber(row[6]) &&
      Number.isSafeInteger(row[7]) && (row[7] as number) >= 0 &&
      (row[8] === null || isFiniteNumber(row[8])) &&
      isStringArray(row[9]);
    if (!ok) throw corrupt(`rows[${i}]`, 'not a valid record');
  });
  (s['edges'] as unknown[]).forEach((e, i) => {
    const ok = Array.isArray(e) && e.length === 4 && Number.isInteger(e[0]) && Number.isInteger(e[1]) && typeof e[2] === 'string' && isFiniteNumber(e[3]) && e[3] >= 0;
    if (!ok) throw corrupt(`edges[${i}]`, 'not a valid edge');
  });
  return s as unknown as ModelSnapshot;
}

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
