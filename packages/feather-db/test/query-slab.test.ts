// A search's query copy (main/query-slab.ts, Spaces.checkQuery): a view into a shared slab, independent of the
// caller's buffer and of every other copy, and refused exactly as checkStored refuses a stored vector.
import { FeatherError } from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import { QuerySlab } from '../src/main/query-slab.js';
import { Spaces } from '../src/main/spaces.js';

function refusal(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof FeatherError)) throw error;
    return { code: error.code, message: error.message };
  }
  return undefined;
}

describe('QuerySlab', () => {
  it('copies into shared memory, 16-byte aligned, and no copy shares bytes with the input or another copy', () => {
    const slab = new QuerySlab();
    const input = Float32Array.from({ length: 7 }, (_, i) => i + 0.5);
    const copies = Array.from({ length: 50 }, () => slab.copy(input));
    input.fill(-1);
    for (const [n, copy] of copies.entries()) {
      expect(copy.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(copy.byteOffset % 16).toBe(0);
      expect(Array.from(copy)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
      copy[0] = 1000 + n;
    }
    // Each write above landed in its own copy only.
    expect(copies.map((c) => c[0])).toEqual(copies.map((_, n) => 1000 + n));
  });

  it('starts a new slab when one is full, and gives a large query a buffer of its own', () => {
    const slab = new QuerySlab();
    const row = new Float32Array(16_000).fill(2);
    const copies = Array.from({ length: 40 }, () => slab.copy(row));
    // 64,000 bytes each: 16 fit in a 1 MiB slab, so 40 copies take at least three slabs.
    expect(new Set(copies.map((c) => c.buffer)).size).toBeGreaterThanOrEqual(3);
    const large = slab.copy(new Float32Array(20_000).fill(3));
    expect(large.byteLength).toBe(80_000);
    expect(large.buffer.byteLength).toBe(80_000);
    expect(copies.every((c) => c.every((x) => x === 2))).toBe(true);
  });

  it('fills a slab again only once every copy taken from it is released, and never rewrites a copy still out', () => {
    const slab = new QuerySlab();
    // 64,000 bytes each: 16 fill a 1 MiB slab.
    const row = (x: number): Float32Array => new Float32Array(16_000).fill(x);
    const first = Array.from({ length: 16 }, () => slab.copy(row(1)));
    const buffer = first[0].buffer;
    expect(first.every((c) => c.buffer === buffer)).toBe(true);
    // One copy stays out: the next slabs are new, however many are filled and released meanwhile.
    first.slice(1).forEach((c) => slab.release(c));
    for (let round = 2; round < 6; round++) {
      const copies = Array.from({ length: 16 }, () => slab.copy(row(round)));
      expect(copies.some((c) => c.buffer === buffer)).toBe(false);
      copies.forEach((c) => slab.release(c));
    }
    expect(first[0].every((x) => x === 1)).toBe(true);
    // Released at last: its slab is filled again, and the copies out of other slabs are untouched.
    const kept = slab.copy(row(7));
    slab.release(first[0]);
    const later = Array.from({ length: 48 }, () => slab.copy(row(8)));
    expect(later.some((c) => c.buffer === buffer)).toBe(true);
    expect(kept.every((x) => x === 7)).toBe(true);
    expect(later.every((c) => c.every((x) => x === 8))).toBe(true);
  });

  it('converts arrays and Float64Arrays to float32 as the Float32Array constructor does', () => {
    const slab = new QuerySlab();
    const values = [0.1, 1 / 3, 1e-40, 3.4e38];
    expect(Array.from(slab.copy(values))).toEqual(Array.from(new Float32Array(values)));
    expect(Array.from(slab.copy(Float64Array.from(values)))).toEqual(Array.from(new Float32Array(values)));
  });
});

describe('Spaces.checkQuery', () => {
  const cosine = new Spaces([{ name: 'text', dim: 3, metric: 'cosine' }]);
  const l2 = new Spaces([{ name: 'text', dim: 3, metric: 'l2' }]);

  it('returns what checkStored returns, rescaled under cosine alike', () => {
    for (const spaces of [cosine, l2]) {
      for (const v of [[1, 2, 3], new Float32Array([1e-30, 0, -2e-30]), new Float64Array([1e30, 1, 0]), new Float32Array([0.25, -4, 8])]) {
        expect(Array.from(spaces.checkQuery(v, 'text', 'query'))).toEqual(Array.from(spaces.checkStored(v, 'text', 'query')));
      }
    }
  });

  it('refuses what checkStored refuses, with the same code and message, and leaves the input alone', () => {
    const bad: unknown[] = [
      'text',
      [1, 2],
      new Float32Array(4),
      [1, Number.NaN, 3],
      [1, '2', 3],
      new Float32Array([1, Number.POSITIVE_INFINITY, 3]),
      new Float32Array([Number.NaN, 0, 0]),
      new Float64Array([1, 1e39, 1]),
      [0, 0, 0],
      new Float32Array([0, 0, 0]),
      [1e-46, 0, 0],
    ];
    for (const spaces of [cosine, l2]) {
      for (const v of bad) {
        const before = ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : undefined;
        const expected = refusal(() => spaces.checkStored(v, 'text', 'query'));
        expect(refusal(() => spaces.checkQuery(v, 'text', 'query'))).toEqual(expected);
        if (before !== undefined) expect(Array.from(v as Float32Array)).toEqual(before);
      }
    }
    // Under cosine the zero vectors are refused; under l2 they are stored.
    expect(refusal(() => cosine.checkQuery([0, 0, 0], 'text', 'query'))?.code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(refusal(() => l2.checkQuery([0, 0, 0], 'text', 'query'))).toBeUndefined();
  });
});
