export { Feather } from './facade.js';
export type { AddBatchOptions, AddOptions, ChainHit, ContextChain, ContextChainOptions, PurgeOptions, SearchHit, SearchOptions } from './api.js';
export type { Embedder, EmbedOptions } from './embedder.js';
export type { MemoryFields } from './input.js';
export { kMaxTextLength } from './input.js';
export { defaultThreads } from './options.js';
export type { OpenOptions } from './options.js';
export { describeValue, FeatherError, kErrors } from '@feather-db/core';
export type { AttributeValue, Attributes, Edge, ErrorCode, ErrorKind, MemoryId, MemoryRecord, Metric, WireError } from '@feather-db/core';
