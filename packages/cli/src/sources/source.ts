// What `feather import` reads: a file (or stdin) as a stream of ingest rows.
import type { IngestRow, Metric } from 'feather-db';

/** Store settings a source declares (an export's `$feather` header line), used to create a new store. */
export interface StoreSpec {
  dim?: number;
  metric?: Metric;
  modalities?: Record<string, { dim: number; metric?: Metric }>;
  embeddingModel?: string | null;
}

/** How far through its input a source is. */
export interface SourceProgress {
  done: number;
  total: number;
  unit: 'rows' | 'bytes';
}

export interface ImportSource {
  /** The path as given (`-` for stdin). */
  readonly path: string;
  /** Names generated ids (`<name>:<row>`): the file's base name, stable whatever directory the import runs from. */
  readonly name: string;
  /** Known once the first row has been read (JSONL exports carry one), else undefined. */
  readonly spec: StoreSpec | undefined;
  /** The rows, in order; a line or record that does not parse is yielded as an Error naming its line. */
  rows(): AsyncIterable<IngestRow | Error>;
  progress(): SourceProgress | undefined;
}
