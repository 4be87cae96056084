import { KernelArena } from '../src/arena.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { type HnswOptions } from '../src/hnsw/hnsw-options.js';
import type { MemoryModel } from '../src/records/memory-model.js';
import { modelColumns, modelFromColumns } from '../src/records/model-codec.js';
import { clusteredVectors } from '@feather-db/testkit';

/** A fresh index in its own shared memory, filled with `n` seeded clustered vectors. */
export function buildIndex(options: HnswOptions & { n: number; dataSeed?: number }): { index: HnswIndex; data: Float32Array } {
  const { n, dataSeed = 1, ...hnsw } = options;
  const index = HnswIndex.create(KernelArena.create(), hnsw);
  const data = clusteredVectors({ n, dim: hnsw.dim, seed: dataSeed });
  if (n > 0) index.addMany(data);
  return { index, data };
}

/** Model -> COLUMNS bytes -> model, as a save and an open do. */
export function reload(m: MemoryModel): MemoryModel {
  const parts = modelColumns(m);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return modelFromColumns(bytes, m.edgeList());
}
