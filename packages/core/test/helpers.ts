import { KernelArena } from '../src/arena.js';
import type { EngineOpenSpec, WriteResult } from '../src/engine/engine-types.js';
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

/** A store engine's open spec: one 8-d modality `text` at `path`, small graph parameters (m 8, efConstruction 40). */
export function engineSpec(path: string, metric: 'cosine' | 'l2', options: Partial<EngineOpenSpec> = {}): EngineOpenSpec {
  return {
    path,
    modalities: { text: { dim: 8, metric } },
    m: 8,
    efConstruction: 40,
    efSearch: 32,
    modelId: undefined,
    readOnly: false,
    durability: 'fsync',
    ...options,
  };
}

/** Links a write's reserved nodes in this thread, as the reader pool would. */
export function linkJobs(arena: KernelArena, result: WriteResult): void {
  for (const job of result.jobs) {
    const index = HnswIndex.attach(arena, job.index);
    for (const id of job.nodes ?? Array.from({ length: job.count }, (_, i) => job.first + i)) index.insertReserved(id);
  }
}
