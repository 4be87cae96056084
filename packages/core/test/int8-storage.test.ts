import { KernelArena } from '../src/arena.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { type Metric } from '../src/hnsw/hnsw-options.js';
import { bruteForce, clusteredVectors, recall, referenceDistance, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

describe('int8 storage', () => {
  for (const metric of ['cosine', 'l2', 'ip'] as Metric[]) {
    it(`keeps recall@10 >= 0.9 and distances within the rounding bound (${metric})`, () => {
      const dim = 48;
      const n = 3000;
      const data = clusteredVectors({ n, dim, seed: 71 });
      const queries = clusteredVectors({ n: 50, dim, seed: 72 });
      const index = HnswIndex.create(KernelArena.create(), { dim, metric, storage: 'int8', seed: 3 });
      expect(index.storage).toBe('int8');
      index.addMany(data);
      let total = 0;
      for (let q = 0; q < 50; q++) {
        const query = row(queries, dim, q);
        const truth = bruteForce(metric, data, dim, query, 10);
        const found = index.search(query, 10);
        total += recall(found.ids, truth);
        // Each reported distance is the distance to the dequantised vector: close to the exact one.
        const x = row(data, dim, found.ids[0]);
        const exact = referenceDistance(metric, query, x);
        // ip: |q.x - q.x^| <= |q|_1 * scale / 2 with scale = max|x| / 127.
        const ipBound = (query.reduce((a, v) => a + Math.abs(v), 0) * Math.max(...Array.from(x, Math.abs))) / 254;
        const tolerance = metric === 'ip' ? ipBound * 1.001 + 1e-5 : metric === 'l2' ? 0.05 * (1 + exact) : 0.02;
        expect(Math.abs(found.distances[0] - exact)).toBeLessThan(tolerance);
      }
      expect(total / 50).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('stores about a quarter of the float32 bytes per node block', () => {
    const dim = 768;
    const f32 = HnswIndex.create(KernelArena.create(), { dim });
    const i8 = HnswIndex.create(KernelArena.create(), { dim, storage: 'int8' });
    // Node block = 32-byte header + 2M links + vector: 3232 vs 1056 bytes at M=16.
    expect(i8.strideBytes / f32.strideBytes).toBeLessThan(0.35);
  });

  it('returns dequantised vectors close to the originals (input dimension order)', () => {
    const dim = 20;
    const data = clusteredVectors({ n: 2000, dim, seed: 5 });
    const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'l2', storage: 'int8' });
    index.addMany(data);
    for (const id of [0, 999, 1999]) {
      const got = index.getVector(id);
      const want = row(data, dim, id);
      const maxAbs = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < dim; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(maxAbs / 127 / 2 + 1e-6);
    }
  });

  it('clips to maxAbs before quantising', () => {
    const index = HnswIndex.create(KernelArena.create(), { dim: 4, metric: 'l2', storage: 'int8', maxAbs: 1 });
    const id = index.add(new Float32Array([5, -0.5, 0.25, -9]));
    expect(Array.from(index.getVector(id), (x) => Math.round(x * 100) / 100)).toEqual([1, -0.5, 0.25, -1]);
  });

  it('refuses screening on top of int8 storage', () => {
    expect(() => HnswIndex.create(KernelArena.create(), { dim: 4, storage: 'int8', screening: 'int8' })).toThrow(/drop one of the two/);
  });
});
