// Ranking the pool's answer (main/search-results.ts) and the search options behind it
// (main/search-options.ts), on a real mirror with a fixed clock.
import { MemoryModel } from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import { resolveChain, resolveSearch } from '../src/main/search-options.js';
import { candidatesWanted, chainFrom, rankHits } from '../src/main/search-results.js';
import { Spaces } from '../src/main/spaces.js';

const day = 86_400_000;
const now = 1_700_000_000_000;
const spaces = new Spaces([{ name: 'text', dim: 2, metric: 'cosine' }]);

function model(): MemoryModel {
  const m = new MemoryModel();
  m.upsert(
    [
      { id: 'old', text: 'old', timestamp: now - 300 * day },
      { id: 'new', text: 'new', timestamp: now },
      { id: 'gone', text: 'gone', timestamp: now },
      { id: 'heavy', text: 'heavy', timestamp: now - 300 * day, importance: 3 },
    ],
    now,
  );
  return m;
}

describe('rankHits', () => {
  it('turns kernel distances into similarities, keeps the best k, and skips rows forgotten meanwhile', () => {
    const m = model();
    m.forget(['gone']);
    const found = { rows: Uint32Array.of(0, 2, 1, 3), distances: Float32Array.of(0.1, 0.2, 0.3, 0.4) };
    const { hits, rows } = rankHits(m, 'cosine', found, { k: 2, decay: undefined, now });
    expect(hits.map((h) => h.id)).toEqual(['old', 'new']);
    expect(rows).toEqual([0, 1]);
    expect(hits[0]).toMatchObject({ text: 'old', score: hits[0].similarity });
    expect(hits[0].similarity).toBeCloseTo(0.9, 6);
    expect(rankHits(m, 'l2', found, { k: 1, decay: undefined, now }).hits[0].similarity).toBeCloseTo(1 / 1.1, 6);
  });

  it('with decay, re-ranks the whole pool by the decayed score at the given clock', () => {
    const m = model();
    const found = { rows: Uint32Array.of(0, 1, 3), distances: Float32Array.of(0.1, 0.15, 0.3) };
    const decay = { halfLife: 30, timeWeight: 0.5 };
    const { hits } = rankHits(m, 'cosine', found, { k: 3, decay, now });
    // 'heavy' is old but three times as important; 'old' loses its lead to 'new' on recency.
    expect(hits.map((h) => h.id)).toEqual(['heavy', 'new', 'old']);
    expect(hits[1].score).toBeCloseTo((0.5 * 0.85 + 0.5 * 1) * 1, 6);
    expect(rankHits(m, 'cosine', found, { k: 3, decay, now: now + 3650 * day }).hits[1].score).toBeLessThan(hits[1].score);
  });

  it('asks the pool for k candidates, or for the whole ef pool when decay re-ranks', () => {
    expect(candidatesWanted({ k: 5, ef: 64, decay: undefined })).toBe(5);
    expect(candidatesWanted({ k: 5, ef: 64, decay: { halfLife: 30, timeWeight: 0.3 } })).toBe(64);
    expect(candidatesWanted({ k: 100, ef: 64, decay: { halfLife: 30, timeWeight: 0.3 } })).toBe(100);
  });
});

describe('chainFrom', () => {
  it('grows seeds over edges both ways, with each node row beside it', () => {
    const m = model();
    m.link('old', 'new', 'next', 1);
    m.link('heavy', 'old', 'about', 0.5);
    const seeds = rankHits(m, 'cosine', { rows: Uint32Array.of(0), distances: Float32Array.of(0) }, { k: 1, decay: undefined, now });
    const chain = chainFrom(m, seeds, 1, undefined);
    expect(chain.nodes.map((n) => [n.id, n.hop])).toEqual([
      ['old', 0],
      ['heavy', 1],
      ['new', 1],
    ]);
    expect(chain.rows).toEqual([0, 3, 1]);
    expect(chain.nodes[0].similarity).toBe(1);
    expect(chain.nodes[1].similarity).toBeNull();
    expect(chain.edges).toHaveLength(2);
  });
});

describe('search options', () => {
  it('default k 10, the store ef, tracking on, decay only when asked, the clock as given', () => {
    const { s, vector } = resolveSearch(spaces, 77, [1, 0], { now: new Date(now) });
    expect(s).toMatchObject({ modality: 'text', k: 10, ef: 77, track: true, includeVector: false, decay: undefined, now });
    expect(vector).toEqual(Float32Array.of(1, 0));
    expect(resolveSearch(spaces, 77, [1, 0], { halfLife: 7 }).s.decay).toEqual({ halfLife: 7, timeWeight: 0.3 });
    expect(() => resolveSearch(spaces, 77, [1, 0, 0], {})).toThrow(/query must have 2 dimensions, got 3/);
    expect(() => resolveSearch(spaces, 77, [1, 0], { timeWeight: 2 })).toThrow('options.timeWeight must be a number in [0, 1], got 2');
  });

  it('context chains: k 5 and 2 hops by default, at most 16 hops', () => {
    const { search, hops } = resolveChain(spaces, 77, [1, 0], undefined);
    expect([search.k, hops]).toEqual([5, 2]);
    expect(() => resolveChain(spaces, 77, [1, 0], { hops: 17 })).toThrow('options.hops must be an integer in [0, 16], got 17');
  });
});
