// Feather.ingest's options: checked once, before the first row is read, into what an ingest run needs.
import { checkInt, describeValue, FeatherError, type Metric } from '@feather-db/core';
import type { Embedder } from '../../embedder.js';
import { checkBoolean, checkName, checkNamespace, checkOptions } from '../input.js';
import type { IngestFailure, IngestOptions, IngestProgress, OnExisting } from './ingest-api.js';
import type { RowRules } from './ingest-row.js';

const kDefaultIngestOptions = Object.freeze({
  batchSize: 2048,
  sourceName: 'ingest',
  autoIds: false,
  onExisting: 'skip',
  modality: 'text',
});
const kIngestKeys = [
  'batchSize',
  'embedder',
  'signal',
  'onProgress',
  'onFailure',
  'sourceName',
  'autoIds',
  'onExisting',
  'namespace',
  'modality',
] as const;
export interface ResolvedIngestOptions {
  batchSize: number;
  embedder: Embedder | undefined;
  signal: AbortSignal | undefined;
  onProgress: ((progress: IngestProgress) => void) | undefined;
  onFailure: ((failure: IngestFailure) => void) | undefined;
  onExisting: OnExisting;
  rules: RowRules;
}

/** Checks `options` against the store `target` describes; throws FEATHER_ERR_INVALID_ARGUMENT or _DIMENSION_MISMATCH. */
export function resolveIngestOptions(
  target: { readonly spaces: Readonly<Record<string, { dim: number; metric: Metric }>>; readonly embeddingModel: string | null },
  options: IngestOptions | undefined,
): ResolvedIngestOptions {
  const o = checkOptions<IngestOptions>(options, kIngestKeys, 'options', "{ batchSize: 2048, onExisting: 'skip' }");
  const batchSize = o.batchSize ?? kDefaultIngestOptions.batchSize;
  checkInt(batchSize, 'options.batchSize', 1, 1 << 20);
  const modality = o.modality ?? kDefaultIngestOptions.modality;
  const space = target.spaces[modality];
  if (space === undefined) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.modality must be one of the store's modalities (${Object.keys(target.spaces).join(', ')}), got ${describeValue(modality)}`,
    );
  }
  const embedder = o.embedder;
  if (embedder !== undefined) {
    if (
      typeof embedder !== 'object' ||
      embedder === null ||
      typeof embedder.embed !== 'function' ||
      typeof embedder.dim !== 'number' ||
      typeof embedder.id !== 'string'
    ) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `options.embedder must implement Embedder ({ id, dim, embed(texts) }), got ${describeValue(embedder)}`,
      );
    }
    if (embedder.dim !== space.dim) {
      throw new FeatherError(
        'FEATHER_ERR_DIMENSION_MISMATCH',
        `options.embedder makes ${embedder.dim}-dimensional vectors, the '${modality}' modality holds ${space.dim}; use the embedder the store was created with`,
        { expected: space.dim, received: embedder.dim },
      );
    }
    if (target.embeddingModel !== null && target.embeddingModel !== embedder.id) {
      throw new FeatherError(
        'FEATHER_ERR_DIMENSION_MISMATCH',
        `options.embedder is "${embedder.id}", the store was filled by "${target.embeddingModel}"; vectors of two models do not compare`,
        { expected: target.embeddingModel, received: embedder.id },
      );
    }
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.signal must be an AbortSignal, got ${describeValue(o.signal)}`);
  for (const key of ['onProgress', 'onFailure'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function')
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.${key} must be a function, got ${describeValue(o[key])}`);
  }
  const onExisting = o.onExisting ?? kDefaultIngestOptions.onExisting;
  if (onExisting !== 'skip' && onExisting !== 'upsert' && onExisting !== 'error') {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.onExisting must be 'skip', 'upsert' or 'error', got ${describeValue(onExisting)}`,
    );
  }
  const autoIds = o.autoIds === undefined ? kDefaultIngestOptions.autoIds : checkBoolean(o.autoIds, 'options.autoIds');
  const sourceName =
    o.sourceName === undefined ? kDefaultIngestOptions.sourceName : checkName(o.sourceName, 'options.sourceName', 'source');
  return {
    batchSize,
    embedder,
    signal: o.signal,
    onProgress: o.onProgress,
    onFailure: o.onFailure,
    onExisting,
    rules: {
      spaces: target.spaces,
      modality,
      canEmbed: embedder !== undefined,
      sourceName: autoIds ? undefined : sourceName,
      namespace: o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'),
    },
  };
}
