// The public option and result types of the Feather facade.
import type { Attributes, Edge, MemoryId, MemoryRecord } from '@feather-db/core';
import type { BatchMeta, MemoryFields } from './main/input.js';

/** Options of {@link Feather.add}: the memory's metadata, plus its id and modality. */
export interface AddOptions extends MemoryFields {
  /** String or non-negative integer; absent: the next integer. An existing id is updated (upsert). */
  id?: MemoryId;
  /** The vector space `vector` belongs to. Default `'text'`. */
  modality?: string;
}

/** Options of {@link Feather.addBatch}. */
export interface AddBatchOptions {
  /** One id per row; absent: consecutive integers. */
  ids?: readonly MemoryId[];
  /** One metadata object per row (it may restore recall state: `recallCount`, `lastRecalled`). */
  metas?: readonly BatchMeta[];
  /** Namespace of every row whose meta does not name one. */
  namespace?: string;
  modality?: string;
  /**
   * Aborts the batch while it waits for its turn or is being validated: it rejects with FEATHER_ERR_ABORTED at
   * once and nothing is stored. Once its first rows are applied the batch completes and resolves.
   */
  signal?: AbortSignal;
}

/** Options of {@link Feather.search}. */
export interface SearchOptions {
  /** Results wanted. Default 10. Fewer come back when fewer memories match. */
  k?: number;
  /** Candidate list size; higher is slower and more exact. Default: the store's efSearch. */
  ef?: number;
  /** Only memories of this namespace (a hard tenant boundary). */
  namespace?: string;
  /** Only memories of this entity (within `namespace` when given). */
  entity?: string;
  /** Only memories whose attributes hold every one of these key/value pairs (exact match). */
  filter?: Attributes;
  /** Days for recency to halve. Setting it (or timeWeight) turns on time-decayed scoring. Default 30. */
  halfLife?: number;
  /** Share of recency in the decayed score, 0..1. Default 0.3. */
  timeWeight?: number;
  modality?: string;
  /** Count the returned hits as recalled (recallCount + 1, lastRecalled = now). Default true. */
  track?: boolean;
  /** Return each hit's stored vector (unit length under cosine). Default false. */
  includeVector?: boolean;
  /**
   * The clock of this search, ms since the epoch or a Date: ages for recency are measured to it and tracked
   * hits get it as `lastRecalled`. Default: the current time. Fix it for reproducible rankings, backfills or
   * replaying recorded traffic.
   */
  now?: number | Date;
  /**
   * Aborts the search: it rejects with FEATHER_ERR_ABORTED at once (also when the signal is already aborted) and
   * changes nothing (no recall count is bumped). A search already running in a reader thread finishes there and
   * its result is dropped; one still queued never runs.
   */
  signal?: AbortSignal;
}

/** One search hit: the memory, how similar it is and its final score. */
export interface SearchHit extends MemoryRecord {
  /** Ranking score: the similarity, or the time-decayed score when halfLife/timeWeight is set. */
  score: number;
  /** cosine: cos θ; ip: dot product; l2: 1 / (1 + squared distance). */
  similarity: number;
  vector?: Float32Array;
}

/** Options of {@link Feather.contextChain}. */
export interface ContextChainOptions {
  /** Seeds from the vector search. Default 5. */
  k?: number;
  /** Breadth-first hops over edges. Default 2. */
  hops?: number;
  namespace?: string;
  modality?: string;
  ef?: number;
  /** Count every returned memory as recalled. Default true. */
  track?: boolean;
  /** The clock of this call (ms or Date): `lastRecalled` of the memories it tracks. Default: the current time. */
  now?: number | Date;
}

/** Options of {@link Feather.purge}. */
export interface PurgeOptions {
  /** The namespace to purge, or `'*'` for every namespace. Required. */
  namespace: string;
  /** Forget only memories neither created nor recalled within this many days before `now`. Absent: all of them. */
  olderThanDays?: number;
  /** The clock ages are measured to (ms or Date). Default: the current time when the purge runs. */
  now?: number | Date;
}

/** A memory reached by contextChain. */
export interface ChainHit extends MemoryRecord {
  hop: number;
  score: number;
  /** Vector similarity for seeds (hop 0), null for memories reached over edges. */
  similarity: number | null;
}

export interface ContextChain {
  nodes: ChainHit[];
  edges: Edge[];
}
