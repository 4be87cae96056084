// A store <-> a .feather file: which sections hold what (docs/format.md, "Sections").
import { decode, encode } from './msgpack.js';
import { describeValue, FeatherError } from '../errors.js';
import { graphHeaderOf, nodeBlocksOf, upperBlocksOf } from '../hnsw/graph-export.js';
import type { HnswIndex } from '../hnsw/hnsw-index.js';
import { releaseScratch, scratchArray } from '../growable.js';
import { kMaxDim, kMetrics, type Metric } from '../hnsw/hnsw-options.js';
import type { GraphHeader } from '../hnsw/types.js';
import { kMetricCode } from '../layout.js';
import type { MemoryModel } from '../records/memory-model.js';
import { columnsStringsAt, kColumnsHeaderBytes } from '../records/columns-codec.js';
import { modelColumns, modelFromColumns, modelFromRecords } from '../records/model-codec.js';
import { RowMap } from '../records/row-map.js';
import type { FileIo } from './file-io.js';
import { arenaBlockHashes } from './arena-hashes.js';
import { blockBytesOf, corruptFile, kBlockBytes, StoreFileReader, writeStoreFile, type SectionSource } from './store-file.js';
import {
  kSectionColumns,
  kSectionEdges,
  kSectionGraphHeader,
  kSectionNodes,
  kSectionRecords,
  kSectionRowMap,
  kSectionStoreMeta,
  kSectionUpper,
  kSectionVectors,
  kSectionWriteOrder,
} from './section-types.js';

/** Above this share of tombstones a save drops the graph and stores live vectors; open rebuilds tight. */
const kMaxPersistedTombstoneShare = 0.1;

interface ModalityMeta {
  name: string;
  dim: number;
  metric: Metric;
  /** int8 storage's clip bound (absent or null: none). */
  maxAbs?: number | null;
}

/** STORE_META: what the store was created with. */
export interface StoreMeta {
  m: number;
  efConstruction: number;
  efSearch: number;
  modelId: string;
  modalities: ModalityMeta[];
}

export interface ModalityState {
  index: HnswIndex;
  rows: RowMap;
}

export interface SaveInput {
  meta: StoreMeta;
  model: MemoryModel;
  modalities: ReadonlyMap<string, ModalityState>;
  commitSeq: number;
  /** 'auto' (default): persist a graph unless more than 10% of its nodes are tombstones. */
  graph?: 'auto' | 'always' | 'never';
}

/** Per modality: nodes reserved but not linked (graph rebuilt from stored vectors). */
export interface PendingLinks {
  modality: string;
  first: number;
  count: number;
}

function u32Bytes(values: Uint32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Writes the whole store atomically; returns the file size and which graphs were persisted. */
export function saveStore(io: FileIo, path: string, input: SaveInput): { bytes: number; graphs: string[] } {
  const sections: SectionSource[] = [];
  try {
    return writeSections(io, path, input, sections);
  } finally {
    // The sections' temporaries (packed strings, recall copies, row maps...) go back now, not at the next GC.
    releaseScratch(sections.flatMap((s) => s.parts));
  }
}

/** Builds the sections into `sections` (the caller's, so it can release them) and writes the file. */
function writeSections(io: FileIo, path: string, input: SaveInput, sections: SectionSource[]): { bytes: number; graphs: string[] } {
  sections.push({ type: kSectionStoreMeta, tag: 0, parts: [encode(input.meta)] });
  sections.push({ type: kSectionColumns, tag: 0, parts: modelColumns(input.model) });
  sections.push({ type: kSectionEdges, tag: 0, parts: [encode(input.model.edgeList())] });
  sections.push({ type: kSectionWriteOrder, tag: 0, parts: [input.model.writeOrderBytes()] });
  const graphs: string[] = [];
  input.meta.modalities.forEach((m, tag) => {
    const state = input.modalities.get(m.name)!;
    if (state.index.reservedCount !== state.index.size) {
      throw new FeatherError(
        'FEATHER_ERR_INTERNAL',
        `Cannot save modality ${m.name} while ${state.index.reservedCount - state.index.size} nodes are still being linked; wait for pending writes`,
      );
    }
    const header = graphHeaderOf(state.index);
    const share = header.count === 0 ? 0 : header.deleted / header.count;
    const persist = input.graph === 'always' || (input.graph !== 'never' && share <= kMaxPersistedTombstoneShare);
    sections.push({ type: kSectionGraphHeader, tag, parts: [encode({ ...header, persisted: persist })] });
    if (persist) {
      graphs.push(m.name);
      // Node blocks are hashed where they live, by the kernels (they are most of the file).
      const nodes = nodeBlocksOf(state.index);
      const blockBytes = blockBytesOf(kSectionNodes, header.stride);
      const blockHashes = arenaBlockHashes(
        state.index.arena,
        nodes.map((v) => ({ at: v.byteOffset, bytes: v.length })),
        blockBytes,
      );
      sections.push({ type: kSectionNodes, tag, parts: nodes, blockBytes, blockHashes });
      sections.push({ type: kSectionUpper, tag, parts: [upperBlocksOf(state.index)], blockBytes: kBlockBytes });
      const rowMap = scratchArray(Uint32Array, input.model.rowLimit);
      for (let row = 0; row < rowMap.length; row++) rowMap[row] = state.rows.get(row) + 1;
      sections.push({ type: kSectionRowMap, tag, parts: [u32Bytes(rowMap)], blockBytes: kBlockBytes });
    } else {
      // Live vectors only, raw (storage order, normalised or quantised as stored), with their rows.
      const live: number[] = [];
      for (const row of input.model.liveRows()) if (state.rows.get(row) >= 0) live.push(row);
      const head = new Uint32Array(4 + live.length);
      head.set([live.length, state.index.vectorBytes, 0, 0]);
      head.set(live, 4);
      sections.push({
        type: kSectionVectors,
        tag,
        parts: [u32Bytes(head), ...live.map((row) => state.index.rawVector(state.rows.get(row)))],
        blockBytes: kBlockBytes,
      });
    }
  });
  const text = input.meta.modalities[0];
  const { bytes } = writeStoreFile(
    io,
    path,
    { dim: text.dim, metric: kMetricCode[text.metric], commitSeq: input.commitSeq, modelId: input.meta.modelId },
    sections,
  );
  return { bytes, graphs };
}

function checkMeta(value: unknown, path: string): StoreMeta {
  const bad = (what: string): FeatherError => corruptFile(path, 0, `store metadata: ${what}`, { part: 'meta' });
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const m = value as Record<string, unknown>;
  for (const key of ['m', 'efConstruction', 'efSearch'] as const)
    if (!Number.isInteger(m[key]) || (m[key] as number) < 1) throw bad(`${key} is ${describeValue(m[key])}`);
  if (typeof m['modelId'] !== 'string') throw bad('modelId is not a string');
  if (!Array.isArray(m['modalities']) || m['modalities'].length === 0) throw bad('no modalities');
  for (const x of m['modalities'] as unknown[]) {
    const ok =
      typeof x === 'object' &&
      x !== null &&
      typeof (x as ModalityMeta).name === 'string' &&
      Number.isInteger((x as ModalityMeta).dim) &&
      (x as ModalityMeta).dim >= 1 &&
      (x as ModalityMeta).dim <= kMaxDim &&
      kMetrics.includes((x as ModalityMeta).metric);
    if (!ok) throw bad('a modality is malformed');
  }
  return value as StoreMeta;
}

export function checkGraphHeader(value: unknown, path: string, tag: number): GraphHeader & { persisted: boolean } {
  const bad = (what: string): FeatherError => corruptFile(path, 0, `graph header of modality ${tag}: ${what}`, { part: 'graph', tag });
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const h = value as Record<string, unknown>;
  for (const key of ['dim', 'm', 'efConstruction', 'flags', 'stride', 'vecOff', 'codeOff', 'count', 'entry', 'maxLevel', 'deleted']) {
    if (!Number.isInteger(h[key])) throw bad(`${key} is ${describeValue(h[key])}`);
  }
  if (!kMetrics.includes(h['metric'] as Metric)) throw bad('unknown metric');
  if (typeof h['persisted'] !== 'boolean') throw bad('persisted is not a boolean');
  if (h['dimOrder'] !== null && !(Array.isArray(h['dimOrder']) && h['dimOrder'].every((d) => Number.isInteger(d))))
    throw bad('dimOrder is malformed');
  return value as GraphHeader & { persisted: boolean };
}

/** The sections a model is built from: COLUMNS (format 2) or, in format-1 files, the RECORDS snapshot. */
export interface ModelSections {
  kind: 'columns' | 'records';
  records: Uint8Array;
  /** COLUMNS from its id blob on, when read apart from `records` (a shared read: readModelSections). */
  strings?: Uint8Array | undefined;
  edges: Uint8Array;
  /** WRITE_ORDER (absent in files written before format 3.1). */
  writeOrder?: Uint8Array | undefined;
  /** The file's commit sequence (which save these sections came from). */
  commitSeq: number;
}

/**
 * The model's sections of an open file, checksums verified. `sharedColumns`: COLUMNS goes to shared memory,
 * so the writer can build its model from this thread's read (see open/writer-load.ts), in two buffers: the
 * columns, which each model copies at its first write, and the strings, which both read for as long as the
 * store is open (nothing writes them), so that the columns' buffer is freed once both have copied.
 */
export function readModelSections(file: StoreFileReader, sharedColumns = false): ModelSections {
  const kind: ModelSections['kind'] = file.find(kSectionColumns) !== undefined || file.header.major >= 2 ? 'columns' : 'records';
  const base = { kind, edges: file.read(kSectionEdges), writeOrder: readWriteOrder(file), commitSeq: file.header.commitSeq };
  if (kind === 'records') return { ...base, records: file.read(kSectionRecords) };
  if (!sharedColumns) return { ...base, records: file.read(kSectionColumns) };
  const length = file.find(kSectionColumns)?.length ?? 0;
  const [records, strings] = file.readSplit(
    kSectionColumns,
    0,
    columnsStringsAt(file.peek(kSectionColumns, 0, kColumnsHeaderBytes), length),
  );
  return { ...base, records, strings };
}

/**
 * A model from its sections. `vouched`: another thread builds a model from the same bytes with every check
 * (the writer's view of the COLUMNS the facade read and checks for its mirror), so the per-row checks are
 * skipped here.
 * @throws FEATHER_ERR_CORRUPT.
 */
export function modelFromSections(s: ModelSections, path: string, vouched = false): MemoryModel {
  const edges = decode(s.edges, path, 'edges');
  const model =
    s.kind === 'columns'
      ? modelFromColumns(s.records, edges, vouched, s.strings)
      : modelFromRecords(decode(s.records, path, 'records'), edges);
  model.restoreWriteOrder(s.writeOrder);
  return model;
}

/** The WRITE_ORDER section (format 3.1), or undefined in files written before it. */
export function readWriteOrder(file: StoreFileReader): Uint8Array | undefined {
  return file.find(kSectionWriteOrder) === undefined ? undefined : file.read(kSectionWriteOrder);
}

/** STORE_META of an open file, checked, and checked against the file header. @throws FEATHER_ERR_CORRUPT. */
export function readStoreMeta(file: StoreFileReader): StoreMeta {
  const meta = checkMeta(decode(file.read(kSectionStoreMeta), file.path, 'meta'), file.path);
  const text = meta.modalities[0];
  if (text.dim !== file.header.dim || kMetricCode[text.metric] !== file.header.metric)
    throw corruptFile(file.path, 20, 'the header and the store metadata disagree on dim or metric', { part: 'header' });
  return meta;
}
