import { createSharedMemory, distanceJs, dotJs, instantiateKernels, l2sqJs, normalizeJs } from '@feather-db/kernels';
import { seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const kDims = [1, 3, 4, 15, 16, 17, 64, 100, 768];

function setup() {
  const memory = createSharedMemory(4);
  const wasm = instantiateKernels(memory);
  const base = wasm.arenaInit();
  expect(base).toBeGreaterThan(0);
  return { memory, wasm };
}

function randomVector(rand: () => number, dim: number): Float32Array {
  return Float32Array.from({ length: dim }, () => rand() * 4 - 2);
}

function refDot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function refL2(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

describe('wasm kernels', () => {
  const { memory, wasm } = setup();

  function place(v: Float32Array): number {
    const at = wasm.alloc(v.length * 4) >>> 0;
    new Float32Array(memory.buffer).set(v, at >>> 2);
    return at;
  }

  for (const dim of kDims) {
    it(`dot, l2sq, cosine and normalize match a float64 reference at dim ${dim}`, () => {
      const rand = seededRandom(1000 + dim);
      for (let trial = 0; trial < 20; trial++) {
        const a = randomVector(rand, dim);
        const b = randomVector(rand, dim);
        const pa = place(a);
        const pb = place(b);
        // float32 accumulation error grows like sqrt(dim) * eps * sum|terms|
        const tol = (terms: number) => 1e-6 * Math.sqrt(dim) * terms + 1e-6;
        const absDot = a.reduce((s, x, i) => s + Math.abs(x * b[i]), 0);
        expect(Math.abs(wasm.dot(pa, pb, dim) - refDot(a, b))).toBeLessThanOrEqual(tol(absDot));
        expect(Math.abs(wasm.l2sq(pa, pb, dim) - refL2(a, b))).toBeLessThanOrEqual(tol(refL2(a, b)));
        expect(Math.abs(wasm.distance(0, pa, pb, dim) - (1 - refDot(a, b)))).toBeLessThanOrEqual(tol(absDot));
        const norm = Math.sqrt(refDot(a, a));
        expect(Math.abs(wasm.normalize(pa, dim) - norm)).toBeLessThanOrEqual(tol(norm * norm));
        const na = new Float32Array(memory.buffer, pa, dim);
        expect(Math.abs(Math.sqrt(refDot(Float32Array.from(na), Float32Array.from(na))) - 1)).toBeLessThan(1e-5);
        // cosine distance of normalised vectors = |a-b|^2 / 2 = 1 - cos
        wasm.normalize(pb, dim);
        const cos = refDot(a, b) / (norm * Math.sqrt(refDot(b, b)));
        expect(Math.abs(wasm.distance(2, pa, pb, dim) - (1 - cos))).toBeLessThan(1e-5 * Math.sqrt(dim) + 1e-6);
      }
    });

    it(`plain-TS fallback is bit-identical to wasm at dim ${dim}`, () => {
      const rand = seededRandom(2000 + dim);
      for (let trial = 0; trial < 20; trial++) {
        const a = randomVector(rand, dim);
        const b = randomVector(rand, dim);
        const pa = place(a);
        const pb = place(b);
        expect(dotJs(a, 0, b, 0, dim)).toBe(wasm.dot(pa, pb, dim));
        expect(l2sqJs(a, 0, b, 0, dim)).toBe(wasm.l2sq(pa, pb, dim));
        for (const metric of [0, 1, 2]) expect(distanceJs(metric, a, 0, b, 0, dim)).toBe(wasm.distance(metric, pa, pb, dim));
        const c = Float32Array.from(a);
        expect(normalizeJs(c, 0, dim)).toBe(wasm.normalize(pa, dim));
        expect(Array.from(c)).toEqual(Array.from(new Float32Array(memory.buffer, pa, dim)));
        // Normalising is idempotent: a unit vector (an export of a stored one) keeps every bit.
        const once = Float32Array.from(c);
        normalizeJs(c, 0, dim);
        wasm.normalize(pa, dim);
        expect(Array.from(c)).toEqual(Array.from(once));
        expect(Array.from(new Float32Array(memory.buffer, pa, dim))).toEqual(Array.from(once));
      }
    });
  }

  it('distanceMany scores contiguous rows like single calls', () => {
    const dim = 17;
    const rand = seededRandom(7);
    const rows = randomVector(rand, dim * 9);
    const q = randomVector(rand, dim);
    const pRows = place(rows);
    const pq = place(q);
    const out = wasm.alloc(9 * 4) >>> 0;
    wasm.distanceMany(1, pq, pRows, 9, dim, out);
    const got = new Float32Array(memory.buffer, out, 9);
    for (let i = 0; i < 9; i++) expect(got[i]).toBe(wasm.l2sq(pq, pRows + i * dim * 4, dim));
  });

  it('alloc hands out aligned, zeroed, non-overlapping ranges and grows the shared memory in place', () => {
    const before = memory.buffer.byteLength;
    const view = new Uint8Array(memory.buffer);
    const a = wasm.alloc(100) >>> 0;
    const big = wasm.alloc(before * 2) >>> 0;
    expect(a % 64).toBe(0);
    expect(big % 64).toBe(0);
    expect(big).toBeGreaterThanOrEqual(a + 100);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big + before * 2);
    // The old view still reads the same bytes: shared memory grows without moving.
    view[a] = 42;
    expect(new Uint8Array(memory.buffer)[a]).toBe(42);
    expect(new Uint8Array(memory.buffer, big, 1024).every((x) => x === 0)).toBe(true);
  });
});
