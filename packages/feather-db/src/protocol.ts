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

export type SearchTask = { type: 'search'; query: Float32Array; k: number; ef: number | undefined };
export type SearchReply = Reply<{ ids: Uint32Array; distances: Float32Array }>;
/** Links reserved nodes [first, first + count) into the graph. */
export type InsertTask = { type: 'insert'; first: number; count: number };
export type InsertReply = Reply<number>;
export type PoolTask = SearchTask | InsertTask;
