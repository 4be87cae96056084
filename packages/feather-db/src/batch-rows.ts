// Row access for addBatch input (a flat Float32Array or an array of vectors).
import { describeValue, FeatherError, type VectorInput } from '@feather-db/core';

export function rowCount(vectors: Float32Array | readonly VectorInput[], dim: number): number {
  if (vectors instanceof Float32Array) {
    if (vectors.length === 0 || vectors.length % dim !== 0) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors must hold a positive multiple of ${dim} floats, got ${vectors.length}`);
    }
    return vectors.length / dim;
  }
  if (!Array.isArray(vectors) || vectors.length === 0) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors must be a non-empty Float32Array (n × ${dim}) or array of vectors, got ${describeValue(vectors)}`);
  }
  return vectors.length;
}

/**
 * The rows as one float32 copy, taken at the call (a caller that changes its arrays afterwards changes nothing
 * stored). Checks each row's type and length here; values are checked on the copy (checkStoredVector).
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
export function snapshotRows(vectors: Float32Array | readonly VectorInput[], rows: number, dim: number): Float32Array {
  if (vectors instanceof Float32Array) return vectors.slice(0, rows * dim);
  const flat = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const v: unknown = vectors[r];
    if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v))) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors[${r}] must be a Float32Array or an array of numbers, got ${describeValue(v)}`, { path: `vectors[${r}]` });
    }
    if (v.length !== dim) {
      throw new FeatherError('FEATHER_ERR_DIMENSION_MISMATCH', `vectors[${r}] must have ${dim} dimensions, got ${v.length}; embed with the same model the store was created with`, { path: `vectors[${r}]`, expected: dim, received: v.length });
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < dim; i++) {
        const x: unknown = v[i];
        // A non-number would become NaN in the copy: name it here, where its value is known.
        if (typeof x !== 'number') throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors[${r}][${i}] must be a finite float32 number, got ${describeValue(x)}`, { path: `vectors[${r}]`, index: i });
      }
    }
    flat.set(v as ArrayLike<number>, r * dim);
  }
  return flat;
}

/**
 * A deep copy of addBatch's metas, taken at the call. Metas that cannot be copied (functions, symbols) are
 * rejected here, with the first offending one named.
 * @throws FEATHER_ERR_INVALID_ARGUMENT.
 */
export function snapshotMetas(metas: readonly unknown[]): unknown[] {
  try {
    return structuredClone([...metas]);
  } catch (error) {
    const at = metas.findIndex((m) => {
      try {
        structuredClone(m);
        return false;
      } catch {
        return true;
      }
    });
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.metas[${at}] must hold only strings, numbers, booleans, null, Dates and plain objects of them, got ${describeValue(metas[at])} that cannot be copied: ${(error as Error).message}`, { path: `options.metas[${at}]` }, { cause: error });
  }
}
