import { bruteForce, clusteredVectors, recall, row, seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { buildIndex } from './helpers.js';

describe('tombstone delete', () => {
  it('deleted ids are never returned, by graph or exact search, and recall holds over the live set', () => {
    const dim = 32;
    const n = 4000;
    const { index, data } = buildIndex({ n, dim, metric: 'l2' });
    const rand = seededRandom(21);
    const deleted = new Set<number>();
    while (deleted.size < n / 2) {
      const id = Math.floor(rand() * n);
      expect(index.delete(id)).toBe(!deleted.has(id));
      deleted.add(id);
    }
    expect(index.deletedCount).toBe(deleted.size);
    const queries = clusteredVectors({ n: 50, dim, seed: 22 });
    let total = 0;
    for (let q = 0; q < 50; q++) {
      const query = row(queries, dim, q);
      const got = index.search(query, 10);
      for (const id of got.ids) expect(deleted.has(id)).toBe(false);
      for (const id of index.searchExact(query, 10).ids) expect(deleted.has(id)).toBe(false);
      total += recall(got.ids, bruteForce('l2', data, dim, query, 10, deleted));
    }
    expect(total / 50).toBeGreaterThanOrEqual(0.95);
  });

  it('deleting everything leaves searches empty; deleting twice reports false', () => {
    const { index } = buildIndex({ n: 400, dim: 8 });
    for (let id = 0; id < 400; id++) index.delete(id);
    expect(index.delete(7)).toBe(false);
    expect(index.has(7)).toBe(false);
    const q = new Float32Array(8).fill(0.3);
    expect(index.search(q, 10).ids.length).toBe(0);
    expect(index.searchExact(q, 10).ids.length).toBe(0);
  });

  it('the query a deleted vector was closest to finds the next best', () => {
    const { index, data } = buildIndex({ n: 1000, dim: 16, metric: 'l2' });
    const target = row(data, 16, 123);
    expect(index.search(target, 1).ids[0]).toBe(123);
    index.delete(123);
    const after = index.search(target, 1).ids[0];
    expect(after).not.toBe(123);
    expect(after).toBe(bruteForce('l2', data, 16, target, 1, new Set([123]))[0]);
  });
});
