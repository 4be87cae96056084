import { type Metric } from '../src/hnsw/hnsw-options.js';
import { flatSearchJs } from '../src/flat/flat-search-js.js';
import { bruteForce, clusteredVectors, recall, referenceDistance, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { buildIndex } from './helpers.js';

describe('HNSW recall against the exact oracle', () => {
  for (const metric of ['cosine', 'l2', 'ip'] as Metric[]) {
    it(`recall@10 >= 0.95 at the default ef (${metric}, 6000 x 48, clustered)`, () => {
      const dim = 48;
      const { index, data } = buildIndex({ n: 6000, dim, metric, seed: 3 });
      const queries = clusteredVectors({ n: 100, dim, seed: 99 });
      let total = 0;
      for (let q = 0; q < 100; q++) {
        const query = row(queries, dim, q);
        const got = index.search(query, 10);
        expect(got.ids.length).toBe(10);
        // distances come back ascending
        for (let i = 1; i < got.distances.length; i++) expect(got.distances[i]).toBeGreaterThanOrEqual(got.distances[i - 1]);
        total += recall(got.ids, bruteForce(metric, data, dim, query, 10));
      }
      expect(total / 100).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('searchExact equals the float64 brute force and the plain-TS fallback', () => {
    const dim = 17;
    for (const metric of ['cosine', 'l2', 'ip'] as Metric[]) {
      const { index, data } = buildIndex({ n: 700, dim, metric, dataSeed: 5 });
      const queries = clusteredVectors({ n: 20, dim, seed: 6 });
      for (let q = 0; q < 20; q++) {
        const query = row(queries, dim, q);
        const exact = index.searchExact(query, 10);
        const js = flatSearchJs(index, query, 10);
        expect(Array.from(js.ids)).toEqual(Array.from(exact.ids));
        expect(Array.from(js.distances)).toEqual(Array.from(exact.distances));
        // Equal to the float64 oracle up to ties: position by position, the same float64 distance (float32
        // storage can only swap memories whose distances agree to float32 precision).
        const truth = bruteForce(metric, data, dim, query, 10);
        const distance = (id: number): number => referenceDistance(metric, query, row(data, dim, id));
        Array.from(exact.ids).forEach((id, i) => expect(distance(id), `${metric} query ${q} rank ${i}`).toBeCloseTo(distance(truth[i]), 4));
      }
    }
  });

  it('the same seed and insert order build the same graph', () => {
    const a = buildIndex({ n: 1500, dim: 16, seed: 11 });
    const b = buildIndex({ n: 1500, dim: 16, seed: 11 });
    const q = row(clusteredVectors({ n: 1, dim: 16, seed: 12 }), 16, 0);
    expect(Array.from(a.index.search(q, 10, { ef: 20 }).ids)).toEqual(Array.from(b.index.search(q, 10, { ef: 20 }).ids));
    for (let id = 0; id < 1500; id += 97) expect(a.index.levelOf(id)).toBe(b.index.levelOf(id));
  });

  it('k larger than the store returns every vector, never throws', () => {
    const { index } = buildIndex({ n: 300, dim: 8 });
    const res = index.search(new Float32Array(8).fill(0.5), 1000);
    expect(res.ids.length).toBe(300);
    expect(new Set(res.ids).size).toBe(300);
  });

  it('an empty index returns no results', () => {
    const { index } = buildIndex({ n: 0, dim: 8 });
    expect(index.search(new Float32Array(8).fill(1), 5).ids.length).toBe(0);
  });
});
