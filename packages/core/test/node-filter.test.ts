import { KernelArena } from '../src/arena.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { type NodeTags } from '../src/hnsw/types.js';
import { bruteForce, clusteredVectors, recall, row, seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const dim = 24;
const n = 4000;

function tagged(seed: number): { index: HnswIndex; data: Float32Array; tags: NodeTags[] } {
  const data = clusteredVectors({ n, dim, seed });
  const rand = seededRandom(seed + 1);
  // Rows are offset from node ids so a mix-up between the two shows.
  const tags = Array.from({ length: n }, (_, i) => ({ row: i + 7, namespace: Math.floor(rand() * 4), entity: Math.floor(rand() * 3) }));
  const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'cosine' });
  index.addMany(data, tags);
  return { index, data, tags };
}

describe('filters inside the kernels', () => {
  it('tag nodes with their rows and return them next to the ids', () => {
    const { index, data } = tagged(11);
    const found = index.search(row(data, dim, 5), 3);
    expect(found.ids[0]).toBe(5);
    expect(Array.from(found.rows)).toEqual(Array.from(found.ids, (id) => id + 7));
    expect(index.rowOf(123)).toBe(130);
  });

  it('return only nodes of the namespace and entity asked for, with exact-filter recall', () => {
    const { index, data, tags } = tagged(12);
    const queries = clusteredVectors({ n: 30, dim, seed: 99 });
    let total = 0;
    for (let q = 0; q < 30; q++) {
      const query = row(queries, dim, q);
      const namespace = q % 4;
      const entity = q % 3;
      const skip = new Set(tags.flatMap((t, i) => (t.namespace === namespace && t.entity === entity ? [] : [i])));
      const truth = bruteForce('cosine', data, dim, query, 10, skip);
      const found = index.search(query, 10, { filter: { namespace, entity } });
      for (const id of found.ids) expect(tags[id]).toMatchObject({ namespace, entity });
      total += recall(found.ids, truth);
    }
    expect(total / 30).toBeGreaterThanOrEqual(0.95);
  });

  it('apply a row bitmap, and follow re-tagging', () => {
    const { index, data, tags } = tagged(13);
    const bitmap = new Uint8Array(Math.ceil((n + 7) / 8) + 1);
    const allowed = new Set<number>();
    for (let i = 0; i < n; i += 10) {
      const r = tags[i].row;
      bitmap[r >> 3] |= 1 << (r & 7);
      allowed.add(i);
    }
    const query = row(data, dim, 1);
    const found = index.search(query, 10, { filter: { rows: bitmap } });
    expect(found.ids.length).toBe(10);
    for (const id of found.ids) expect(allowed.has(id)).toBe(true);
    index.setTags(20, 77, 5);
    const moved = index.search(row(data, dim, 20), 5, { filter: { namespace: 77 } });
    expect(Array.from(moved.ids)).toEqual([20]);
    const exact = index.searchExact(row(data, dim, 20), 5, { namespace: 77, entity: 5 });
    expect(Array.from(exact.ids)).toEqual([20]);
  });

  it('scan an explicit node list exactly, skipping tombstones', () => {
    const { index, data } = tagged(14);
    const list = Uint32Array.from({ length: 200 }, (_, i) => i * 20);
    index.delete(40);
    const query = row(data, dim, 40);
    const found = index.scanNodes(query, 5, list);
    const skip = new Set(Array.from({ length: n }, (_, i) => i).filter((i) => i % 20 !== 0 || i === 40));
    expect(Array.from(found.ids)).toEqual(bruteForce('cosine', data, dim, query, 5, skip));
  });
});
