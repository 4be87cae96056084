import type { KernelArena } from '../arena.js';
import { assertNever } from '../errors.js';
import { kLive, kStringId } from './columns-codec.js';
import type { StoredEdge } from './edge-store.js';
import { findRow, idOf, modelParts, type ForgetEffect, type ModelParts, type UpsertEffect } from './model-parts.js';
import {
  addModality,
  appendRow,
  forgetRecords,
  linkRecords,
  requireRow,
  setRecall,
  touchRows,
  unlinkRecords,
  updateRecord,
  upsertRecords,
} from './model-writes.js';
import { SharedRecall } from './recall-columns.js';
import { checkSnapshot, corrupt, type ModelSnapshot, type SnapshotEdge, type SnapshotRow } from './snapshot.js';
import type { AttributeValue, Attributes, Edge, MemoryId, MemoryRecord, ModelOp, RecordPatch, UpsertItems } from './types.js';

/** Bytes per row of the model's columns and write stamp (flags 1, id 8, id hash 4, namespace 4, entity 4, importance 8, timestamp 8, modality set 4, attribute start and count 8, write stamp 8). */
const kRowBytes = 57;

/**
 * The memory model: records, ids, namespace and entity dictionaries, attribute postings and the context
 * graph. Deterministic: the same ops in the same order give the same rows and dictionary ids, which is how the
 * facade's mirror and the writer's copy agree without shipping state between threads.
 *
 * Rows are slots of the record table; a forgotten row is a hole until an upsert names it for a new memory
 * (the facade picks which, docs/adr/0008-slot-reuse-and-epoch-reclamation.md). The parts (model-parts.ts): columns (row-columns.ts), strings
 * that stay UTF-8 until read (row-strings.ts), dictionaries (dictionary.ts), attributes (attribute-store.ts),
 * edges (edge-store.ts) and scope sets (scopes.ts). This class answers reads; writes are model-writes.ts and
 * the file form is model-codec.ts.
 */
export class MemoryModel {
  readonly #p: ModelParts;
  /**
   * The columns still view the shared bytes they were decoded from. An open's two models (the facade's mirror
   * and the writer's) decode the same COLUMNS bytes, read once into shared memory, and neither writes them:
   * each copies its columns into its own memory before its first write (#own). A store that is only read
   * (readOnly, or until its first write) so holds one copy of its records for both threads, and an open
   * copies nothing.
   */
  #borrowed: boolean;

  /** A model of `parts`; `borrowed`: their columns view shared bytes another model may read (see #borrowed). */
  constructor(parts: ModelParts = modelParts(), borrowed = false) {
    this.#p = parts;
    this.#borrowed = borrowed;
  }

  /** The parts, for the codec (model-codec.ts). */
  get parts(): ModelParts {
    return this.#p;
  }

  /** Live memories. */
  get size(): number {
    return this.#p.live;
  }

  /** One past the highest row ever used: the length a row bitmap needs. */
  get rowLimit(): number {
    return this.#p.cols.n;
  }

  /** Bumped by every write that can change which rows a filter selects (not by recall tracking). */
  get version(): number {
    return this.#p.version;
  }

  /** The id the next memory added without one gets. */
  peekAutoId(): number {
    return this.#p.nextAuto;
  }

  rowOf(id: MemoryId): number | undefined {
    const row = findRow(this.#p, id);
    return row < 0 ? undefined : row;
  }

  has(id: MemoryId): boolean {
    return findRow(this.#p, id) >= 0;
  }

  /** The id of `row`, or undefined when it holds no memory: without building its record. */
  idOfRow(row: number): MemoryId | undefined {
    return this.#p.cols.isLive(row) ? idOf(this.#p, row) : undefined;
  }

  /**
   * Appends to `out` the ids of the live rows in [from, to) of namespace id `namespace` (undefined: every
   * namespace) neither created nor recalled at or after `cutoff` (ms): purge's selection, read from the columns
   * alone (a record per row decodes its text and attributes).
   */
  staleIds(namespace: number | undefined, cutoff: number, from: number, to: number, out: MemoryId[]): void {
    const p = this.#p;
    const c = p.cols;
    for (let row = from, end = Math.min(to, c.n); row < end; row++) {
      if (!c.isLive(row) || (namespace !== undefined && c.namespace[row] !== namespace) || !(c.timestamp[row] < cutoff)) continue;
      const last = c.recall.last(row);
      if (Number.isNaN(last) || last < cutoff) out.push(idOf(p, row));
    }
  }

  /** The row of `id`, as a write that needs it checks it. @throws FEATHER_ERR_NOT_FOUND when no memory has it. */
  requireRow(id: MemoryId): number {
    return requireRow(this.#p, id);
  }

  /** Whether `row` holds a memory (without building its record). */
  isLive(row: number): boolean {
    return this.#p.cols.isLive(row);
  }

  /** The rows below rowLimit that hold no memory (forgotten, not reused), highest first. */
  holes(): number[] {
    const p = this.#p;
    const holes: number[] = [];
    // One loop over the flags, and none at all in a store without holes (an open builds the free list from it).
    if (p.live === p.cols.n) return holes;
    const flags = p.cols.flags;
    for (let row = p.cols.n - 1; row >= 0; row--) if ((flags[row] & kLive) === 0) holes.push(row);
    return holes;
  }

  /** The public view of a live row, or undefined. */
  record(row: number): MemoryRecord | undefined {
    const p = this.#p;
    const c = p.cols;
    if (!c.isLive(row)) return undefined;
    const entity = c.entity[row];
    const last = c.recall.last(row);
    return {
      id: (c.flags[row] & kStringId) === 0 ? c.idNum[row] : p.strings.id(row),
      text: p.strings.text(row),
      namespace: p.namespaces.names[c.namespace[row]],
      entity: entity === 0 ? null : p.entities.names[entity],
      importance: c.importance[row],
      attributes: p.attributes.of(row),
      timestamp: c.timestamp[row],
      recallCount: c.recall.count(row),
      lastRecalled: Number.isNaN(last) ? null : last,
      modalities: p.modalities.sets[c.modalitySet[row]],
    };
  }

  /** Fields the scorer needs, without building a view. */
  scoringFields(row: number): { importance: number; timestamp: number; recallCount: number } | undefined {
    const c = this.#p.cols;
    if (!c.isLive(row)) return undefined;
    return { importance: c.importance[row], timestamp: c.timestamp[row], recallCount: c.recall.count(row) };
  }

  /** Namespace and entity dictionary sizes (tags must stay below them; entity ids run 1..entityCount). */
  get namespaceCount(): number {
    return this.#p.namespaces.names.length;
  }

  get entityCount(): number {
    return this.#p.entities.names.length - 1;
  }

  /** Whether live row `row` has exactly these namespace and entity ids (a check of loaded node tags). */
  tagsMatch(row: number, namespace: number, entity: number): boolean {
    const c = this.#p.cols;
    return c.isLive(row) && c.namespace[row] === namespace && c.entity[row] === entity;
  }

  /** Dictionary ids a row's nodes are tagged with. */
  tagsOf(row: number): { namespace: number; entity: number } | undefined {
    const c = this.#p.cols;
    return c.isLive(row) ? { namespace: c.namespace[row], entity: c.entity[row] } : undefined;
  }

  namespaceOfRow(row: number): string | undefined {
    const c = this.#p.cols;
    return c.isLive(row) ? this.#p.namespaces.names[c.namespace[row]] : undefined;
  }

  /** Dictionary id of a namespace name, or undefined when no memory ever used it. */
  namespaceId(name: string): number | undefined {
    return this.#p.namespaces.id(name);
  }

  entityId(name: string): number | undefined {
    return this.#p.entities.id(name);
  }

  /** Live rows of a namespace, an entity (across namespaces) or both. Never mutate the returned set. */
  scopeRows(namespace: number | undefined, entity?: number): ReadonlySet<number> {
    return this.#p.scopes.rows(namespace, entity);
  }

  /** How many live rows namespace id `namespace` has (counted, without building its set of rows). */
  namespaceSize(namespace: number): number {
    return this.#p.scopes.namespaceSize(namespace);
  }

  /** Whether any scope's set of rows was built (scopeRows builds them on first use; a test reads this). */
  get scopesBuilt(): boolean {
    return this.#p.scopes.built;
  }

  /** Live rows whose attribute `key` equals `value`. */
  postings(key: string, value: AttributeValue): ReadonlySet<number> {
    return this.#p.attributes.postings(key, value);
  }

  /** True when every pair of `filter` is among the row's attributes. */
  matches(row: number, filter: Attributes): boolean {
    return this.#p.cols.isLive(row) && this.#p.attributes.matches(row, filter);
  }

  /** Live memories holding a vector of `modality`. */
  modalityCount(modality: string): number {
    return this.#p.modalities.count(modality);
  }

  /** Whether live row `row` holds a vector of `modality`. */
  hasModality(row: number, modality: string): boolean {
    const c = this.#p.cols;
    return c.isLive(row) && this.#p.modalities.sets[c.modalitySet[row]].includes(modality);
  }

  /** Namespaces holding at least one live memory, sorted. */
  listNamespaces(): string[] {
    return [...this.#p.scopes.namespaces()].map((id) => this.#p.namespaces.names[id]).sort();
  }

  count(namespace?: string): number {
    if (namespace === undefined) return this.#p.live;
    const id = this.#p.namespaces.id(namespace);
    return id === undefined ? 0 : this.namespaceSize(id);
  }

  /**
   * The live row an upsert wrote last (a new memory or an updated one; of a batch, its last row), optionally
   * within a namespace: if that memory was forgotten, the one written before it.
   */
  lastRow(namespace?: string): number | undefined {
    const c = this.#p.cols;
    const ns = namespace === undefined ? undefined : this.#p.namespaces.id(namespace);
    if (namespace !== undefined && ns === undefined) return undefined;
    return this.#p.writeOrder.last(c.n, (row) => (c.flags[row] & kLive) !== 0 && (ns === undefined || c.namespace[row] === ns));
  }

  /**
   * Bytes this model's records hold (outside the shared memory): per row its fields and write stamp (57 bytes),
   * its attribute pairs (4 bytes each), its id and text as UTF-8 with their offsets, and the id table. Edges,
   * the name dictionaries and the postings a filter builds are not counted (JS objects; small beside the rest
   * unless a store holds many edges). The facade's mirror and the writer's model each hold this much.
   */
  recordBytes(): number {
    const p = this.#p;
    return p.cols.n * kRowBytes + p.attributes.byteLength + p.strings.byteLength + p.ids.byteLength;
  }

  /**
   * Of recordBytes, those in shared memory that the other thread's model reads too: the ids and texts of the
   * file an open read (never copied: readModelSections). The columns an open's models share until their first
   * writes (#borrowed) are not counted here.
   */
  sharedRecordBytes(): number {
    return this.#p.strings.sharedBytes;
  }

  /** The WRITE_ORDER section's bytes (see WriteOrder). */
  writeOrderBytes(): Uint8Array {
    return this.#p.writeOrder.toBytes(this.#p.cols.n);
  }

  /** Restores the write order saved with these rows (undefined: a file from before it was saved). */
  restoreWriteOrder(bytes: Uint8Array | undefined): void {
    this.#p.writeOrder.restore(this.#p.cols.n, bytes);
  }

  /** Every live row, ascending. */
  *liveRows(): IterableIterator<number> {
    const c = this.#p.cols;
    for (let row = 0; row < c.n; row++) if ((c.flags[row] & kLive) !== 0) yield row;
  }

  /** Outgoing and incoming edges of a live row (edges to forgotten memories are gone). */
  edgesOf(row: number): { outgoing: Edge[]; incoming: Edge[] } {
    const edges = this.#p.edges;
    return { outgoing: edges.outgoing(row).map((e) => this.#edgeView(e)), incoming: edges.incoming(row).map((e) => this.#edgeView(e)) };
  }

  /** Rows adjacent to `row` over outgoing and incoming edges, with the edge walked. */
  neighbours(row: number): { row: number; edge: Edge }[] {
    const result: { row: number; edge: Edge }[] = [];
    for (const e of this.#p.edges.outgoing(row)) result.push({ row: e.to, edge: this.#edgeView(e) });
    for (const e of this.#p.edges.incoming(row)) result.push({ row: e.from, edge: this.#edgeView(e) });
    return result;
  }

  /** The whole model as plain data (rows keep their numbers; holes are null): what integrity checks compare. */
  toSnapshot(): ModelSnapshot {
    const c = this.#p.cols;
    const rows: (SnapshotRow | null)[] = [];
    for (let row = 0; row < c.n; row++) {
      const r = this.record(row);
      rows.push(
        r === undefined
          ? null
          : [
              r.id,
              r.text,
              c.namespace[row],
              c.entity[row],
              r.importance,
              r.attributes,
              r.timestamp,
              r.recallCount,
              r.lastRecalled,
              [...r.modalities],
            ],
      );
    }
    return {
      rows,
      namespaces: [...this.#p.namespaces.names],
      entities: this.#p.entities.names.slice(1),
      nextAuto: this.#p.nextAuto,
      edges: this.edgeList(),
    };
  }

  /** Every edge as [from row, to row, type, weight], by source row (the EDGES section). */
  edgeList(): SnapshotEdge[] {
    return this.#p.edges.list();
  }

  /**
   * Rebuilds a model from a version-1 RECORDS snapshot (see {@link toSnapshot}), checking every field first.
   * @throws FEATHER_ERR_CORRUPT naming the first field that is not what a snapshot holds.
   */
  static fromSnapshot(value: unknown): MemoryModel {
    const s = checkSnapshot(value);
    const p = modelParts();
    const c = p.cols;
    for (const name of s.namespaces) p.namespaces.intern(name);
    for (const name of s.entities) p.entities.intern(name);
    s.rows.forEach((row, i) => {
      if (row === null) {
        c.grow(1);
        c.n++;
        return;
      }
      const [id, text, namespace, entity, importance, attributes, timestamp, recallCount, lastRecalled, modalities] = row;
      if (findRow(p, id) >= 0) throw corrupt(`rows[${i}]`, `duplicate id ${JSON.stringify(id)}`);
      const r = appendRow(p, { id, text, namespace, entity, importance, timestamp, attributes });
      c.recall.set(r, recallCount, lastRecalled ?? Number.NaN);
      for (const m of modalities) addModality(p, r, m);
    });
    p.nextAuto = s.nextAuto;
    p.edges.load(s.edges, (row) => c.isLive(row));
    return new MemoryModel(p);
  }

  /** Applies any op (the WAL replay and writer entry point). */
  apply(op: ModelOp): void {
    switch (op.type) {
      case 'upsert':
        // The effects are the writer's (StoreEngine calls upsert): none is built for a mirror's or a replay's op.
        this.#own();
        upsertRecords(this.#p, op.items, op.now, undefined);
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
      case 'unlink':
        this.unlink(op.from, op.to, op.edgeType);
        return;
      case 'touch':
        this.touch(op.rows, op.at);
        return;
      case 'recall':
        if (this.#borrowed) this.#p.cols.recall.unshare();
        setRecall(this.#p, op.rows, op.counts, op.lasts);
        return;
      default:
        assertNever(op);
    }
  }

  /** Inserts or updates records. Items must be validated; later items win over earlier ones with the same id. */
  upsert(items: UpsertItems, now: number): UpsertEffect[] {
    this.#own();
    const effects: UpsertEffect[] = [];
    upsertRecords(this.#p, items, now, effects);
    return effects;
  }

  /** Changes fields of one record; returns whether its namespace/entity tags changed. */
  update(id: MemoryId, patch: RecordPatch): { row: number; retagged: boolean; namespace: number; entity: number } {
    this.#own();
    return updateRecord(this.#p, id, patch);
  }

  /** Removes records and every edge touching them. All ids must exist (checked before anything changes). */
  forget(ids: readonly MemoryId[]): ForgetEffect[] {
    this.#own();
    return forgetRecords(this.#p, ids);
  }

  /** Adds an edge, or re-weights the existing edge of the same type between the same two memories. */
  link(from: MemoryId, to: MemoryId, type: string, weight: number): void {
    linkRecords(this.#p, from, to, type, weight);
  }

  /** Removes the edges from one memory to another of `type` (every type when null); returns how many. Both ids must exist. */
  unlink(from: MemoryId, to: MemoryId, type: string | null): number {
    return unlinkRecords(this.#p, from, to, type);
  }

  /** Records that searches returned these rows at `at` (rows forgotten meanwhile are skipped). */
  touch(rows: readonly number[], at: number): void {
    // Only the recall columns change (the mirror's are in the kernel memory by then: nothing to copy).
    if (this.#borrowed) this.#p.cols.recall.unshare();
    touchRows(this.#p, rows, at);
  }

  /**
   * Moves this model's recall columns into the shared memory, at the chunk table `table` (see
   * recall-columns.ts), keeping their values: this model then owns them and every search it ranks bumps
   * them in place. The facade's mirror does this once its open has replayed the WAL.
   */
  shareRecall(arena: KernelArena, table: number): void {
    const c = this.#p.cols;
    c.recall = SharedRecall.own(arena, table, c.recall, c.n, c.flags.length);
  }

  /**
   * Reads the recall columns another model owns (shareRecall) instead of its own: from now on this model
   * skips every recall write (the owner made it already). The writer's model does this at the end of its open.
   */
  attachRecall(arena: KernelArena, table: number): void {
    this.#p.cols.recall = SharedRecall.attach(arena, table);
  }

  /** The recall state of live rows, for the WAL: what a `recall` op replays (rows forgotten meanwhile are left out). */
  recallOp(rows: Iterable<number>): Extract<ModelOp, { type: 'recall' }> {
    const c = this.#p.cols;
    const op: Extract<ModelOp, { type: 'recall' }> = { type: 'recall', rows: [], counts: [], lasts: [] };
    for (const row of rows) {
      if (!c.isLive(row)) continue;
      const last = c.recall.last(row);
      op.rows.push(row);
      op.counts.push(c.recall.count(row));
      op.lasts.push(Number.isNaN(last) ? null : last);
    }
    return op;
  }

  /** Before a write that may change any column: the borrowed columns copied into this thread's memory. */
  #own(): void {
    if (!this.#borrowed) return;
    const p = this.#p;
    p.cols.unshare();
    p.ids.unshare();
    p.attributes.unshare();
    p.strings.unshare();
    this.#borrowed = false;
  }

  #edgeView(e: StoredEdge): Edge {
    return { from: idOf(this.#p, e.from), to: idOf(this.#p, e.to), type: e.type, weight: e.weight };
  }
}
