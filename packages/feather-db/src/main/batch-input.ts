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

export function sliceRow(vectors: Float32Array | readonly VectorInput[], r: number, dim: number): unknown {
  return vectors instanceof Float32Array ? vectors.subarray(r * dim, (r + 1) * dim) : vectors[r];
}

export function copyRows(vectors: Float32Array | readonly VectorInput[], from: number, to: number, dim: number): Float32Array {
  if (vectors instanceof Float32Array) return vectors.slice(from * dim, to * dim);
  const flat = new Float32Array((to - from) * dim);
  for (let r = from; r < to; r++) flat.set(vectors[r]!, (r - from) * dim);
  return flat;
}
