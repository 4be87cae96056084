// Messages between the facade, the writer worker and the reader pool. Errors never cross as thrown values:
// structured clone drops FeatherError's class and `code`, so every reply is a discriminated union that
// carries `{ code, message, details }` on failure and is rebuilt with FeatherError.fromWire().
import type { Metric, WireError } from '@feather-db/core';

export type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** Index parameters the writer creates the index with. */
export interface IndexSpec {
  dim: number;
  metric: Metric;
  m: number;
  efConstruction: number;
  efSearch: number;
}

/** What the writer worker and every reader receive as workerData. */
export interface SharedInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

export interface ReaderInit extends SharedInit {
  address: number;
  efSearch: number;
}

/** The writer's RPC surface (comlink). Every method applies one write, in call order. */
export interface WriterApi {
  init(spec: IndexSpec): Reply<{ address: number }>;
  add(vector: Float32Array): Reply<number>;
  /** Reserves ids and writes the vectors of a batch; the pool links them (insert tasks). */
  reserveBatch(vectors: Float32Array): Reply<{ first: number; count: number }>;
  forget(ids: number[]): Reply<number>;
}

/**
 * Up to a few dozen searches in one task: under load the facade packs queued searches together, so one
 * thread hop (~60-80 µs here) and one cold start of the worker serve many queries. `queries` is row-major.
 */
export type SearchTask = { type: 'search'; queries: Float32Array; ks: Uint32Array; efs: Uint32Array };
/** One reply per query, in order (ef 0 in the task means the store default). */
export type SearchReply = Reply<{ ids: Uint32Array; distances: Float32Array }>[];
/** Links reserved nodes [first, first + count) into the graph. */
export type InsertTask = { type: 'insert'; first: number; count: number };
export type InsertReply = Reply<number>;
export type PoolTask = SearchTask | InsertTask;
