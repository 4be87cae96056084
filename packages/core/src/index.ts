// The package's one entry: exactly what feather-db, the tests and the benchmarks import (knip checks it).
// Everything else in src/ is internal; core's own unit tests import it from ../src.
export { KernelArena } from './arena.js';
export { pageArray, releaseOwned } from './growable.js';
export { kNoPin } from './layout.js';
export { describeValue, FeatherError } from './errors.js';
export type { WireError } from './errors.js';
/** @public re-exported by feather-db's entry */
export { kErrors } from './errors.js';
/** @public re-exported by feather-db's entry */
export type { ErrorCode, ErrorKind } from './errors.js';
export { HnswIndex } from './hnsw/hnsw-index.js';
export { abandonLocksForTests, releaseAbandonedLocks } from './hnsw/lock-recovery.js';
export { checkMetric, kDefaultHnswOptions, kMaxDim, kMaxEf, kMaxM } from './hnsw/hnsw-options.js';
export type { Metric } from './hnsw/hnsw-options.js';
export type { SearchResult } from './hnsw/types.js';
export { allFinite, checkInt, checkKnownKeys, checkVector, hasNoKeys, isVectorInput } from './validate.js';
export type { VectorInput } from './validate.js';
export { MemoryModel } from './records/memory-model.js';
export { upsertCount } from './records/model-writes.js';
export type {
  AttributeValue,
  Attributes,
  Edge,
  MemoryId,
  MemoryRecord,
  ModelOp,
  RecordPatch,
  UpsertItem,
  UpsertItems,
} from './records/types.js';
export { RowMap } from './records/row-map.js';
export { allocateRecallTable } from './records/recall-columns.js';
export { createSlot, publishGeneration, readGeneration } from './records/modality-slot.js';
export { SearchPlanner } from './filter/planner.js';
export type { SearchPlan } from './filter/planner.js';
export { decayedScore, kDefaultDecay, kMsPerDay, similarityOf } from './scoring/score.js';
export type { DecayOptions } from './scoring/score.js';
export { expandChain } from './graph/context-chain.js';
export { memoryFileIo, nodeFileIo } from './format/file-io.js';
export type { FileIo } from './format/file-io.js';
export { faultyFileIo } from './format/fault-file-io.js';
export type { FileFault, FileOpKind } from './format/fault-file-io.js';
export { powerLossIo } from './format/power-loss-io.js';
export { blockBytesOf, blockListChecksum, checksum, kFormatMajor, sectionSeed, StoreFileReader } from './format/store-file.js';
export { kBulkSections, kSectionGraphHeader, kSectionNodes, sectionName } from './format/section-types.js';
export { BlockHashes } from './format/block-hash.js';
export { decode, encode } from './format/msgpack.js';
export { readStoreMeta } from './format/store-codec.js';
export type { StoreMeta } from './format/store-codec.js';
export { openShared } from './open/store-opening.js';
export { isOpenRace } from './open/open-race.js';
export { readWal } from './wal/wal.js';
export type { Durability } from './wal/wal.js';
export { StoreEngine } from './engine/store-engine.js';
export type { EngineOpenSpec, InsertJob, RepairJob, StorageChange, WriteRequest, WriteResult } from './engine/engine-types.js';
export { kRepairTaskSize } from './engine/slot-reuse.js';
