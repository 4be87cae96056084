export { KernelArena } from './arena.js';
export { describeValue, FeatherError, kErrors } from './errors.js';
export type { ErrorCode, ErrorKind, WireError } from './errors.js';
export { flatSearchJs } from './flat/flat-search-js.js';
export { HnswIndex, kDefaultHnswOptions } from './hnsw/hnsw-index.js';
export type { HnswOptions, Metric, NodeFilter, NodeTags, SearchOptions, SearchResult } from './hnsw/hnsw-index.js';
export { LevelGenerator } from './hnsw/levels.js';
export { checkInt, checkKnownKeys, checkVector } from './validate.js';
export type { VectorInput } from './validate.js';
