import { describeValue, FeatherError } from './errors.js';

/** Input accepted wherever a vector is expected. */
export type VectorInput = Float32Array | Float64Array | readonly number[];

/** Whether `value` has a vector's shape (a Float32Array, a Float64Array or an array); its values are not checked. */
export function isVectorInput(value: unknown): value is VectorInput {
  return value instanceof Float32Array || value instanceof Float64Array || Array.isArray(value);
}

/**
 * Checks that `vector` is an array-like of `dim` finite numbers. `path` names the argument in the message
 * (`query`, `vectors[3]`, ...).
 */
export function checkVector(vector: unknown, dim: number, path: string): asserts vector is VectorInput {
  if (!isVectorInput(vector)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path} must be a Float32Array or an array of numbers, got ${describeValue(vector)}`,
      { path },
    );
  }
  if (vector.length !== dim) {
    throw new FeatherError(
      'FEATHER_ERR_DIMENSION_MISMATCH',
      `${path} must have ${dim} dimensions, got ${vector.length}; embed with the same model the store was created with`,
      { path, expected: dim, received: vector.length },
    );
  }
  // A Float32Array holds numbers within float32's range or non-finite ones: the common case in one pass
  // (the loop below finds the culprit for the message).
  if (vector instanceof Float32Array && allFinite(vector)) return;
  for (let i = 0; i < dim; i++) {
    const x: unknown = vector[i];
    if (typeof x !== 'number' || !Number.isFinite(x) || Math.abs(x) > 3.4028234663852886e38) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path}[${i}] must be a finite float32 number, got ${describeValue(x)}; check the embedder output for NaN or Infinity`,
        { path, index: i },
      );
    }
  }
}

/**
 * Whether every component of `v` is finite. x * 0 is 0 exactly for a finite x and NaN otherwise; four sums
 * instead of one keep the adds from waiting on each other (0.6 µs for 784 components here, against 1.0 µs with
 * one sum and 1.4 µs with a Number.isFinite test per component).
 */
export function allFinite(v: Float32Array): boolean {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  const n = v.length & ~3;
  let i = 0;
  for (; i < n; i += 4) {
    p0 += v[i] * 0;
    p1 += v[i + 1] * 0;
    p2 += v[i + 2] * 0;
    p3 += v[i + 3] * 0;
  }
  for (; i < v.length; i++) p0 += v[i] * 0;
  return p0 + p1 + p2 + p3 === 0;
}

/** Checks an integer option within [min, max]. */
export function checkInt(value: unknown, path: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path} must be an integer in [${min}, ${max}], got ${describeValue(value)}`, {
      path,
      min,
      max,
    });
  }
}

/** Throws FEATHER_ERR_INVALID_ARGUMENT for keys of `options` that are not in `known`. */
export function checkKnownKeys(options: object, known: readonly string[], path: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path}.${key} is not a known option; expected one of ${known.join(', ')}`, {
        path: `${path}.${key}`,
      });
    }
  }
}

/**
 * Under the cosine metric a vector needs a direction: all zeros cannot be normalised.
 * @throws FEATHER_ERR_INVALID_ARGUMENT naming `path`.
 */
export function checkDirection(vector: ArrayLike<number>, metric: string, path: string): void {
  if (metric !== 'cosine') return;
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return;
  throw new FeatherError(
    'FEATHER_ERR_INVALID_ARGUMENT',
    `${path} must not be all zeros under the cosine metric: it has no direction; drop it or use metric "l2"`,
    { path },
  );
}

/**
 * `vectors` as rows of `dim` (a non-empty Float32Array, n·dim long), every row checked like checkVector and
 * checkDirection. Returns n.
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH naming the first bad row.
 */
export function checkRows(vectors: Float32Array, dim: number, metric: string): number {
  if (!(vectors instanceof Float32Array) || vectors.length % dim !== 0 || vectors.length === 0) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `vectors must be a non-empty Float32Array whose length is a multiple of ${dim}, got ${describeValue(vectors)}`,
    );
  }
  const n = vectors.length / dim;
  // The common case without a view or a message per row (the writer checks every row of a bulk load again:
  // a view and a label a row were most of its garbage); a bad row is then found row by row for the message.
  if (allFinite(vectors) && (metric !== 'cosine' || noZeroRow(vectors, dim))) return n;
  for (let r = 0; r < n; r++) {
    const row = vectors.subarray(r * dim, (r + 1) * dim);
    checkVector(row, dim, `vectors[${r}]`);
    checkDirection(row, metric, `vectors[${r}]`);
  }
  return n;
}

/** Whether no row of `dim` components in `vectors` is all zeros. */
function noZeroRow(vectors: Float32Array, dim: number): boolean {
  for (let at = 0; at < vectors.length; at += dim) {
    let i = at;
    const end = at + dim;
    while (i < end && vectors[i] === 0) i++;
    if (i === end) return false;
  }
  return true;
}

/** True when `o` has no own enumerable key, found without building the keys' array (a per-row test on hot paths). */
export function hasNoKeys(o: object): boolean {
  for (const key in o) if (Object.hasOwn(o, key)) return false;
  return true;
}
