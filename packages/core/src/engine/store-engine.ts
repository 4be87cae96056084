// The synchronous store engine: one store's model, indexes, files and WAL, driven by the writer worker (and by
// tests in-process). It mutates only through ops, in order; the writer wraps each call in a Reply.
import type { KernelArena } from '../arena.js';
import { FeatherError } from '../errors.js';
import { encode } from '../format/msgpack.js';
import { saveStore, type StoreMeta } from '../format/store-codec.js';
import { FailClosed } from './fail-closed.js';
import { finishShared, loadStore, prepareShared, type PreparedLoad } from '../open/writer-load.js';
import type { FileIo } from '../format/file-io.js';
import { HnswIndex } from '../hnsw/hnsw-index.js';
import type { NodeTags } from '../hnsw/types.js';
import { checkIntegrity } from '../records/integrity.js';
import { MemoryModel } from '../records/memory-model.js';
import { createSlot, publishGeneration } from '../records/modality-slot.js';
import { RowMap } from '../records/row-map.js';
import type { ModelOp } from '../records/types.js';
import { encodeWrite, type LoggedWrite } from '../wal/op-codec.js';
import { WalWriter, type Durability, type WalAppend } from '../wal/wal.js';
import {
  checkDeclared,
  type EngineOpenResult,
  type EngineOpenSpec,
  type RepairJob,
  type StorageChange,
  type WriteRequest,
  type WriteResult,
} from './engine-types.js';
import { buildNext, commitNext, linkPending, range, scheduleLinks, type Modality } from './rebuild.js';
import { beginIndexRepair, GenerationLimbo, kRepairTaskSize } from './slot-reuse.js';
import { replayWal } from './wal-replay.js';

/**
 * One open store: the authoritative memory model, every modality's index and row map, the file and the WAL.
 * Turns each op's effects into index work, logs every write (one WAL group per `writeMany`) and saves.
 */
export class StoreEngine {
  readonly #arena: KernelArena;
  readonly #io: FileIo;
  #model = new MemoryModel();
  readonly #modalities = new Map<string, Modality>();
  #meta: StoreMeta | undefined;
  #path = '';
  #wal: WalWriter | undefined;
  #durability: Durability = 'fsync';
  #seq = 0;
  readonly #closed = new FailClosed(() => this.#path);
  /** What prepare() read, until open() attaches the graphs. */
  #prepared: PreparedLoad | undefined;
  /** Generations compaction swapped out, until no reader holds them (slot-reuse.ts). */
  readonly #limbo: GenerationLimbo;
  /** Indexes with a repair between beginRepair and commitRepair. */
  readonly #repairing = new Set<HnswIndex>();

  constructor(arena: KernelArena, io: FileIo) {
    this.#arena = arena;
    this.#io = io;
    this.#limbo = new GenerationLimbo(arena);
  }

  /** The model (the writer's authoritative copy). */
  get model(): MemoryModel {
    return this.#model;
  }

  /** The current index and row map of each modality. */
  modalities(): Map<string, { index: HnswIndex; rows: RowMap }> {
    const out = new Map<string, { index: HnswIndex; rows: RowMap }>();
    for (const [name, m] of this.#modalities) out.set(name, { index: m.index, rows: m.rows });
    return out;
  }

  /**
   * The writer's share of an open whose load another thread planned (openShared; see prepareShared), run side
   * by side with that thread. open() then finishes the load.
   * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO, FEATHER_ERR_INVALID_ARGUMENT (no plan).
   */
  prepare(spec: EngineOpenSpec): void {
    if (spec.load === undefined || spec.fd === undefined)
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `prepare(${spec.path}) needs the opening thread's descriptor and load plan`);
    this.#prepared = prepareShared(this.#io, this.#arena, spec.path, {
      fd: spec.fd,
      load: spec.load,
      columns: spec.columns,
      strings: spec.strings,
    });
  }

  /**
   * Opens (or creates) the store: loads the file or, after prepare(), finishes the load it took part in (every
   * thread's tasks done); then replays the WAL.
   */
  open(spec: EngineOpenSpec): EngineOpenResult {
    this.#path = spec.path;
    this.#durability = spec.durability;
    const io = this.#io;
    const pending: WriteResult = { jobs: [], visible: [] };
    let created = false;
    let persistedGraphs: string[] = [];
    let fileSeq: number | null = null;
    if (io.exists(spec.path)) {
      const prepared = this.#prepared;
      this.#prepared = undefined;
      const loaded =
        prepared === undefined
          ? loadStore(io, spec.path, this.#arena, spec.fd)
          : finishShared(io, this.#arena, spec.path, spec.fd, prepared);
      this.#model = loaded.model;
      this.#meta = loaded.meta;
      this.#seq = loaded.commitSeq;
      fileSeq = loaded.commitSeq;
      persistedGraphs = loaded.persistedGraphs;
      checkDeclared(spec, loaded.meta);
      for (const m of loaded.meta.modalities)
        this.#install(m.name, loaded.modalities.get(m.name)!.index, loaded.modalities.get(m.name)!.rows);
      for (const p of loaded.pending) scheduleLinks(this.#modality(p.modality).index, range(p.first, p.count), true, pending);
      for (const [name, m] of Object.entries(spec.modalities ?? {}))
        if (!this.#modalities.has(name)) this.#addModality(name, m.dim, m.metric);
      if (spec.modelId !== undefined && this.#meta.modelId === '') this.#meta.modelId = spec.modelId;
    } else {
      if (spec.readOnly)
        throw new FeatherError('FEATHER_ERR_NOT_FOUND', `${spec.path} does not exist; a readOnly open needs an existing store`, {
          path: spec.path,
        });
      if (spec.modalities === undefined)
        throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${spec.path} does not exist: creating it needs options.dim`, {
          path: spec.path,
        });
      this.#meta = { m: spec.m, efConstruction: spec.efConstruction, efSearch: spec.efSearch, modelId: spec.modelId ?? '', modalities: [] };
      for (const [name, m] of Object.entries(spec.modalities)) this.#addModality(name, m.dim, m.metric);
      // The empty store goes to disk at once: a WAL always continues a file that exists.
      this.#saveTo(spec.path, 'always');
      created = true;
    }
    const replay = replayWal(io, spec, this.#seq, (write) => this.#replay(write, pending));
    this.#seq = replay.seq;
    this.#wal = replay.wal;
    const { replayed, replayedOps } = replay;
    // From now on the recall columns are the mirror's (it fills them with the same values: the file's, then the
    // WAL's ops), read here for saves and checks.
    if (spec.recallTable !== undefined) this.#model.attachRecall(this.#arena, spec.recallTable);
    const slots: Record<string, number> = {};
    for (const [name, m] of this.#modalities) slots[name] = m.slot;
    return { slots, meta: this.#meta, pending, created, replayed, replayedOps, persistedGraphs, fileSeq };
  }

  /** Bytes in the WAL (0 for a readOnly store): what an automatic save watches. */
  get walBytes(): number {
    return this.#wal?.bytes ?? 0;
  }

  /** The model as msgpack (what the facade's mirror starts from). */
  snapshot(): Uint8Array {
    return encode(this.#model.toSnapshot());
  }

  /** Applies writes in order and logs them as one WAL group (one fdatasync under 'fsync'). */
  writeMany(writes: readonly WriteRequest[]): WriteResult[] {
    this.#closed.check();
    this.#limbo.reclaim();
    const results: WriteResult[] = [];
    const records: WalAppend[] = [];
    // Upserts that queued together (concurrent adds) are linked by the pool even when each is small.
    let upserts = 0;
    for (const w of writes) if (w.op.type === 'upsert' && Object.keys(w.vectors).length > 0) upserts++;
    try {
      for (const w of writes) {
        const result: WriteResult = { jobs: [], visible: [] };
        this.#apply(w.op, w.vectors, w.parallel, result, upserts > 1);
        results.push(result);
        records.push({ seq: this.#seq + records.length + 1, payload: encodeWrite({ op: w.op, vectors: w.vectors }) });
      }
    } finally {
      // Log exactly what was applied, even when a later write of the group failed.
      this.#log(records);
    }
    return results;
  }

  /**
   * Opens a repair of every modality's tombstones (docs/adr/0008): they become the retiring set, and the
   * returned jobs (the pass over every node, for the pool) re-link the graph around them. Run the jobs once
   * every insert job issued before this call has finished, then commitRepair. `taskNodes`: nodes per job.
   */
  beginRepair(taskNodes: number = kRepairTaskSize): RepairJob[] {
    this.#closed.check();
    this.#limbo.reclaim();
    const jobs: RepairJob[] = [];
    for (const m of this.#modalities.values()) {
      const begun = beginIndexRepair(m.index, taskNodes);
      if (begun.length > 0) this.#repairing.add(m.index);
      jobs.push(...begun);
    }
    return jobs;
  }

  /** Ends the open repairs once their pass ran: the retiring sets retire (reusable once no reader holds them). */
  commitRepair(): { retired: number } {
    let retired = 0;
    const current = new Set([...this.#modalities.values()].map((m) => m.index));
    for (const index of this.#repairing) {
      if (current.has(index)) retired += index.recycler.commitRepair();
      else index.recycler.abandonRepair();
    }
    this.#repairing.clear();
    return { retired };
  }

  /** The fault that closed this engine for changes, if one did. */
  get failure(): FeatherError | undefined {
    return this.#closed.failure;
  }

  /** Builds fresh indexes of the live nodes (optionally in another storage); link the jobs, then commit. */
  beginRebuild(modalities: readonly string[], change: StorageChange | undefined): WriteResult {
    this.#closed.check();
    this.#limbo.reclaim();
    if (change !== undefined)
      this.#log([{ seq: this.#seq + 1, payload: encodeWrite({ op: { type: 'storage', ...change }, vectors: {} }) }]);
    const result: WriteResult = { jobs: [], visible: [] };
    for (const name of modalities) this.#buildNext(name, change, true, result);
    return result;
  }

  /** Publishes the rebuilt indexes to readers (one atomic swap per modality). */
  commitRebuild(): { bytesUsed: number } {
    this.#commitNext();
    return { bytesUsed: this.#arena.bytesUsed() };
  }

  /** Writes the store to `target` (default: its own path, then an empty WAL continues the new file). */
  save(target: string | undefined, graph: 'auto' | 'always' | 'never'): { bytes: number; ms: number; graphs: string[] } {
    this.#closed.check();
    const started = performance.now();
    const own = target === undefined || target === this.#path;
    let result: { bytes: number; graphs: string[] };
    try {
      result = this.#saveTo(target ?? this.#path, graph);
    } catch (error) {
      // Failed before the rename: the old file and its WAL still hold everything, and the store goes on.
      // Failed after it (the directory sync): the new file may or may not be the one a crash leaves.
      if (own && error instanceof FeatherError && error.details?.['renamed'] === true) this.#closed.fail(error, 'a save');
      throw error;
    }
    if (own && this.#wal !== undefined) {
      // The file now holds every write up to #seq: start an empty log continuing it. A crash between the
      // rename and this leaves the old log, whose records are all <= the file's commit and are skipped.
      const old = this.#wal;
      this.#wal = undefined;
      try {
        this.#wal = WalWriter.create(this.#io, `${this.#path}.wal`, this.#seq, this.#durability);
      } catch (error) {
        // The file holds every write; appends must not go to a log that may no longer be the store's.
        this.#closed.fail(error, 'starting the WAL after a save');
        throw error;
      } finally {
        // Every record of the old log is in the file: what it still buffers (durability 'none') is not needed.
        old.abandon();
      }
    }
    return { ...result, ms: performance.now() - started };
  }

  /** Cross-checks model, row maps and graphs (see checkIntegrity). */
  verify(): string[] {
    return checkIntegrity(this.#model, this.modalities());
  }

  /** Flushes and closes the WAL. */
  close(): void {
    this.#wal?.close();
    this.#wal = undefined;
  }

  #saveTo(path: string, graph: 'auto' | 'always' | 'never'): { bytes: number; graphs: string[] } {
    const modalities = new Map<string, { index: HnswIndex; rows: RowMap }>();
    for (const [name, m] of this.#modalities) modalities.set(name, { index: m.index, rows: m.rows });
    return saveStore(this.#io, path, { meta: this.#meta!, model: this.#model, modalities, commitSeq: this.#seq, graph });
  }

  #log(records: WalAppend[]): void {
    if (records.length === 0) return;
    this.#seq += records.length;
    try {
      this.#wal?.append(records);
    } catch (error) {
      // Applied but maybe not logged (or logged but not synced: after a failed fsync nothing can be trusted).
      this.#closed.fail(error, 'a WAL append');
      throw error;
    }
  }

  /** Applies one WAL record (replayWal turns what it throws into FEATHER_ERR_CORRUPT). */
  #replay(write: LoggedWrite, pending: WriteResult): void {
    if (write.op.type !== 'storage') {
      this.#apply(write.op, write.vectors, true, pending);
      return;
    }
    const { modality, storage, maxAbs } = write.op;
    linkPending(this.#modality(modality).index, pending);
    this.#buildNext(modality, { modality, storage, maxAbs }, false, { jobs: [], visible: [] });
    this.#commitNext();
  }

  /** `grouped`: the op came with other upserts in one group, so the pool links its nodes whatever their count. */
  #apply(op: ModelOp, vectors: Record<string, Float32Array>, parallel: boolean, result: WriteResult, grouped = false): void {
    switch (op.type) {
      case 'upsert':
        this.#upsert(op, vectors, parallel, result, grouped);
        return;
      case 'update': {
        const effect = this.#model.update(op.id, op.patch);
        if (effect.retagged) this.#retag(effect.row, effect.namespace, effect.entity);
        return;
      }
      case 'forget':
        for (const effect of this.#model.forget(op.ids)) {
          for (const name of effect.modalities) {
            const m = this.#modality(name);
            const node = m.rows.get(effect.row);
            if (node >= 0) m.index.delete(node);
            m.rows.set(effect.row, -1);
          }
        }
        return;
      case 'link':
      case 'unlink':
      case 'touch':
      case 'recall':
        this.#model.apply(op);
        return;
    }
  }

  #upsert(
    op: Extract<ModelOp, { type: 'upsert' }>,
    vectors: Record<string, Float32Array>,
    parallel: boolean,
    result: WriteResult,
    grouped: boolean,
  ): void {
    // Every modality named exists (a batch slice's rows name one).
    if (!Array.isArray(op.items)) this.#modality(op.items.modality);
    else for (const item of op.items) if (item.modality !== undefined) this.#modality(item.modality);
    const effects = this.#model.upsert(op.items, op.now);
    const byModality = new Map<string, ModalityRows>();
    for (const effect of effects) {
      if (effect.retagged) this.#retag(effect.row, effect.namespace, effect.entity);
      if (effect.modality === undefined) continue;
      let rows = byModality.get(effect.modality);
      if (rows === undefined) byModality.set(effect.modality, (rows = { tags: [], vectorOf: undefined, slotOf: undefined, given: 0 }));
      // The op's vectors of this modality are its items' in order: this effect's is the next one.
      const vector = rows.given++;
      // Only a memory that existed when its item was applied can have come earlier in the op: the rows' slots
      // are looked up (and kept from then on) once one does, so a load of new memories builds no map.
      if (!effect.created) rows.slotOf ??= new Map(rows.tags.map((t, i) => [t.row, i]));
      const slot = rows.slotOf?.get(effect.row);
      if (slot !== undefined) {
        // The same memory again in this op (an addBatch naming an id twice): the later vector wins, and the row
        // still gets one node (two would leave one of them live and mapped by no row).
        rows.tags[slot] = effect;
        // Until a row repeats, tags[i] takes the op's vector i.
        (rows.vectorOf ??= rows.tags.map((_, i) => i))[slot] = vector;
        continue;
      }
      const m = this.#modality(effect.modality);
      // A new vector replaces the old node: tombstone it (searches briefly miss this memory until the new
      // node is linked).
      const old = m.rows.get(effect.row);
      if (old >= 0) m.index.delete(old);
      rows.slotOf?.set(effect.row, rows.tags.length);
      // The effect is the node's tags (row, namespace, entity): no second object per row.
      rows.tags.push(effect);
      rows.vectorOf?.push(vector);
    }
    for (const [name, { tags, vectorOf }] of byModality) {
      const m = this.#modality(name);
      // Free slots first (docs/adr/0008), then new ids.
      const nodes = m.index.reserveManyReusing(keptVectors(vectors[name], m.index.dim, vectorOf), tags);
      tags.forEach((t, i) => m.rows.set(t.row, nodes[i]));
      scheduleLinks(m.index, nodes, parallel, result, grouped);
    }
  }

  #buildNext(name: string, change: StorageChange | undefined, parallel: boolean, result: WriteResult): void {
    buildNext(this.#arena, { meta: this.#meta!, model: this.#model, name, m: this.#modality(name) }, change, parallel, result);
  }

  #commitNext(): void {
    commitNext(this.#arena, this.#modalities, this.#limbo, this.#meta!);
  }

  #retag(row: number, namespace: number, entity: number): void {
    for (const m of this.#modalities.values()) {
      const node = m.rows.get(row);
      if (node >= 0) m.index.setTags(node, namespace, entity);
    }
  }

  #addModality(name: string, dim: number, metric: StoreMeta['modalities'][number]['metric']): void {
    const spec = this.#meta!;
    const index = HnswIndex.create(this.#arena, { dim, metric, m: spec.m, efConstruction: spec.efConstruction, efSearch: spec.efSearch });
    spec.modalities.push({ name, dim, metric, maxAbs: null });
    this.#install(name, index, RowMap.create(this.#arena));
  }

  #install(name: string, index: HnswIndex, rows: RowMap): void {
    const slot = createSlot(this.#arena);
    publishGeneration(this.#arena, slot, { index: index.address, rowMap: rows.table });
    this.#modalities.set(name, { slot, index, rows });
  }

  #modality(name: string): Modality {
    const m = this.#modalities.get(name);
    if (m === undefined) throw new FeatherError('FEATHER_ERR_INTERNAL', `the writer has no modality ${JSON.stringify(name)}`);
    return m;
  }
}

/** An upsert's rows of one modality: each row once (its node's tags), and which of the op's vectors it takes. */
interface ModalityRows {
  tags: NodeTags[];
  /**
   * vectorOf[i]: the index, among the op's vectors of this modality, of the one tags[i]'s row takes; undefined
   * while no row repeated (tags[i] takes vector i).
   */
  vectorOf: number[] | undefined;
  /** Each row's index in tags, once a row that existed before the op is met (undefined until then). */
  slotOf: Map<number, number> | undefined;
  /** The op's vectors of this modality. */
  given: number;
}

/** The rows of `vectors` (`dim` each) that `vectorOf` keeps, in its order: `vectors` itself when undefined. */
function keptVectors(vectors: Float32Array, dim: number, vectorOf: readonly number[] | undefined): Float32Array {
  if (vectorOf === undefined) return vectors;
  const kept = new Float32Array(vectorOf.length * dim);
  vectorOf.forEach((from, i) => kept.set(vectors.subarray(from * dim, (from + 1) * dim), i * dim));
  return kept;
}
