import { KernelArena } from '../src/arena.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { type Metric } from '../src/hnsw/hnsw-options.js';
import { clusteredVectors, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

describe('int8 screening codes', () => {
  for (const metric of ['cosine', 'l2', 'ip'] as Metric[]) {
    it(`skip work but never change a result (${metric})`, () => {
      const dim = 37;
      const data = clusteredVectors({ n: 3000, dim, seed: 51 });
      const queries = clusteredVectors({ n: 40, dim, seed: 52 });
      const plain = HnswIndex.create(KernelArena.create(), { dim, metric, seed: 9 });
      const screened = HnswIndex.create(KernelArena.create(), { dim, metric, seed: 9, screening: 'int8' });
      expect(screened.screening).toBe('int8');
      plain.addMany(data);
      screened.addMany(data);
      let skipped = 0;
      let plainDistances = 0;
      let screenedDistances = 0;
      for (let q = 0; q < 40; q++) {
        const query = row(queries, dim, q);
        for (const ef of [16, 64]) {
          const a = plain.search(query, 10, { ef });
          plainDistances += plain.lastDistanceCount;
          const b = screened.search(query, 10, { ef });
          screenedDistances += screened.lastDistanceCount;
          skipped += screened.lastScreenedCount;
          expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
          expect(Array.from(b.distances)).toEqual(Array.from(a.distances));
        }
      }
      expect(skipped).toBeGreaterThan(0);
      expect(screenedDistances + skipped).toBe(plainDistances);
      for (const id of [0, 1234, 2999]) expect(Array.from(screened.getVector(id))).toEqual(Array.from(plain.getVector(id)));
    });
  }

  it('the lower bound never exceeds the float32 distance', () => {
    const arena = KernelArena.create();
    const w = arena.wasm;
    const dim = 100;
    const data = clusteredVectors({ n: 400, dim, seed: 61, latentDim: dim });
    const at = arena.alloc(400 * dim * 4);
    const blocks = arena.alloc(400 * (16 + 112));
    arena.f32.set(data, at >>> 2);
    for (let i = 0; i < 400; i++) w.quantize(at + i * dim * 4, dim, blocks + i * 128);
    for (const metric of [0, 1]) {
      for (let i = 0; i < 400; i += 7) {
        for (let j = 1; j < 400; j += 3) {
          const lb = w.screenLowerBound(metric, blocks + i * 128, blocks + j * 128, dim);
          expect(lb).toBeLessThanOrEqual(w.distance(metric, at + i * dim * 4, at + j * dim * 4, dim));
        }
      }
    }
  });
});
