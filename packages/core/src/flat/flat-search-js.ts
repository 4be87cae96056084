import { distanceJs, normalizeJs } from '@feather-db/kernels';
import { kFlagDeleted, kMetricCode, kNLevelFlags, kNRow } from '../layout.js';
import type { HnswIndex } from '../hnsw/hnsw-index.js';
import { kMaxEf } from '../hnsw/hnsw-options.js';
import type { SearchResult } from '../hnsw/types.js';
import { checkInt, checkVector, type VectorInput } from '../validate.js';

/**
 * Exact k-NN over an index's published nodes with the plain-TS kernels: the fallback path when wasm is
 * unavailable, and a second opinion in tests. Gives the same ids and the same float32 distances as
 * {@link HnswIndex.searchExact} (ties broken by the lower id in both).
 */
export function flatSearchJs(index: HnswIndex, query: VectorInput, k: number): SearchResult {
  checkVector(query, index.dim, 'query');
  checkInt(k, 'k', 1, kMaxEf);
  const metric = kMetricCode[index.metric];
  const q = index.toStorageOrder(query);
  if (index.metric === 'cosine') normalizeJs(q, 0, index.dim);
  const { chunkShift, chunkTable, stride, vecOff } = index.geometry;
  const u32 = index.arena.u32;
  const f32 = index.arena.f32;
  const mask = (1 << chunkShift) - 1;
  const n = index.size;
  const hits: { id: number; row: number; d: number }[] = [];
  for (let id = 0; id < n; id++) {
    const node = u32[(chunkTable >>> 2) + (id >>> chunkShift)] + (id & mask) * stride;
    if ((u32[(node + kNLevelFlags) >>> 2] & kFlagDeleted) !== 0) continue;
    hits.push({ id, row: u32[(node + kNRow) >>> 2], d: distanceJs(metric, q, 0, f32, (node + vecOff) >>> 2, index.dim) });
  }
  hits.sort((a, b) => a.d - b.d || a.id - b.id);
  const top = hits.slice(0, k);
  return {
    ids: Uint32Array.from(top, (h) => h.id),
    rows: Uint32Array.from(top, (h) => h.row),
    distances: Float32Array.from(top, (h) => h.d),
  };
}
