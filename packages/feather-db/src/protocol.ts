// Messages between the facade, the writer worker and the reader pool. Errors never cross as thrown values:
// structured clone drops FeatherError's class and `code`, so every reply is a discriminated union that
// carries `{ code, message, details }` on failure and is rebuilt with FeatherError.fromWire().
import type { Metric, ModelOp, SearchPlan, WireError } from '@feather-db/core';

export type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** One modality's vector space. */
export interface ModalitySpec {
  dim: number;
  metric: Metric;
}

/** What the writer creates the store with. */
export interface StoreSpec {
  modalities: Record<string, ModalitySpec>;
  m: number;
  efConstruction: number;
  efSearch: number;
}

/** What the writer worker and every reader receive as workerData. */
export interface SharedInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

/** Reserved nodes [first, first + count) of the index at `index`, to be linked by pool workers. */
export interface InsertJob {
  index: number;
  first: number;
  count: number;
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

/** The writer's RPC surface (comlink). Every method applies one write, in call order. */
export interface WriterApi {
  /** Creates each modality's index; returns the shared slot address readers resolve it through. */
  init(spec: StoreSpec): Reply<Record<string, number>>;
  /**
   * Applies a resolved op. `vectors` holds, per modality, the rows of the upsert items carrying that
   * modality, in item order. With `parallel`, big upserts leave linking to the pool (returned jobs).
   */
  write(op: ModelOp, vectors: Record<string, Float32Array>, parallel: boolean): Reply<WriteResult>;
  /** Builds fresh indexes of the live nodes (optionally in another storage); the pool links them. */
  beginRebuild(modalities: string[], change: StorageChange | undefined): Reply<WriteResult>;
  /** Publishes the rebuilt indexes to readers (one atomic swap per modality). */
  commitRebuild(): Reply<{ bytesUsed: number }>;
}

/** One query of a search task. `plan` comes from the facade's planner. */
export interface SearchQuery {
  vector: Float32Array;
  /** The modality slot (see core/records/modality-slot.ts). */
  slot: number;
  k: number;
  ef: number;
  plan: SearchPlan;
}

/**
 * Up to a few dozen searches in one task: under load the facade packs queued searches together, so one
 * thread hop (~60-80 µs here) and one cold start of the worker serve many queries.
 */
export type SearchTask = { type: 'search'; queries: SearchQuery[] };
/** Rows and kernel distances of each query, ascending by distance, in query order. */
export type SearchReply = Reply<{ rows: Uint32Array; distances: Float32Array }>[];
export type InsertTask = { type: 'insert' } & InsertJob;
export type InsertReply = Reply<number>;
export type PoolTask = SearchTask | InsertTask;
