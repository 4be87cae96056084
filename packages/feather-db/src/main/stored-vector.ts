// What a vector becomes when it is stored or searched: float32 and, under cosine, a direction the kernels can
// normalise. Validation looks at that value, not at the float64 input: `1e-50` is a finite float64 but rounds
// to 0 as float32, and a cosine vector with components beyond ~1.8e19 overflows the kernels' float32 norm.
import { allFinite, FeatherError, type Metric } from '@feather-db/core';

/**
 * Under cosine, a vector whose largest component is outside [2^-40, 2^40] is scaled by a power of two (exact,
 * and the direction is unchanged) so the kernels' float32 sum of squares neither overflows (65,536 components
 * of 2^40 sum to 2^96) nor underflows to zero (2^-80 is far above float32's smallest normal, 2^-126).
 */
const kSafeExponent = 40;

/**
 * Checks the float32 values of row `v` (in place) as they will be stored under `metric`, rescaling a cosine
 * vector out of the kernels' safe range. `path` names the vector in messages.
 * @throws FEATHER_ERR_INVALID_ARGUMENT for a component that is not a finite float32, or a cosine vector that is
 * all zeros as float32.
 */
function checkStoredVector(v: Float32Array, metric: Metric, path: string): void {
  if (!allFinite(v)) {
    const i = v.findIndex((x) => !Number.isFinite(x));
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path}[${i}] must be a finite float32 number, got ${v[i]}; check the embedder output for NaN, Infinity or non-numbers`,
      { path, index: i },
    );
  }
  if (metric !== 'cosine') return;
  let maxAbs = 0;
  for (let i = 0; i < v.length; i++) maxAbs = Math.max(maxAbs, Math.abs(v[i]!));
  if (maxAbs === 0) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path} must not be all zeros under the cosine metric: it has no direction; drop it or use metric "l2" (every component is 0 as float32, whose smallest value is 1.4e-45: scale it up)`,
      { path },
    );
  }
  const exponent = Math.floor(Math.log2(maxAbs));
  if (exponent >= -kSafeExponent && exponent <= kSafeExponent) return;
  // Two steps: 2^-exponent alone can overflow float64's range near float32's extremes (it cannot here, but
  // halving keeps each factor a normal float64 power of two).
  const half = Math.trunc(-exponent / 2);
  for (const factor of [2 ** half, 2 ** (-exponent - half)]) for (let i = 0; i < v.length; i++) v[i] = v[i]! * factor;
}

/**
 * checkStoredVector for each of the rows of `chunk` (`dim` values each, the first named `${name}[${first}]`),
 * without a view or a message per row: a row is looked at alone only when it fails or needs rescaling.
 * @throws as checkStoredVector.
 */
export function checkStoredRows(chunk: Float32Array, dim: number, metric: Metric, name: string, first: number): void {
  const finite = allFinite(chunk);
  if (finite && metric !== 'cosine') return;
  for (let at = 0, r = first; at < chunk.length; at += dim, r++) {
    if (finite) {
      let maxAbs = 0;
      for (let i = at; i < at + dim; i++) maxAbs = Math.max(maxAbs, Math.abs(chunk[i]!));
      // checkStoredVector's safe range: exponent within [-kSafeExponent, kSafeExponent].
      if (maxAbs >= 2 ** -kSafeExponent && maxAbs < 2 ** (kSafeExponent + 1)) continue;
    }
    checkStoredVector(chunk.subarray(at, at + dim), metric, `${name}[${r}]`);
  }
}

/**
 * A float32 copy of a validated input vector, checked and (cosine) rescaled as checkStoredVector says: `copy`
 * when given (the caller's copy of `vector`), else a new one.
 */
export function storedVector(vector: ArrayLike<number>, metric: Metric, path: string, copy?: Float32Array): Float32Array {
  // The constructor copies a typed array or an array in one native step (Float32Array.from iterates).
  const stored = copy ?? new Float32Array(vector);
  checkStoredVector(stored, metric, path);
  return stored;
}
