// The public types of Feather.ingest (streaming import) and Feather.export (its inverse).
import type { Attributes, ErrorCode, MemoryId, MemoryRecord, VectorInput } from '@feather-db/core';
import type { Embedder } from '../../embedder.js';

/** An edge a row carries: from the row's memory to `to` (any memory of the store or of the same source). */
export interface IngestLink {
  to: MemoryId;
  /** Default `'related_to'`. */
  type?: string;
  /** Default 1. */
  weight?: number;
}

/** One row of an import: a memory with its vector(s), or its text for the embedder. */
export interface IngestRow {
  /** The vector of `options.modality` (default `'text'`). Absent: `text` is embedded by `options.embedder`. */
  vector?: VectorInput;
  /** Vectors of other modalities, by name (e.g. `{ image: [...] }`). */
  vectors?: Readonly<Record<string, VectorInput>>;
  text?: string;
  /** Absent: `<sourceName>:<row>` (stable across re-runs), or the next integer with `autoIds`. */
  id?: MemoryId;
  /** Default `options.namespace`, else `'default'`. */
  namespace?: string;
  entity?: string | null;
  importance?: number;
  attributes?: Attributes;
  /** Creation time, ms or Date. Default: when the row is stored. */
  timestamp?: number | Date;
  links?: readonly IngestLink[];
  /** Recall state of an exported memory (restored as it was). */
  recallCount?: number;
  lastRecalled?: number | Date | null;
}

/**
 * What `ingest` reads: an async iterable (an async generator, or a Node readable stream in object mode) or a
 * plain iterable. A source may yield an `Error` in place of a row it could not parse: it counts as a failed row
 * at that position, with the error's message (and its `code` when it is a FeatherError).
 */
export type IngestSource = AsyncIterable<IngestRow | Error> | Iterable<IngestRow | Error>;

/** What a re-run does with a row whose id is already stored. */
export type OnExisting = 'skip' | 'upsert' | 'error';

/** Options of {@link Feather.ingest}. */
export interface IngestOptions {
  /** Rows per addBatch. Default 2048. At most three batches of rows are held at once, whatever the source size. */
  batchSize?: number;
  /** Embeds the `text` of rows without a vector, a batch at a time. Its dim must match the modality's. */
  embedder?: Embedder;
  /** Stops reading; rows already stored stay (a re-run resumes). Rejects with FEATHER_ERR_ABORTED. */
  signal?: AbortSignal;
  /** Called after every batch is stored, and once at the end. */
  onProgress?: (progress: IngestProgress) => void;
  /** Called for every row (or link) that fails, in order. The summary keeps the first 1,000. */
  onFailure?: (failure: IngestFailure) => void;
  /** Names the source in generated ids (`<sourceName>:<row>`). Default `'ingest'`. */
  sourceName?: string;
  /** Rows without an id get the store's next integer instead of a stable id (a re-run then adds them again). Default false. */
  autoIds?: boolean;
  /** A row whose id is stored already: `'skip'` it (default), `'upsert'` it, or fail it (`'error'`, FEATHER_ERR_ALREADY_EXISTS). */
  onExisting?: OnExisting;
  /** Namespace of rows that name none. Default `'default'`. */
  namespace?: string;
  /** The modality `vector` (and the embedder's output) belongs to. Default `'text'`. */
  modality?: string;
}

/** Counts so far. Every row read ends up inserted, updated, skipped or failed. */
export interface IngestProgress {
  /** Rows taken from the source (including the failed ones). */
  read: number;
  /** New memories stored. */
  inserted: number;
  /** Existing memories replaced (`onExisting: 'upsert'`). */
  updated: number;
  /** Rows whose id was stored already (`onExisting: 'skip'`). */
  skipped: number;
  /** Rows not stored, each reported to `onFailure`. */
  failed: number;
  /** Texts embedded by the embedder. */
  embedded: number;
  /** Rows read per second since the start. */
  rowsPerSecond: number;
  elapsedMs: number;
}

/** A row (or one of its links) that did not go in. */
export interface IngestFailure {
  /** 1-based position of the row in the source. */
  row: number;
  /** The row's id, when it had one. */
  id?: MemoryId;
  code: ErrorCode;
  message: string;
  /** Set when a link of a stored row failed (the row itself went in). */
  link?: { to: MemoryId; type: string };
}

/** What ingest did. */
export interface IngestSummary extends IngestProgress {
  /** The first 1,000 failures, in order (`failed` and `links.failed` count them all). */
  failures: IngestFailure[];
  /** Edges added (or re-weighted), and edges whose target never appeared. */
  links: { added: number; failed: number };
}

/** Options of {@link Feather.export}. */
export interface ExportOptions {
  /** Only this namespace's memories. */
  namespace?: string;
  /** Include every vector (`vector` for the 'text' modality, `vectors` for the others). Default false. */
  vectors?: boolean;
}

/**
 * One exported memory: an IngestRow with every field present, so `ingest(db.export())` restores it. Its fields
 * are the stored record's, less `modalities` (the vectors say which modalities it has).
 */
export interface ExportRow extends Omit<MemoryRecord, 'modalities'> {
  /** Outgoing edges (absent when none). */
  links?: { to: MemoryId; type: string; weight: number }[];
  /** With `vectors`: the 'text' modality's vector, when the memory has one. */
  vector?: Float32Array;
  /** With `vectors`: the other modalities' vectors. */
  vectors?: Record<string, Float32Array>;
}
