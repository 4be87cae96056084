export { Feather } from './facade.js';
export type {
  AddBatchOptions,
  AddOptions,
  ChainHit,
  ContextChain,
  ContextChainOptions,
  PurgeOptions,
  SearchHit,
  SearchOptions,
} from './api.js';
export type { Embedder, EmbedOptions } from './embedder.js';
export type { BatchMeta, MemoryFields } from './main/input.js';
export type {
  ExportOptions,
  ExportRow,
  IngestFailure,
  IngestLink,
  IngestOptions,
  IngestProgress,
  IngestRow,
  IngestSource,
  IngestSummary,
  OnExisting,
} from './main/ingest/ingest-api.js';
export type { ListOptions, ListPage } from './main/list.js';
export { kMaxTextLength } from './main/input.js';
export { kMaxWriteBytes } from './main/write-size.js';
export { defaultThreads } from './options.js';
export type { OpenOptions } from './options.js';
export type { MaintenanceOptions } from './main/maintenance-options.js';
export { describeValue, FeatherError, kErrors } from '@feather-db/core';
export type { AttributeValue, Attributes, Edge, ErrorCode, ErrorKind, MemoryId, MemoryRecord, Metric, WireError } from '@feather-db/core';
export { inspectFileSync } from './main/inspect/inspect-file.js';
export type { FileInfo, SectionInfo } from './main/inspect/inspect-file.js';
