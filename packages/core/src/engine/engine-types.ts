// The engine's plain data: what it opens a store with, what it returns, and the index work a write leaves
// for the pool. Everything here crosses threads (the writer's replies).
import { FeatherError } from '../errors.js';
import type { StoreMeta } from '../format/store-codec.js';
import type { Metric } from '../hnsw/hnsw-options.js';
import type { LoadPlan } from '../open/load-tasks.js';
import type { ModelOp } from '../records/types.js';
import type { Durability } from '../wal/wal.js';

/** Nodes per insert job: small enough that `published` advances smoothly, large enough to amortise a task. */
const kInsertTaskSize = 128;

/** What the engine opens (or creates) a store with. */
export interface EngineOpenSpec {
  path: string;
  /** Modalities the caller declared (`text` first); dims and metrics must match an existing file. */
  modalities: Record<string, { dim: number; metric: Metric }> | undefined;
  m: number;
  efConstruction: number;
  efSearch: number;
  modelId: string | undefined;
  readOnly: boolean;
  durability: Durability;
  /**
   * The chunk table of the recall columns the opening thread's model owns (MemoryModel.shareRecall): the
   * engine's model reads them from the end of open() on. Absent: the engine's model keeps its own.
   */
  recallTable?: number;
  /** Read the file through this descriptor (the facade's: every thread then reads the same file). */
  fd?: number;
  /** prepare(): the load the opening thread planned (see SharedOpenHalf). */
  load?: LoadPlan;
  /** prepare(): the COLUMNS bytes the opening thread read (see SharedOpenHalf). */
  columns?: Uint8Array;
  /** prepare(): the COLUMNS strings it read apart from them (see SharedOpenHalf). */
  strings?: Uint8Array;
}

/**
 * Reserved nodes of the index at `index`, to be linked (by pool workers): [first, first + count), or the
 * listed `nodes` in that order when the write took free slots (docs/adr/0008).
 */
export interface InsertJob {
  index: number;
  first: number;
  count: number;
  nodes?: number[];
}

/** Nodes [first, first + count) of the index at `index` to re-link around the retiring set `set` (`bits` bits). */
export interface RepairJob {
  index: number;
  first: number;
  count: number;
  set: number;
  bits: number;
}

/** A write's index work still to finish: jobs for the pool, then nodes to wait for. */
export interface WriteResult {
  jobs: InsertJob[];
  /** Per touched index, the last node reserved: the write is visible once it is published. */
  visible: { index: number; node: number }[];
}

/** Storage change requested with a rebuild (setInt8Ram). */
export interface StorageChange {
  modality: string;
  storage: 'float32' | 'int8';
  maxAbs: number;
}

/** One write of a group: a resolved op and, for upserts, its vectors per modality. */
export interface WriteRequest {
  op: ModelOp;
  vectors: Record<string, Float32Array>;
  /**
   * Whether the pool may link this upsert's nodes (returned jobs) instead of the engine: it does for an upsert
   * of at least 256 new nodes in one modality, and for any upsert in a group with another (writes that queued
   * together, such as concurrent adds, are linked on every pool thread rather than one after another here).
   * The facade asks for it on `add` only while the store is not searching, so link tasks never queue searches.
   */
  parallel: boolean;
}

export interface EngineOpenResult {
  /** Per modality, the shared slot address readers resolve its current index through. */
  slots: Record<string, number>;
  meta: StoreMeta;
  /** Index work still to do (graphs rebuilt from stored vectors, replayed batches). */
  pending: WriteResult;
  created: boolean;
  replayed: number;
  /** The memory-model ops replayed from the WAL, in order (a mirror built from the file applies them too). */
  replayedOps: ModelOp[];
  persistedGraphs: string[];
  /** The commit of the file loaded (null when created): a mirror read separately must come from the same one. */
  fileSeq: number | null;
}

/**
 * An existing file must agree with the dims and metrics the caller declared, and with its embedding model.
 * @throws FEATHER_ERR_DIMENSION_MISMATCH.
 */
export function checkDeclared(spec: EngineOpenSpec, meta: StoreMeta): void {
  for (const [name, m] of Object.entries(spec.modalities ?? {})) {
    const stored = meta.modalities.find((x) => x.name === name);
    if (stored === undefined) continue;
    if (stored.dim !== m.dim || stored.metric !== m.metric) {
      throw new FeatherError(
        'FEATHER_ERR_DIMENSION_MISMATCH',
        `${spec.path} stores '${name}' vectors of ${stored.dim} dimensions (${stored.metric}); open asked for ${m.dim} (${m.metric}); embed with the model the store was created with, or use a new file`,
        { path: spec.path, modality: name, expected: stored.dim, received: m.dim },
      );
    }
  }
  if (spec.modelId !== undefined && meta.modelId !== '' && meta.modelId !== spec.modelId) {
    throw new FeatherError(
      'FEATHER_ERR_DIMENSION_MISMATCH',
      `${spec.path} was embedded with model '${meta.modelId}'; open asked for '${spec.modelId}'; vectors of different models are not comparable`,
      { path: spec.path, expected: meta.modelId, received: spec.modelId },
    );
  }
}

/** Jobs linking `nodes` (in that order), kInsertTaskSize nodes each: ranges when they are consecutive. */
export function nodeJobs(index: number, nodes: Uint32Array): InsertJob[] {
  const n = nodes.length;
  if (n === 0) return [];
  if (nodes[n - 1] - nodes[0] === n - 1 && nodes.every((id, i) => id === nodes[0] + i)) return insertJobs(index, nodes[0], n);
  const jobs: InsertJob[] = [];
  for (let at = 0; at < n; at += kInsertTaskSize) {
    const part = Array.from(nodes.subarray(at, at + kInsertTaskSize));
    jobs.push({ index, first: part[0], count: part.length, nodes: part });
  }
  return jobs;
}

/** Jobs linking nodes [first, first + count) of the index at `index`, kInsertTaskSize nodes each. */
function insertJobs(index: number, first: number, count: number): InsertJob[] {
  const jobs: InsertJob[] = [];
  for (let at = first; at < first + count; at += kInsertTaskSize)
    jobs.push({ index, first: at, count: Math.min(kInsertTaskSize, first + count - at) });
  return jobs;
}
