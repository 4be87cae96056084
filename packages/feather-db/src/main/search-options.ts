// search() and contextChain() options, validated once into the form the search path uses.
import { describeValue, FeatherError, kDefaultDecay, type Attributes, type DecayOptions } from '@feather-db/core';
import type { ContextChainOptions, SearchOptions } from '../api.js';
import {
  checkAttributes,
  checkBoolean,
  checkEntity,
  checkFraction,
  checkK,
  checkNamespace,
  checkOptions,
  checkPositiveNumber,
  checkTime,
} from './input.js';
import type { Spaces } from './spaces.js';
import { checkSignal } from './abort.js';

const kSearchKeys = [
  'k',
  'ef',
  'namespace',
  'entity',
  'filter',
  'halfLife',
  'timeWeight',
  'modality',
  'track',
  'includeVector',
  'now',
  'signal',
] as const;
const kChainKeys = ['k', 'hops', 'namespace', 'modality', 'ef', 'track', 'now'] as const;
/** Deepest contextChain walk. */
const kMaxHops = 16;

export interface ResolvedSearch {
  modality: string;
  k: number;
  ef: number;
  namespace: string | undefined;
  entity: string | undefined;
  filter: Attributes | undefined;
  decay: DecayOptions | undefined;
  track: boolean;
  includeVector: boolean;
  /** The clock of this search (ms): ages for recency, and `lastRecalled` of the hits it tracks. */
  now: number;
  signal: AbortSignal | undefined;
}

/**
 * Checks a search's options (`efSearch` is the store's default ef), then its query; returns the query as
 * stored (a float32 copy, rescaled under cosine), checked once here for the whole search.
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
export function resolveSearch(
  spaces: Spaces,
  efSearch: number,
  query: unknown,
  options: SearchOptions | undefined,
): { s: ResolvedSearch; vector: Float32Array } {
  const s = resolveSearchOptions(spaces, efSearch, options);
  return { s, vector: spaces.checkQuery(query, s.modality, 'query') };
}

/**
 * Checks searchMany's queries (a Float32Array of n rows, or an array of vectors) and its options (one set for
 * every query); returns each query as stored (a float32 copy, rescaled under cosine: the caller may reuse its
 * buffers).
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH naming the first bad query.
 */
export function resolveSearchMany(
  spaces: Spaces,
  efSearch: number,
  queries: unknown,
  options: SearchOptions | undefined,
): { vectors: Float32Array[]; s: ResolvedSearch } {
  const s = resolveSearchOptions(spaces, efSearch, options);
  const dim = spaces.of(s.modality).dim;
  const vectors: Float32Array[] = [];
  try {
    checkQueries(spaces, dim, s.modality, queries, vectors);
  } catch (error) {
    // Nothing was searched: the copies taken before the bad query go back.
    for (const vector of vectors) spaces.releaseQuery(vector);
    throw error;
  }
  return { vectors, s };
}

/** Appends to `vectors` the checked copy of each query (resolveSearchMany). */
function checkQueries(spaces: Spaces, dim: number, modality: string, queries: unknown, vectors: Float32Array[]): void {
  if (queries instanceof Float32Array) {
    if (queries.length % dim !== 0) {
      throw new FeatherError(
        'FEATHER_ERR_DIMENSION_MISMATCH',
        `queries must hold whole rows of ${dim} dimensions, got ${queries.length} numbers (${queries.length % dim} left over)`,
        { expected: dim, received: queries.length },
      );
    }
    for (let i = 0; i < queries.length / dim; i++) {
      vectors.push(spaces.checkQuery(queries.subarray(i * dim, (i + 1) * dim), modality, `queries[${i}]`));
    }
  } else if (Array.isArray(queries)) {
    queries.forEach((q: unknown, i) => vectors.push(spaces.checkQuery(q, modality, `queries[${i}]`)));
  } else {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `queries must be a Float32Array of rows or an array of vectors, got ${describeValue(queries)}`,
    );
  }
}

function resolveSearchOptions(spaces: Spaces, efSearch: number, options: SearchOptions | undefined): ResolvedSearch {
  const o = checkOptions<SearchOptions>(options, kSearchKeys, 'options', '{ k: 10 }');
  const modality = spaces.check(o.modality, 'options.modality');
  const decay =
    o.halfLife === undefined && o.timeWeight === undefined
      ? undefined
      : {
          halfLife: o.halfLife === undefined ? kDefaultDecay.halfLife : checkPositiveNumber(o.halfLife, 'options.halfLife'),
          timeWeight: o.timeWeight === undefined ? kDefaultDecay.timeWeight : checkFraction(o.timeWeight, 'options.timeWeight'),
        };
  return {
    modality,
    k: o.k === undefined ? 10 : checkK(o.k, 'options.k'),
    ef: o.ef === undefined ? efSearch : checkK(o.ef, 'options.ef'),
    namespace: o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'),
    entity: o.entity === undefined ? undefined : (checkEntity(o.entity, 'options.entity') ?? undefined),
    filter: o.filter === undefined ? undefined : checkAttributes(o.filter, 'options.filter'),
    decay,
    track: o.track === undefined ? true : checkBoolean(o.track, 'options.track'),
    includeVector: o.includeVector === undefined ? false : checkBoolean(o.includeVector, 'options.includeVector'),
    now: o.now === undefined ? Date.now() : checkTime(o.now, 'options.now'),
    signal: checkSignal(o.signal, 'options.signal'),
  };
}

/**
 * Checks a contextChain's query and options: its seed search (k default 5) and the hops of the walk.
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
export function resolveChain(
  spaces: Spaces,
  efSearch: number,
  query: unknown,
  options: ContextChainOptions | undefined,
): { search: ResolvedSearch; vector: Float32Array; hops: number } {
  const o = checkOptions<ContextChainOptions>(options, kChainKeys, 'options', '{ k: 5, hops: 2 }');
  const hops = o.hops ?? 2;
  if (typeof hops !== 'number' || !Number.isInteger(hops) || hops < 0 || hops > kMaxHops) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.hops must be an integer in [0, ${kMaxHops}], got ${describeValue(hops)}`,
    );
  }
  const { s: search, vector } = resolveSearch(spaces, efSearch, query, {
    k: o.k ?? 5,
    ef: o.ef,
    namespace: o.namespace,
    modality: o.modality,
    track: o.track,
    now: o.now,
  });
  return { search, vector, hops };
}
