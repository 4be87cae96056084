// A benchmark's view of a dataset: its first `limit` base vectors and `queries` queries, with the exact top-k
// of each query against that (possibly cut) base, and recall@k of result lists against it.
import { HnswIndex, KernelArena } from '@feather-db/core';
import { loadDataset, type Dataset } from './load.js';

export interface DatasetSlice {
  ds: Dataset;
  dim: number;
  /** Base vectors used: min(nBase, limit). */
  n: number;
  /** Queries used: min(nQuery, queries). */
  nQuery: number;
  /** The first n base vectors, row-major. */
  base: Float32Array;
  /** Query `q mod nQuery`, as a view. */
  query: (q: number) => Float32Array;
  /** The exact top-k ids of each query against `base`. */
  truth: Set<number>[];
  /** Mean recall@k of `results[q]` (ids) against truth[q]. */
  recallOf: (results: ArrayLike<number>[]) => number;
}

/** Loads `name` cut to `limit` base vectors (all when undefined) and `queries` queries. */
export function sliceDataset(name: string, limit: string | undefined, queries: string): DatasetSlice {
  const ds = loadDataset(name);
  const dim = ds.dim;
  const k = ds.k;
  const n = Math.min(ds.nBase, Number(limit ?? ds.nBase));
  const nQuery = Math.min(ds.nQuery, Number(queries));
  const base = ds.base.subarray(0, n * dim);
  const query = (q: number): Float32Array => ds.queries.subarray((q % nQuery) * dim, ((q % nQuery) + 1) * dim);
  // Exact truth for the (possibly cut) base.
  const truth: Set<number>[] = [];
  if (n === ds.nBase) {
    for (let q = 0; q < nQuery; q++) truth.push(new Set(ds.groundTruth.subarray(q * k, (q + 1) * k)));
  } else {
    const exact = HnswIndex.create(KernelArena.create(), { dim, metric: ds.metric, m: 4, efConstruction: 1 });
    exact.addMany(base);
    for (let q = 0; q < nQuery; q++) truth.push(new Set(exact.searchExact(query(q), k).ids));
  }
  const recallOf = (results: ArrayLike<number>[]): number => {
    let hit = 0;
    results.forEach((ids, q) => {
      for (let i = 0; i < ids.length; i++) if (truth[q].has(ids[i])) hit++;
    });
    return hit / (results.length * k);
  };
  return { ds, dim, n, nQuery, base, query, truth, recallOf };
}
