import { kMetricCosine, kMetricIp, kMetricQuantised } from './layout';
import { distQ } from './int8';

// ---- kernels ---------------------------------------------------------------------------------------
// Summation order is fixed (4 vector accumulators over 16-float blocks, then 4-float blocks into acc0,
// lanes summed 0+1+2+3, then the scalar tail) so the plain-TS fallback can reproduce results bit for bit.

export function dot(a: usize, b: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load(a + o, 32), v128.load(b + o, 32)));
    acc3 = f32x4.add(acc3, f32x4.mul(v128.load(a + o, 48), v128.load(b + o, 48)));
  }
  const n4 = dim & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

/** Squared Euclidean distance (l2sqBounded with no bound: the same summation, so the same bits). */
export function l2sq(a: usize, b: usize, dim: i32): f32 {
  return l2sqBounded(a, b, dim, Infinity);
}

/**
 * Norms within this distance of 1 (2^-20, 16 units of 2^-24) count as unit length already. A normalised vector's
 * recomputed norm is off 1 by at most 4 such units (measured up to 4096 dims), and rescaling it would still move
 * its last bits in ~40% of vectors; leaving it as given makes normalising idempotent, so a stored vector added
 * again (an export -> import round trip) is stored bit for bit. The error kept is below the dot product's own.
 */
const kUnitNormSlack: f32 = 9.5367431640625e-7;

/** Scales `a` to unit length in place (unless already unit, see kUnitNormSlack); returns the original norm (0 leaves `a` unchanged). */
export function normalize(a: usize, dim: i32): f32 {
  const n = Mathf.sqrt(dot(a, a, dim));
  if (n > 0 && Mathf.abs(n - 1) > kUnitNormSlack) {
    const inv = <f32>1 / n;
    for (let i = 0; i < dim; i++) {
      const p = a + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * inv);
    }
  }
  return n;
}

/**
 * Squared L2 that gives up early: every 64 floats it checks the partial sum (a lower bound of the result)
 * and returns it as soon as it exceeds `bound`. When it runs to the end it returns exactly l2sq(): the
 * checks read the accumulators without changing them, so the summation order is the same.
 */
export function l2sqBounded(a: usize, b: usize, dim: i32, bound: f32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    const d1 = f32x4.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    const d2 = f32x4.sub(v128.load(a + o, 32), v128.load(b + o, 32));
    const d3 = f32x4.sub(v128.load(a + o, 48), v128.load(b + o, 48));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
    acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
    acc2 = f32x4.add(acc2, f32x4.mul(d2, d2));
    acc3 = f32x4.add(acc3, f32x4.mul(d3, d3));
    if ((i & 63) == 48) {
      const p = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
      const partial = f32x4.extract_lane(p, 0) + f32x4.extract_lane(p, 1) + f32x4.extract_lane(p, 2) + f32x4.extract_lane(p, 3);
      if (partial > bound) return partial;
    }
  }
  const n4 = dim & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(a + o) - load<f32>(b + o);
    s += d * d;
  }
  return s;
}

/**
 * Distance used for ranking: smaller is closer. l2: squared distance; ip: 1 - dot; cosine (vectors stored
 * normalised): |a - b|^2 / 2, which equals 1 - cos but keeps precision for near neighbours and, being a
 * sum of squares, allows the early exit of l2sqBounded.
 */
@inline export function dist(metric: u32, a: usize, b: usize, dim: i32): f32 {
  if (metric >= kMetricQuantised) return distQ(metric - kMetricQuantised, a, b, dim);
  if (metric == kMetricIp) return <f32>1 - dot(a, b, dim);
  const d = l2sq(a, b, dim);
  return metric == kMetricCosine ? d * <f32>0.5 : d;
}

/** dist() when the caller only cares whether the result is below `bound`: may return any value > bound early. */
@inline export function distBounded(metric: u32, a: usize, b: usize, dim: i32, bound: f32): f32 {
  if (metric >= kMetricQuantised) return distQ(metric - kMetricQuantised, a, b, dim);
  if (metric == kMetricIp) return <f32>1 - dot(a, b, dim);
  if (metric == kMetricCosine) return l2sqBounded(a, b, dim, bound * <f32>2) * <f32>0.5;
  return l2sqBounded(a, b, dim, bound);
}

export function distance(metric: u32, a: usize, b: usize, dim: i32): f32 {
  return dist(metric, a, b, dim);
}

/** Distances from `q` to `n` contiguous vectors starting at `base` (row stride `dim`) into `out`. */
export function distanceMany(metric: u32, q: usize, base: usize, n: i32, dim: i32, out: usize): void {
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    store<f32>(out + (<usize>i << 2), dist(metric, q, base + <usize>i * rowBytes, dim));
  }
}
