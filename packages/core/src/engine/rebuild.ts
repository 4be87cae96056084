// Compaction generations: a modality's fresh index built from the live nodes (optionally in another storage),
// then swapped in for readers in one atomic publish; and how reserved nodes get linked (here or by the pool).
import type { KernelArena } from '../arena.js';
import type { StoreMeta } from '../format/store-codec.js';
import { HnswIndex } from '../hnsw/hnsw-index.js';
import type { NodeTags } from '../hnsw/types.js';
import type { MemoryModel } from '../records/memory-model.js';
import { publishGeneration } from '../records/modality-slot.js';
import { RowMap } from '../records/row-map.js';
import { nodeJobs, type StorageChange, type WriteResult } from './engine-types.js';
import type { GenerationLimbo } from './slot-reuse.js';

/** Upserts with at least this many new nodes in one modality are linked by the pool, not the engine. */
const kParallelMinNodes = 256;

/** One modality of an open store: its shared slot, current index and row map. */
export interface Modality {
  slot: number;
  index: HnswIndex;
  rows: RowMap;
  /** A rebuilt generation waiting for commitNext. */
  next?: { index: HnswIndex; rows: RowMap };
}

/**
 * Links reserved nodes here (a small write alone) or hands them to the pool (jobs: a large write, or one of a
 * group of writes when `grouped`), and records what to await.
 */
export function scheduleLinks(index: HnswIndex, nodes: Uint32Array, parallel: boolean, result: WriteResult, grouped = false): void {
  if (nodes.length === 0) return;
  if (parallel && (grouped || nodes.length >= kParallelMinNodes)) {
    for (const job of nodeJobs(index.address, nodes)) result.jobs.push(job);
  } else {
    for (const id of nodes) index.insertReserved(id);
  }
  // A reused slot is below `published` already; its job (or the loop above) is what makes it visible.
  result.visible.push({ index: index.address, node: nodes.reduce((a, b) => Math.max(a, b), 0) });
}

/** first, first + 1, …, first + count − 1. */
export function range(first: number, count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => first + i);
}

/**
 * Copies `name`'s live vectors into a fresh index (optionally another storage) held as `m.next`; linked by the
 * pool (jobs in `result`) or here.
 */
export function buildNext(
  arena: KernelArena,
  source: { meta: StoreMeta; model: MemoryModel; name: string; m: Modality },
  change: StorageChange | undefined,
  parallel: boolean,
  result: WriteResult,
): void {
  const { meta: spec, model, name, m } = source;
  const storage = change?.modality === name ? change.storage : m.index.storage;
  const maxAbs = change?.modality === name ? change.maxAbs : m.index.maxAbs;
  const index = HnswIndex.create(arena, {
    dim: m.index.dim,
    metric: m.index.metric,
    m: spec.m,
    efConstruction: spec.efConstruction,
    efSearch: spec.efSearch,
    storage,
    maxAbs,
  });
  const rows = RowMap.create(arena);
  m.next = { index, rows };
  const live: number[] = [];
  for (const row of model.liveRows()) if (m.rows.get(row) >= 0) live.push(row);
  if (live.length === 0) return;
  const vectors = new Float32Array(live.length * index.dim);
  const tags: NodeTags[] = [];
  live.forEach((row, i) => {
    vectors.set(m.index.getVector(m.rows.get(row)), i * index.dim);
    tags.push({ row, ...model.tagsOf(row)! });
  });
  const first = index.reserveMany(vectors, tags);
  live.forEach((row, i) => rows.set(row, first + i));
  scheduleLinks(index, range(first, live.length), parallel, result);
}

/** Publishes every built generation to readers (one atomic swap per modality); the old ones go to limbo. */
export function commitNext(arena: KernelArena, modalities: Map<string, Modality>, limbo: GenerationLimbo, meta: StoreMeta): void {
  for (const [name, m] of modalities) {
    if (m.next === undefined) continue;
    publishGeneration(arena, m.slot, { index: m.next.index.address, rowMap: m.next.rows.table });
    // Searches that start from now on find the new pair; the old one is freed once the others end.
    limbo.retire(m.index, m.rows);
    m.index = m.next.index;
    m.rows = m.next.rows;
    delete m.next;
    const entry = meta.modalities.find((x) => x.name === name)!;
    entry.maxAbs = Number.isFinite(m.index.maxAbs) ? m.index.maxAbs : null;
  }
}

/**
 * Links, here and serially, what earlier replayed writes reserved in `index` and drops those jobs from
 * `pending`: a replayed rebuild then copies the same normalised vectors the live rebuild copied.
 */
export function linkPending(index: HnswIndex, pending: WriteResult): void {
  for (const job of pending.jobs.filter((j) => j.index === index.address)) {
    for (const id of job.nodes ?? range(job.first, job.count)) index.insertReserved(id);
  }
  pending.jobs = pending.jobs.filter((j) => j.index !== index.address);
}
