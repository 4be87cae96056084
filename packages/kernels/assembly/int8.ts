import { kMetricCosine, kMetricIp, kMetricL2 } from './layout';

// ---- int8 screening codes -------------------------------------------------------------------------
// A node may carry an int8 copy of its vector (per-vector scale). Searches score candidates on the codes
// first and compute the float32 distance only when the codes cannot prove the candidate is worse than the
// current bound. The proof is a worst-case bound on |q.x - q^.x^| <= (|q|_1 * sx + sq * |x^|_1) / 2, so
// screening never changes a result: it only skips work (and the cache lines of the float32 vector).

/** Quantises `dim` floats at `v` into a screening block at `out` (16-byte header + align16(dim) codes). */
export function quantize(v: usize, dim: i32, out: usize): void {
  let maxAbs: f32 = 0;
  let norm2: f32 = 0;
  let l1: f32 = 0;
  for (let i = 0; i < dim; i++) {
    const x = load<f32>(v + (<usize>i << 2));
    const a = Mathf.abs(x);
    if (a > maxAbs) maxAbs = a;
    norm2 += x * x;
    l1 += a;
  }
  const scale: f32 = maxAbs > 0 ? maxAbs / 127 : 0;
  const inv: f32 = maxAbs > 0 ? <f32>127 / maxAbs : 0;
  let l1q: f32 = 0;
  const codes = out + 16;
  for (let i = 0; i < dim; i++) {
    let c = <i32>nearest<f32>(load<f32>(v + (<usize>i << 2)) * inv);
    if (c > 127) c = 127;
    if (c < -127) c = -127;
    store<i8>(codes + <usize>i, <i8>c);
    l1q += <f32>abs(c);
  }
  const padded = (dim + 15) & ~15;
  for (let i = dim; i < padded; i++) store<i8>(codes + <usize>i, 0);
  store<f32>(out, scale);
  store<f32>(out, norm2, 4);
  store<f32>(out, l1, 8);
  store<f32>(out, l1q * scale, 12);
}

/** Integer dot product of two zero-padded int8 code arrays of `dim` entries. */
export function dotI8(a: usize, b: usize, dim: i32): i32 {
  let acc = i32x4.splat(0);
  const padded = (dim + 15) & ~15;
  for (let i = 0; i < padded; i += 16) {
    const va = v128.load(a + <usize>i);
    const vb = v128.load(b + <usize>i);
    const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(va), i16x8.extend_low_i8x16_s(vb));
    const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(va), i16x8.extend_high_i8x16_s(vb));
    acc = i32x4.add(acc, i32x4.add(lo, hi));
  }
  return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
}

/**
 * A lower bound of dist(q, x) from the screening blocks of q and x (see quantize). The bound includes a
 * relative slack of 1e-4 for the float32 rounding of the exact kernels, so whenever it exceeds a threshold
 * the float32 distance does too.
 */
export function screenLowerBound(metric: u32, qb: usize, xb: usize, dim: i32): f32 {
  const sq = load<f32>(qb);
  const sx = load<f32>(xb);
  const dotHat = sq * sx * <f32>dotI8(qb + 16, xb + 16, dim);
  const err = <f32>0.5 * (load<f32>(qb, 8) * sx + sq * load<f32>(xb, 12));
  const dotMax = dotHat + err;
  let d: f32;
  if (metric == kMetricL2) d = load<f32>(qb, 4) + load<f32>(xb, 4) - <f32>2 * dotMax;
  else d = <f32>1 - dotMax;
  return d - <f32>1e-4 * (Mathf.abs(d) + <f32>1);
}

// ---- int8 storage ----------------------------------------------------------------------------------
// With int8 storage a node keeps only the quantised block (per-vector scale, see quantize): ~dim + 16 bytes
// instead of 4 * dim. Queries stay float32 and are compared against the dequantised codes, so the only
// error is the vector's own rounding (at most scale / 2 per dimension).

/** dist() between a float32 vector `q` and an int8 block `x`. */
export function distQ(metric: u32, q: usize, x: usize, dim: i32): f32 {
  const scale = load<f32>(x);
  const c = x + 16;
  if (metric == kMetricIp) return <f32>1 - scale * dotQ(q, c, dim);
  const d = l2Q(q, c, scale, dim);
  return metric == kMetricCosine ? d * <f32>0.5 : d;
}

@inline export function codesToF32(v: v128, part: i32): v128 {
  const half = part < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return f32x4.convert_i32x4_s((part & 1) == 0 ? i32x4.extend_low_i16x8_s(half) : i32x4.extend_high_i16x8_s(half));
}

/** Σ q_i * c_i over float32 q and int8 c. */
export function dotQ(q: usize, c: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const v = v128.load(c + <usize>i);
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(q + o), codesToF32(v, 0)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(q + o, 16), codesToF32(v, 1)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load(q + o, 32), codesToF32(v, 2)));
    acc3 = f32x4.add(acc3, f32x4.mul(v128.load(q + o, 48), codesToF32(v, 3)));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) s += load<f32>(q + (<usize>i << 2)) * <f32>load<i8>(c + <usize>i);
  return s;
}

/** Σ (q_i - scale * c_i)^2 over float32 q and int8 c. */
export function l2Q(q: usize, c: usize, scale: f32, dim: i32): f32 {
  const sv = f32x4.splat(scale);
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const v = v128.load(c + <usize>i);
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(q + o), f32x4.mul(codesToF32(v, 0), sv));
    const d1 = f32x4.sub(v128.load(q + o, 16), f32x4.mul(codesToF32(v, 1), sv));
    const d2 = f32x4.sub(v128.load(q + o, 32), f32x4.mul(codesToF32(v, 2), sv));
    const d3 = f32x4.sub(v128.load(q + o, 48), f32x4.mul(codesToF32(v, 3), sv));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
    acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
    acc2 = f32x4.add(acc2, f32x4.mul(d2, d2));
    acc3 = f32x4.add(acc3, f32x4.mul(d3, d3));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    const d = load<f32>(q + (<usize>i << 2)) - scale * <f32>load<i8>(c + <usize>i);
    s += d * d;
  }
  return s;
}

/** Dequantises the int8 block `x` into `dim` floats at `out`. */
export function dequantize(x: usize, dim: i32, out: usize): void {
  const scale = load<f32>(x);
  for (let i = 0; i < dim; i++) store<f32>(out + (<usize>i << 2), scale * <f32>load<i8>(x + 16 + <usize>i));
}

/** The metric code the distance helpers take for index `h` (kMetricQuantised added for int8 storage). */
