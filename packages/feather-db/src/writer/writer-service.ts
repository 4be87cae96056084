import {
  createSlot,
  FeatherError,
  HnswIndex,
  KernelArena,
  MemoryModel,
  publishGeneration,
  RowMap,
  type ModelOp,
  type NodeTags,
  type WireError,
} from '@feather-db/core';
import type { InsertJob, Reply, SharedInit, StorageChange, StoreSpec, WriteResult, WriterApi } from '../protocol.js';

/** Upserts with at least this many new nodes in one modality are linked by the pool, not the writer. */
const kParallelMinNodes = 256;

/** Runs `fn` and turns any thrown error into a wire reply (non-Feather errors become FEATHER_ERR_INTERNAL). */
export function toReply<T>(fn: () => T): Reply<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}

export function toWire(error: unknown): WireError {
  if (error instanceof FeatherError) return error.toWire();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'FEATHER_ERR_INTERNAL', message: `Unexpected error in a worker: ${message}` };
}

interface Modality {
  slot: number;
  index: HnswIndex;
  rows: RowMap;
  /** A rebuilt generation waiting for commitRebuild. */
  next?: { index: HnswIndex; rows: RowMap };
}

/**
 * The single writer: the only code that mutates the store. Its methods run one at a time on the writer
 * thread, in the order the facade called them. It keeps the authoritative memory model (the facade keeps a
 * mirror fed the same ops) and turns each op's effects into index work: reserve and tag nodes, tombstone,
 * re-tag.
 */
export class WriterService implements WriterApi {
  readonly #arena: KernelArena;
  readonly #model = new MemoryModel();
  readonly #modalities = new Map<string, Modality>();
  #spec: StoreSpec | undefined;

  constructor(init: SharedInit) {
    this.#arena = KernelArena.attach(init.memory, init.module);
  }

  init(spec: StoreSpec): Reply<Record<string, number>> {
    return toReply(() => {
      this.#spec = spec;
      const slots: Record<string, number> = {};
      for (const [name, m] of Object.entries(spec.modalities)) {
        const index = HnswIndex.create(this.#arena, { dim: m.dim, metric: m.metric, m: spec.m, efConstruction: spec.efConstruction, efSearch: spec.efSearch });
        const rows = RowMap.create(this.#arena);
        const slot = createSlot(this.#arena);
        publishGeneration(this.#arena, slot, { index: index.address, rowMap: rows.table });
        this.#modalities.set(name, { slot, index, rows });
        slots[name] = slot;
      }
      return slots;
    });
  }

  write(op: ModelOp, vectors: Record<string, Float32Array>, parallel: boolean): Reply<WriteResult> {
    return toReply(() => {
      const result: WriteResult = { jobs: [], visible: [] };
      switch (op.type) {
        case 'upsert':
          this.#upsert(op, vectors, parallel, result);
          break;
        case 'update': {
          const effect = this.#model.update(op.id, op.patch);
          if (effect.retagged) this.#retag(effect.row, effect.namespace, effect.entity);
          break;
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
          break;
        case 'link':
        case 'touch':
          this.#model.apply(op);
          break;
      }
      return result;
    });
  }

  beginRebuild(modalities: string[], change: StorageChange | undefined): Reply<WriteResult> {
    return toReply(() => {
      const spec = this.#spec!;
      const result: WriteResult = { jobs: [], visible: [] };
      for (const name of modalities) {
        const m = this.#modality(name);
        const storage = change?.modality === name ? change.storage : m.index.storage;
        const maxAbs = change?.modality === name ? change.maxAbs : Number.POSITIVE_INFINITY;
        const index = HnswIndex.create(this.#arena, { dim: m.index.dim, metric: m.index.metric, m: spec.m, efConstruction: spec.efConstruction, efSearch: spec.efSearch, storage, maxAbs });
        const rows = RowMap.create(this.#arena);
        m.next = { index, rows };
        const live: number[] = [];
        for (const row of this.#model.liveRows()) if (m.rows.get(row) >= 0) live.push(row);
        if (live.length === 0) continue;
        const vectors = new Float32Array(live.length * index.dim);
        const tags: NodeTags[] = [];
        live.forEach((row, i) => {
          vectors.set(m.index.getVector(m.rows.get(row)), i * index.dim);
          tags.push({ row, ...this.#model.tagsOf(row)! });
        });
        const first = index.reserveMany(vectors, tags);
        live.forEach((row, i) => rows.set(row, first + i));
        this.#schedule(index, first, live.length, true, result);
      }
      return result;
    });
  }

  commitRebuild(): Reply<{ bytesUsed: number }> {
    return toReply(() => {
      for (const m of this.#modalities.values()) {
        if (m.next === undefined) continue;
        publishGeneration(this.#arena, m.slot, { index: m.next.index.address, rowMap: m.next.rows.table });
        m.index = m.next.index;
        m.rows = m.next.rows;
        delete m.next;
      }
      return { bytesUsed: this.#arena.bytesUsed() };
    });
  }

  #upsert(op: Extract<ModelOp, { type: 'upsert' }>, vectors: Record<string, Float32Array>, parallel: boolean, result: WriteResult): void {
    const effects = this.#model.upsert(op.items, op.now);
    const byModality = new Map<string, NodeTags[]>();
    for (const effect of effects) {
      if (effect.retagged) this.#retag(effect.row, effect.namespace, effect.entity);
      if (effect.modality === undefined) continue;
      const m = this.#modality(effect.modality);
      // A new vector replaces the old node: tombstone it (searches briefly miss this memory until the new
      // node is linked).
      const old = m.rows.get(effect.row);
      if (old >= 0) m.index.delete(old);
      let tags = byModality.get(effect.modality);
      if (tags === undefined) byModality.set(effect.modality, (tags = []));
      tags.push({ row: effect.row, namespace: effect.namespace, entity: effect.entity });
    }
    for (const [name, tags] of byModality) {
      const m = this.#modality(name);
      const first = m.index.reserveMany(vectors[name]!, tags);
      tags.forEach((t, i) => m.rows.set(t.row, first + i));
      this.#schedule(m.index, first, tags.length, parallel, result);
    }
  }

  /** Links reserved nodes here (small writes) or hands them to the pool (jobs), and records what to await. */
  #schedule(index: HnswIndex, first: number, count: number, parallel: boolean, result: WriteResult): void {
    if (parallel && count >= kParallelMinNodes) {
      for (const job of insertJobs(index.address, first, count)) result.jobs.push(job);
    } else {
      for (let id = first; id < first + count; id++) index.insertReserved(id);
    }
    result.visible.push({ index: index.address, node: first + count - 1 });
  }

  #retag(row: number, namespace: number, entity: number): void {
    for (const m of this.#modalities.values()) {
      const node = m.rows.get(row);
      if (node >= 0) m.index.setTags(node, namespace, entity);
    }
  }

  #modality(name: string): Modality {
    const m = this.#modalities.get(name);
    if (m === undefined) throw new FeatherError('FEATHER_ERR_INTERNAL', `the writer has no modality ${JSON.stringify(name)}`);
    return m;
  }
}

/** Nodes per insert task: small enough that `published` advances smoothly, large enough to amortise a task. */
export const kInsertTaskSize = 128;

function insertJobs(index: number, first: number, count: number): InsertJob[] {
  const jobs: InsertJob[] = [];
  for (let at = first; at < first + count; at += kInsertTaskSize) jobs.push({ index, first: at, count: Math.min(kInsertTaskSize, first + count - at) });
  return jobs;
}
