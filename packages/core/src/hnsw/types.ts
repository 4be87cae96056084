// The HNSW index's plain data types: tags, filters, results and the header the file format stores.
import type { Metric } from './hnsw-options.js';

/** A result filter applied inside the kernels (during traversal: filtered-out nodes still route). */
export interface NodeFilter {
  /** Namespace tag a result must carry. */
  namespace?: number;
  /** Entity tag a result must carry. */
  entity?: number;
  /** Row bitmap (bit r of byte r >> 3) a result's row must be set in. */
  rows?: Uint8Array;
}

/** Options of {@link HnswIndex.search}. */
export interface SearchOptions {
  /** Candidate list size; clamped up to k. Default: the index's efSearch. */
  ef?: number;
  filter?: NodeFilter;
}

/** Tags a node carries for filtering: its record row, namespace and entity. */
export interface NodeTags {
  row: number;
  namespace: number;
  entity: number;
}

/** k-NN results, ascending by distance. */
export interface SearchResult {
  /** Node ids. */
  ids: Uint32Array;
  /** The record row of each node. */
  rows: Uint32Array;
  distances: Float32Array;
}

/** An index's header as the file format stores it (GRAPH section). */
export interface GraphHeader {
  dim: number;
  metric: Metric;
  m: number;
  efConstruction: number;
  flags: number;
  stride: number;
  vecOff: number;
  codeOff: number;
  count: number;
  entry: number;
  maxLevel: number;
  deleted: number;
  /** Storage position -> input dimension, or null for identity. */
  dimOrder: number[] | null;
}

/** Limits a restored graph's node tags must respect. */
export interface TagLimits {
  rows: number;
  namespaces: number;
  entities: number;
  /** When given, live nodes' tags must equal their records' (restore-tags.ts). */
  tagsMatch?: (row: number, namespace: number, entity: number) => boolean;
}
