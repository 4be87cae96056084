import { KernelArena } from '../src/arena.js';
import { SearchPlanner } from '../src/filter/planner.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { MemoryModel } from '../src/records/memory-model.js';
import { type UpsertItem } from '../src/records/types.js';
import { bruteForce, clusteredVectors, recall, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

function model(n: number, namespaces: number): MemoryModel {
  const m = new MemoryModel();
  const items: UpsertItem[] = Array.from({ length: n }, (_, i) => ({
    id: i,
    modality: 'text',
    namespace: `ns${i % namespaces}`,
    entity: i % 2 === 0 ? 'even' : null,
    attributes: { pct1: i % 100 === 0, pct10: i % 10 === 0, pct50: i % 2 === 0 },
  }));
  m.upsert(items, 0);
  return m;
}

describe('search planner', () => {
  it('scans small matching sets exactly and traverses the graph for large ones', () => {
    const planner = new SearchPlanner(model(20_000, 4));
    const plan = (filter?: Record<string, boolean>, namespace?: string): string =>
      planner.plan({ modality: 'text', ef: 128, namespace, filter }).kind;
    expect(plan()).toBe('graph');
    expect(plan({ pct1: true })).toBe('scan');
    expect(plan({ pct10: true })).toBe('scan');
    // 10k matches: 10k² > 10 · 128 · 20k, so a filtered traversal is cheaper.
    expect(plan({ pct50: true })).toBe('graph');
    expect(plan(undefined, 'ns1')).toBe('scan');
    expect(plan(undefined, 'nobody')).toBe('empty');
    expect(plan({ pct1: true, pct50: false })).toBe('empty');
    const scan = planner.plan({ modality: 'text', ef: 128, namespace: 'ns0', filter: { pct10: true } });
    expect(scan.kind === 'scan' && Array.from(scan.rows)).toEqual(Array.from({ length: 1000 }, (_, i) => i * 20));
    const graph = planner.plan({ modality: 'text', ef: 128, filter: { pct50: true } });
    expect(graph.kind === 'graph' && graph.bitmap !== undefined && graph.bitmap[0]).toBe(0b01010101);
  });

  it('plans a large namespace without a filter on its count alone, building no set of its rows', () => {
    const m = model(140_000, 2);
    const planner = new SearchPlanner(m);
    // 70,000 rows a namespace: more than the planner ever scans, so a traversal on the namespace's tag.
    expect(planner.plan({ modality: 'text', ef: 128, namespace: 'ns1' })).toEqual({
      kind: 'graph',
      namespace: m.namespaceId('ns1'),
      entity: undefined,
    });
    expect(m.scopesBuilt).toBe(false);
    // An entity or a filter still reads the rows (to scan them or build the filter's bitmap).
    expect(planner.plan({ modality: 'text', ef: 128, namespace: 'ns0', filter: { pct1: true } }).kind).toBe('scan');
    expect(m.scopesBuilt).toBe(true);
  });

  it('entity scopes across namespaces when no namespace is given', () => {
    const planner = new SearchPlanner(model(100, 3));
    const plan = planner.plan({ modality: 'text', ef: 16, entity: 'even' });
    expect(plan.kind === 'scan' && plan.rows.length).toBe(50);
  });

  it('filtered traversal keeps recall@10 >= 0.95 at 10% and 50% selectivity (the graph path)', () => {
    const dim = 24;
    const n = 10_000;
    const data = clusteredVectors({ n, dim, seed: 31 });
    const queries = clusteredVectors({ n: 50, dim, seed: 32 });
    const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'cosine' });
    index.addMany(data);
    for (const every of [10, 2]) {
      const bitmap = new Uint8Array(n / 8);
      const skip = new Set<number>();
      for (let i = 0; i < n; i++) {
        if (i % every === 0) bitmap[i >> 3] |= 1 << (i & 7);
        else skip.add(i);
      }
      let total = 0;
      for (let q = 0; q < 50; q++) {
        const query = row(queries, dim, q);
        const found = index.search(query, 10, { filter: { rows: bitmap } });
        for (const id of found.ids) expect(id % every).toBe(0);
        total += recall(found.ids, bruteForce('cosine', data, dim, query, 10, skip));
      }
      expect(total / 50, `1 in ${every}`).toBeGreaterThanOrEqual(0.95);
    }
  });
});
