// Code every thread runs (shared/): replies that carry errors as data, and the per-thread handle cache; and
// the modality checks of main/spaces.ts.
import { FeatherError, HnswIndex, KernelArena, RowMap } from '@feather-db/core';
import { clusteredVectors } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { Spaces } from '../src/main/spaces.js';
import { AttachCache } from '../src/shared/attach-cache.js';
import { toReply, unwrap } from '../src/shared/replies.js';

describe('replies', () => {
  it('carry a value, or an error as { code, message, details } rebuilt as a FeatherError', () => {
    expect(unwrap(toReply(() => 42))).toBe(42);
    const reply = toReply(() => {
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', 'memory 7 does not exist', { id: 7 });
    });
    expect(reply).toEqual({ ok: false, error: { code: 'FEATHER_ERR_NOT_FOUND', message: 'memory 7 does not exist', details: { id: 7 } } });
    // Through structured clone, as between threads.
    const error = (() => {
      try {
        unwrap(structuredClone(reply));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FeatherError);
    expect(error).toMatchObject({ code: 'FEATHER_ERR_NOT_FOUND', details: { id: 7 } });
  });

  it('turn foreign errors into FEATHER_ERR_INTERNAL, keeping the message', () => {
    const reply = toReply(() => {
      throw new RangeError('offset out of bounds');
    });
    expect(reply).toEqual({
      ok: false,
      error: { code: 'FEATHER_ERR_INTERNAL', message: 'Unexpected error in a worker: offset out of bounds' },
    });
  });
});

describe('AttachCache', () => {
  it('attaches once per address and sees what the creating handle writes', () => {
    const arena = KernelArena.create();
    const index = HnswIndex.create(arena, { dim: 2, metric: 'l2' });
    const rows = RowMap.create(arena);
    const cache = new AttachCache(arena);
    const seen = cache.index(index.address);
    expect(cache.index(index.address)).toBe(seen);
    expect(cache.rowMap(rows.table)).toBe(cache.rowMap(rows.table));
    index.add([1, 2]);
    rows.set(0, 0);
    expect(seen.size).toBe(1);
    expect(Array.from(seen.getVector(0))).toEqual([1, 2]);
    expect(cache.rowMap(rows.table).get(0)).toBe(0);
  });

  it("drops a retired index's handle and gives its scratch back when the next index is attached, though current() never saw it", () => {
    const arena = KernelArena.create();
    const cache = new AttachCache(arena);
    const inUse = (): number => arena.bytesUsed() - arena.freeBytes();
    // What an import's pool thread does across compactions: it reaches each generation by address and never
    // through current().
    const scratchGrowth: number[] = [];
    for (let g = 0; g < 5; g++) {
      const index = HnswIndex.create(arena, { dim: 8, metric: 'l2' });
      index.addMany(clusteredVectors({ n: 500, dim: 8, seed: g + 1 }));
      const query = index.getVector(3);
      const before = inUse();
      // This thread's first search on the handle allocates its scratch (visited tags for 500 nodes, heaps).
      expect(cache.index(index.address).search(query, 1).ids[0]).toBe(3);
      scratchGrowth.push(inUse() - before);
      index.markRetired();
    }
    expect(scratchGrowth[0]).toBeGreaterThan(0);
    // Every later attach first dropped the handle on the generation retired before it: its scratch went back
    // to the arena and the new one took its place, so memory in use did not grow.
    expect(scratchGrowth.slice(1)).toEqual([0, 0, 0, 0]);
    expect(cache.attachedIndexes).toBe(1);
  });

  it('keeps the handles on live indexes when it drops a retired one', () => {
    const arena = KernelArena.create();
    const cache = new AttachCache(arena);
    const a = HnswIndex.create(arena, { dim: 2, metric: 'l2' });
    const b = HnswIndex.create(arena, { dim: 2, metric: 'l2' });
    cache.index(a.address);
    cache.index(b.address);
    expect(cache.attachedIndexes).toBe(2);
    b.markRetired();
    const c = HnswIndex.create(arena, { dim: 2, metric: 'l2' });
    cache.index(c.address);
    expect(cache.attachedIndexes).toBe(2);
    expect(cache.index(a.address)).toBeDefined();
    expect(cache.attachedIndexes).toBe(2);
  });
});

describe('Spaces', () => {
  const spaces = new Spaces([
    { name: 'text', dim: 3, metric: 'cosine' },
    { name: 'image', dim: 2, metric: 'l2' },
  ]);

  it("names the store's modalities, 'text' by default", () => {
    expect(spaces.check(undefined, 'options.modality')).toBe('text');
    expect(spaces.check('image', 'options.modality')).toBe('image');
    expect(() => spaces.check('audio', 'options.modality')).toThrow(
      `options.modality must be one of the store's modalities (text, image), got "audio"; declare more with open({ modalities })`,
    );
  });

  it('checks a stored vector against its modality: dimension, finite values, a direction under cosine', () => {
    expect(() => spaces.checkStored([0, 0, 0], 'text', 'vector')).toThrow(/vector must not be all zeros under the cosine metric/);
    expect(() => spaces.checkStored([0, 0], 'image', 'vector')).not.toThrow();
    expect(() => spaces.checkStored([1, 2], 'text', 'vector')).toThrowError(
      expect.objectContaining({ code: 'FEATHER_ERR_DIMENSION_MISMATCH' }) as Error,
    );
    expect(() => spaces.checkStored([1, Number.POSITIVE_INFINITY], 'image', 'vectors[4]')).toThrow(
      /vectors\[4\]\[1\] must be a finite float32 number/,
    );
  });
});
