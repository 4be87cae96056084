// HnswIndex.create's options: their types, defaults and checks (the limits other packages check against).
import { describeValue, FeatherError } from '../errors.js';
import { checkInt, checkKnownKeys } from '../validate.js';

/** Distance metric. `cosine` stores vectors normalised and ranks by 1 - dot; `ip` by 1 - dot; `l2` by squared distance. */
export type Metric = 'cosine' | 'l2' | 'ip';

/** Every metric, in the order messages list them. */
export const kMetrics: readonly Metric[] = ['cosine', 'l2', 'ip'];

/** Largest vector dimension. */
export const kMaxDim = 65536;
/** Largest M (links per node on upper levels). */
export const kMaxM = 256;
/** Largest efConstruction, efSearch, ef and k. */
export const kMaxEf = 100_000;

/** Options of {@link HnswIndex.create}. */
export interface HnswOptions {
  /** Vector dimension (1..65536). Required. */
  dim: number;
  /** Default `'cosine'`. */
  metric?: Metric;
  /** Links per node on upper levels; level 0 keeps 2·M. Default 16. Higher: better recall, more memory, slower build. */
  m?: number;
  /** Candidate list size while inserting. Default 200. Higher: better graph, slower build. */
  efConstruction?: number;
  /** Default candidate list size for searches. Default 128 (recall@10 ~0.96 on the clustered test sets). Higher: better recall, slower search. */
  efSearch?: number;
  /** Seed of the level generator; the same seed and insert order give the same graph. Default 42. */
  seed?: number;
  /**
   * `'int8'` keeps an int8 copy of every vector (dim + 16 bytes more per vector) and scores candidates on
   * it first: the float32 distance is computed only when the codes cannot prove a candidate is worse than
   * the current k-th result. Results are identical to `'none'` (the proof uses a worst-case error bound);
   * searches and builds touch far fewer cache lines. Default `'none'`.
   */
  screening?: 'none' | 'int8';
  /**
   * `'int8'` stores each vector as int8 codes with a per-vector scale (dim + 16 bytes instead of 4·dim):
   * ~3.5x less vector memory, distances from the float32 query to the dequantised codes. Excludes
   * screening. Default `'float32'`.
   */
  storage?: 'float32' | 'int8';
  /** int8 storage only: values are clipped to ±maxAbs before quantising. Default: no clipping. */
  maxAbs?: number;
  /** log2 of nodes per memory chunk. Default 12 (4096 nodes). */
  chunkShift?: number;
  /** Chunk-table entries; capacity = maxChunks << chunkShift nodes. Default 16384 (67M nodes at the default shift). */
  maxChunks?: number;
}

export const kDefaultHnswOptions: Readonly<Required<Omit<HnswOptions, 'dim'>>> = Object.freeze({
  metric: 'cosine',
  m: 16,
  efConstruction: 200,
  efSearch: 128,
  screening: 'none',
  storage: 'float32',
  maxAbs: Number.POSITIVE_INFINITY,
  seed: 42,
  chunkShift: 12,
  maxChunks: 16384,
});

const kHnswOptionKeys = [
  'dim',
  'metric',
  'm',
  'efConstruction',
  'efSearch',
  'screening',
  'storage',
  'maxAbs',
  'seed',
  'chunkShift',
  'maxChunks',
] as const;

/**
 * `value` as a metric.
 * @throws FEATHER_ERR_INVALID_ARGUMENT naming `path`.
 */
export function checkMetric(value: unknown, path: string): Metric {
  if (!kMetrics.includes(value as Metric)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path} must be one of ${kMetrics.map((m) => `'${m}'`).join(', ')}, got ${describeValue(value)}`,
    );
  }
  return value as Metric;
}

/**
 * The options merged over the defaults, every value checked.
 * @throws FEATHER_ERR_INVALID_ARGUMENT for unknown options or out-of-range values.
 */
export function resolveHnswOptions(options: HnswOptions): Required<HnswOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options must be an object with at least { dim }, got ${describeValue(options)}`,
    );
  }
  checkKnownKeys(options, kHnswOptionKeys, 'options');
  const o = { ...kDefaultHnswOptions, ...options };
  checkInt(o.dim, 'options.dim', 1, kMaxDim);
  checkMetric(o.metric, 'options.metric');
  checkInt(o.m, 'options.m', 2, kMaxM);
  checkInt(o.efConstruction, 'options.efConstruction', 1, kMaxEf);
  checkInt(o.efSearch, 'options.efSearch', 1, kMaxEf);
  if (o.screening !== 'none' && o.screening !== 'int8') {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.screening must be 'none' or 'int8', got ${describeValue(o.screening)}`);
  }
  if (o.storage !== 'float32' && o.storage !== 'int8') {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.storage must be 'float32' or 'int8', got ${describeValue(o.storage)}`);
  }
  if (typeof o.maxAbs !== 'number' || !(o.maxAbs > 0)) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.maxAbs must be a positive number, got ${describeValue(o.maxAbs)}`);
  }
  if (o.storage === 'int8' && o.screening === 'int8') {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      "options.screening 'int8' screens float32 vectors; with storage 'int8' there are none: drop one of the two",
    );
  }
  checkInt(o.seed, 'options.seed', 0, 0xffffffff);
  checkInt(o.chunkShift, 'options.chunkShift', 4, 20);
  checkInt(o.maxChunks, 'options.maxChunks', 1, 1 << 20);
  return o;
}
