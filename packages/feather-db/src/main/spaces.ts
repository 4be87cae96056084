// The store's vector spaces, one per modality, and the checks of arguments against them.
import { checkVector, describeValue, FeatherError, type Metric } from '@feather-db/core';
import { kDefaultModality } from '../options.js';
import { QuerySlab } from './query-slab.js';
import { storedVector } from './stored-vector.js';

export interface Space {
  dim: number;
  metric: Metric;
}

export class Spaces {
  readonly #spaces = new Map<string, Space>();
  readonly #queries = new QuerySlab();

  constructor(modalities: readonly ({ name: string } & Space)[]) {
    for (const m of modalities) this.#spaces.set(m.name, { dim: m.dim, metric: m.metric });
  }

  /** Every modality's space, by name. */
  toRecord(): Record<string, Space> {
    return Object.fromEntries(this.#spaces);
  }

  /** The space of a modality `check` accepted. */
  of(modality: string): Space {
    return this.#spaces.get(modality)!;
  }

  /**
   * `value` as one of the store's modalities (undefined: the default one).
   * @throws FEATHER_ERR_INVALID_ARGUMENT naming `path` and the modalities there are.
   */
  check(value: unknown, path: string): string {
    if (value === undefined) return kDefaultModality;
    if (typeof value !== 'string' || !this.#spaces.has(value)) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path} must be one of the store's modalities (${[...this.#spaces.keys()].join(', ')}), got ${describeValue(value)}; declare more with open({ modalities })`,
      );
    }
    return value;
  }

  /**
   * A vector to store or search in `modality`, as it is stored: its dimension, then a float32 copy (taken
   * now: the caller may reuse its buffer) checked as stored-vector.ts says (finite as float32; under cosine a
   * direction, rescaled into the kernels' safe range).
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT.
   */
  checkStored(vector: unknown, modality: string, path: string): Float32Array {
    const space = this.of(modality);
    checkVector(vector, space.dim, path);
    return storedVector(vector, space.metric, path);
  }

  /**
   * A query to search `modality` with, as checkStored gives it and with the same errors, copied into shared
   * memory (main/query-slab.ts). A Float32Array of the right length is checked once, on its copy (the same
   * bits); when that check fails, the input's own check runs first, so the error is the one checkStored gives.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT.
   */
  checkQuery(vector: unknown, modality: string, path: string): Float32Array {
    const space = this.of(modality);
    const typed = vector instanceof Float32Array && vector.length === space.dim;
    if (!typed) checkVector(vector, space.dim, path);
    const copy = this.#queries.copy(vector);
    try {
      return storedVector(vector, space.metric, path, copy);
    } catch (error) {
      this.#queries.release(copy);
      if (typed) checkVector(vector, space.dim, path);
      throw error;
    }
  }

  /**
   * Gives back a query checkQuery returned, once its search has completed (no thread reads it any more): its
   * shared memory is written again by later queries. A search that failed or was aborted gives nothing back (a
   * pool thread may still be reading its query).
   */
  releaseQuery(copy: Float32Array): void {
    this.#queries.release(copy);
  }
}
