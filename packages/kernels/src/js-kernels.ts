// Plain-TS fallback kernels. They reproduce the wasm kernels' summation order exactly (four 4-lane
// accumulators over 16-float blocks, 4-float blocks into the first accumulator, lanes summed in order,
// then the scalar tail), rounding every step to float32 with Math.fround. Float32 +, - and * computed in
// float64 and rounded once are correctly rounded, so the results are bit-identical to the wasm ones.

const fr = Math.fround;

/** Dot product of `dim` floats of `a` from `ai` and `b` from `bi` (element offsets). */
export function dotJs(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  const acc = new Float64Array(16);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    for (let j = 0; j < 16; j++) acc[j] = fr(acc[j] + fr(a[ai + i + j] * b[bi + i + j]));
  }
  const n4 = dim & ~3;
  for (; i < n4; i += 4) {
    for (let j = 0; j < 4; j++) acc[j] = fr(acc[j] + fr(a[ai + i + j] * b[bi + i + j]));
  }
  return finish(acc, (s, k) => fr(s + fr(a[ai + k] * b[bi + k])), i, dim);
}

/** Squared Euclidean distance, same addressing as {@link dotJs}. */
export function l2sqJs(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  const acc = new Float64Array(16);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    for (let j = 0; j < 16; j++) {
      const d = fr(a[ai + i + j] - b[bi + i + j]);
      acc[j] = fr(acc[j] + fr(d * d));
    }
  }
  const n4 = dim & ~3;
  for (; i < n4; i += 4) {
    for (let j = 0; j < 4; j++) {
      const d = fr(a[ai + i + j] - b[bi + i + j]);
      acc[j] = fr(acc[j] + fr(d * d));
    }
  }
  return finish(
    acc,
    (s, k) => {
      const d = fr(a[ai + k] - b[bi + k]);
      return fr(s + fr(d * d));
    },
    i,
    dim,
  );
}

function finish(acc: Float64Array, tail: (s: number, k: number) => number, from: number, dim: number): number {
  // acc = (acc0 + acc1) + (acc2 + acc3) lane-wise, then lanes 0..3 left to right.
  const lane = (j: number): number => fr(fr(acc[j] + acc[4 + j]) + fr(acc[8 + j] + acc[12 + j]));
  let s = fr(fr(fr(lane(0) + lane(1)) + lane(2)) + lane(3));
  for (let k = from; k < dim; k++) s = tail(s, k);
  return s;
}

/**
 * The ranking distance the index uses, by metric code: 0 = ip (1 - dot), 1 = l2 (squared distance),
 * 2 = cosine on normalised vectors (|a - b|^2 / 2, which equals 1 - cos).
 */
export function distanceJs(metric: number, a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  if (metric === 0) return fr(1 - dotJs(a, ai, b, bi, dim));
  const d = l2sqJs(a, ai, b, bi, dim);
  return metric === 2 ? fr(d * 0.5) : d;
}

/** Norms this close to 1 (2^-20) are unit already: the wasm `normalize` explains why. */
const kUnitNormSlack = 2 ** -20;

/** Normalises `dim` floats of `a` from `ai` in place exactly as the wasm `normalize`; returns the norm. */
export function normalizeJs(a: Float32Array, ai: number, dim: number): number {
  const n = fr(Math.sqrt(dotJs(a, ai, a, ai, dim)));
  if (n > 0 && Math.abs(n - 1) > kUnitNormSlack) {
    const inv = fr(1 / n);
    for (let i = 0; i < dim; i++) a[ai + i] = fr(a[ai + i] * inv);
  }
  return n;
}
