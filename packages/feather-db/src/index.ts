export { Feather } from './facade.js';
export type { SearchHit, SearchOptions } from './facade.js';
export { defaultThreads } from './options.js';
export type { OpenOptions } from './options.js';
export { FeatherError, kErrors } from '@feather-db/core';
export type { ErrorCode, ErrorKind, Metric, WireError } from '@feather-db/core';
