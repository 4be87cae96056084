import { KernelArena } from '../src/arena.js';
import { FeatherError } from '../src/errors.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { describe, expect, it } from 'vitest';
import { buildIndex } from './helpers.js';
import { allFinite, checkVector } from '../src/validate.js';

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    const e = error as FeatherError;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a FeatherError, nothing was thrown');
}

describe('bad input gives a typed FeatherError and leaves the index usable', () => {
  const { index } = buildIndex({ n: 500, dim: 4, metric: 'l2' });
  const good = new Float32Array([0.1, 0.2, 0.3, 0.4]);
  const before = Array.from(index.search(good, 5).ids);

  it('rejects wrong dimensions', () => {
    expect(codeOf(() => index.add(new Float32Array(3)))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_DIMENSION_MISMATCH",
        "message": "vector must have 4 dimensions, got 3; embed with the same model the store was created with",
      }
    `);
    expect(codeOf(() => index.search([1, 2, 3, 4, 5], 3)).code).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
  });

  it('rejects NaN and Infinity', () => {
    expect(codeOf(() => index.add([0, Number.NaN, 0, 0]))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_INVALID_ARGUMENT",
        "message": "vector[1] must be a finite float32 number, got NaN; check the embedder output for NaN or Infinity",
      }
    `);
    expect(codeOf(() => index.search([0, 0, Number.POSITIVE_INFINITY, 0], 1)).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => index.add([0, 1e39, 0, 0])).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
  });

  it('names the first non-finite component of a Float32Array wherever it sits (the one-pass check sums four ways, then a tail)', () => {
    const dim = 11;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (let at = 0; at < dim; at++) {
        const v = new Float32Array(dim).fill(0.5);
        v[at] = bad;
        if (at + 2 < dim) v[at + 2] = Number.NaN;
        expect(allFinite(v)).toBe(false);
        expect(() => checkVector(v, dim, 'query')).toThrow(`query[${at}] must be a finite float32 number, got ${bad}`);
      }
    }
    const fine = Float32Array.of(-0, 0, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, 7, -7);
    expect(allFinite(fine)).toBe(true);
    expect(() => checkVector(fine, fine.length, 'query')).not.toThrow();
  });

  it('rejects k <= 0, fractional k and bad ef', () => {
    expect(codeOf(() => index.search(good, 0))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_INVALID_ARGUMENT",
        "message": "k must be an integer in [1, 100000], got 0",
      }
    `);
    expect(codeOf(() => index.search(good, -1)).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => index.search(good, 2.5)).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => index.search(good, 3, { ef: 0 })).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
  });

  it('rejects non-vectors, unknown ids and a zero vector under cosine', () => {
    expect(codeOf(() => index.add('hello' as unknown as number[])).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => index.add([0, '1', 0, 0] as unknown as number[])).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => index.delete(10_000))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_NOT_FOUND",
        "message": "node 10000 does not exist: ids run from 0 to 499",
      }
    `);
    const cos = HnswIndex.create(KernelArena.create(), { dim: 4 });
    expect(codeOf(() => cos.add([0, 0, 0, 0])).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(cos.size).toBe(0);
  });

  it('rejects bad create options', () => {
    const arena = KernelArena.create();
    expect(codeOf(() => HnswIndex.create(arena, { dim: 0 })).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => HnswIndex.create(arena, { dim: 4, metric: 'dot' as 'ip' })).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => HnswIndex.create(arena, { dim: 4, efConstrution: 10 } as never))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_INVALID_ARGUMENT",
        "message": "options.efConstrution is not a known option; expected one of dim, metric, m, efConstruction, efSearch, screening, storage, maxAbs, seed, chunkShift, maxChunks",
      }
    `);
  });

  it('a bad row in addMany inserts nothing', () => {
    const rows = new Float32Array(4 * 3).fill(0.5);
    rows[6] = Number.NaN;
    expect(codeOf(() => index.addMany(rows)).message).toContain('vectors[1][2]');
    expect(index.size).toBe(500);
  });

  it('after all of that, nothing was lost', () => {
    expect(index.size).toBe(500);
    expect(Array.from(index.search(good, 5).ids)).toEqual(before);
  });

  it('errors survive a structured clone through their wire form', () => {
    const e = new FeatherError('FEATHER_ERR_NOT_FOUND', 'gone', { id: 3 });
    const back = FeatherError.fromWire(structuredClone(e.toWire()));
    expect(back).toBeInstanceOf(FeatherError);
    expect(back.code).toBe('FEATHER_ERR_NOT_FOUND');
    expect(back.kind).toBe('not_found');
    expect(back.details).toEqual({ id: 3 });
  });
});

describe('scratch growth', () => {
  it('searches with ever larger ef grow the scratch geometrically, not the memory without bound', () => {
    const { index } = buildIndex({ n: 2000, dim: 8 });
    const before = index.arena.bytesUsed();
    for (let ef = 20; ef < 2000; ef += 3) index.search(new Float32Array(8).fill(0.25), 5, { ef });
    expect(index.arena.bytesUsed() - before).toBeLessThan(2_000_000);
  });
});
