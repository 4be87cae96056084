import { KernelArena } from '../src/arena.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { flatSearchJs } from '../src/flat/flat-search-js.js';
import { bruteForce, clusteredVectors, recall, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

/** Rows whose dimensions have very different variances (like MNIST's border pixels vs its centre). */
function skewed(n: number, dim: number, seed: number): Float32Array {
  const data = clusteredVectors({ n, dim, seed });
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) data[r * dim + j] *= j % 3 === 0 ? 0.01 : 1 + j / dim;
  return data;
}

describe('learned dimension order', () => {
  const dim = 40;
  const data = skewed(3000, dim, 5);
  const queries = skewed(30, dim, 6);

  it('is learned by the first bulk load, keeps vectors exact, and keeps recall', () => {
    const arena = KernelArena.create();
    const index = HnswIndex.create(arena, { dim, metric: 'l2' });
    // A reader attached before the order exists must pick it up.
    const early = HnswIndex.attach(KernelArena.attach(arena.memory), index.address);
    index.addMany(data);
    const order = index.toStorageOrder(Float32Array.from({ length: dim }, (_, j) => j));
    expect(Array.from(order)).not.toEqual(Array.from({ length: dim }, (_, j) => j));
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: dim }, (_, j) => j));
    // low-variance dimensions (j % 3 == 0) go last
    expect(order.slice(dim - 5).every((j) => j % 3 === 0)).toBe(true);
    for (const id of [0, 17, 2999]) {
      expect(Array.from(index.getVector(id))).toEqual(Array.from(row(data, dim, id)));
      expect(Array.from(early.getVector(id))).toEqual(Array.from(row(data, dim, id)));
    }
    let total = 0;
    for (let q = 0; q < 30; q++) {
      const query = row(queries, dim, q);
      const truth = bruteForce('l2', data, dim, query, 10);
      const got = index.search(query, 10);
      expect(Array.from(early.search(query, 10).ids)).toEqual(Array.from(got.ids));
      expect(Array.from(flatSearchJs(index, query, 10).ids)).toEqual(Array.from(index.searchExact(query, 10).ids));
      total += recall(got.ids, truth);
    }
    expect(total / 30).toBeGreaterThanOrEqual(0.95);
  });

  it('single adds and small batches keep the identity order', () => {
    const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'l2' });
    index.addMany(data.subarray(0, 500 * dim));
    index.addMany(data.subarray(500 * dim));
    const probe = Float32Array.from({ length: dim }, (_, j) => j);
    expect(Array.from(index.toStorageOrder(probe))).toEqual(Array.from(probe));
  });
});
