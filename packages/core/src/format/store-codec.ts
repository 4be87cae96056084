// A store <-> a .feather file: which sections hold what (docs/format.md, "Sections").
import { Packr } from 'msgpackr';
import type { KernelArena } from '../arena.js';
import { describeValue, FeatherError } from '../errors.js';
import { HnswIndex, runSteps, type GraphHeader, type Metric, type NodeTags } from '../hnsw/hnsw-index.js';
import { kMetricCode } from '../layout.js';
import { MemoryModel } from '../records/memory-model.js';
import { RowMap } from '../records/row-map.js';
import type { FileIo } from './file-io.js';
import {
  corruptFile,
  kBulkSections,
  kModelSections,
  kSectionColumns,
  kSectionEdges,
  kSectionGraphHeader,
  kSectionNodes,
  kSectionRecords,
  kSectionRowMap,
  kSectionStoreMeta,
  kSectionUpper,
  kSectionVectors,
  StoreFileReader,
  writeStoreFile,
  type SectionSource,
} from './store-file.js';

// Plain msgpack (no records extension) so files decode the same forever.
const kPackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** Above this share of tombstones a save drops the graph and stores live vectors; open rebuilds tight. */
export const kMaxPersistedTombstoneShare = 0.1;

export interface ModalityMeta {
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

export interface LoadedStore extends LoadedGraphs {
  meta: StoreMeta;
  model: MemoryModel;
  commitSeq: number;
}

export function encode(value: unknown): Uint8Array {
  return kPackr.pack(value);
}

export function decode(bytes: Uint8Array, path: string, part: string): unknown {
  try {
    return kPackr.unpack(bytes);
  } catch (error) {
    throw new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt ${path}: the ${part} section does not decode (${(error as Error).message}); restore it from a backup`, { path, part }, { cause: error });
  }
}

function u32Bytes(values: Uint32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Writes the whole store atomically; returns the file size and which graphs were persisted. */
export function saveStore(io: FileIo, path: string, input: SaveInput): { bytes: number; graphs: string[] } {
  const sections: SectionSource[] = [];
  sections.push({ type: kSectionStoreMeta, tag: 0, parts: [encode(input.meta)] });
  sections.push({ type: kSectionColumns, tag: 0, parts: input.model.toColumns() });
  sections.push({ type: kSectionEdges, tag: 0, parts: [encode(input.model.edgeList())] });
  const graphs: string[] = [];
  input.meta.modalities.forEach((m, tag) => {
    const state = input.modalities.get(m.name)!;
    if (state.index.reservedCount !== state.index.size) {
      throw new FeatherError('FEATHER_ERR_INTERNAL', `Cannot save modality ${m.name} while ${state.index.reservedCount - state.index.size} nodes are still being linked; wait for pending writes`);
    }
    const header = state.index.graphHeader();
    const share = header.count === 0 ? 0 : header.deleted / header.count;
    const persist = input.graph === 'always' || (input.graph !== 'never' && share <= kMaxPersistedTombstoneShare);
    sections.push({ type: kSectionGraphHeader, tag, parts: [encode({ ...header, persisted: persist })] });
    if (persist) {
      graphs.push(m.name);
      sections.push({ type: kSectionNodes, tag, parts: state.index.nodeBlocks() });
      sections.push({ type: kSectionUpper, tag, parts: [state.index.upperBlocks()] });
      const rowMap = new Uint32Array(input.model.rowLimit);
      for (let row = 0; row < rowMap.length; row++) rowMap[row] = state.rows.get(row) + 1;
      sections.push({ type: kSectionRowMap, tag, parts: [u32Bytes(rowMap)] });
    } else {
      // Live vectors only, raw (storage order, normalised or quantised as stored), with their rows.
      const live: number[] = [];
      for (const row of input.model.liveRows()) if (state.rows.get(row) >= 0) live.push(row);
      const head = new Uint32Array(4 + live.length);
      head.set([live.length, state.index.vectorBytes, 0, 0]);
      head.set(live, 4);
      sections.push({ type: kSectionVectors, tag, parts: [u32Bytes(head), ...live.map((row) => state.index.rawVector(state.rows.get(row)))] });
    }
  });
  const text = input.meta.modalities[0];
  const { bytes } = writeStoreFile(io, path, { dim: text.dim, metric: kMetricCode[text.metric], commitSeq: input.commitSeq, modelId: input.meta.modelId }, sections);
  return { bytes, graphs };
}

function checkMeta(value: unknown, path: string): StoreMeta {
  const bad = (what: string): FeatherError => corruptFile(path, 0, `store metadata: ${what}`, { part: 'meta' });
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const m = value as Record<string, unknown>;
  for (const key of ['m', 'efConstruction', 'efSearch'] as const) if (!Number.isInteger(m[key]) || (m[key] as number) < 1) throw bad(`${key} is ${describeValue(m[key])}`);
  if (typeof m['modelId'] !== 'string') throw bad('modelId is not a string');
  if (!Array.isArray(m['modalities']) || m['modalities'].length === 0) throw bad('no modalities');
  for (const x of m['modalities'] as unknown[]) {
    const ok = typeof x === 'object' && x !== null && typeof (x as ModalityMeta).name === 'string' && Number.isInteger((x as ModalityMeta).dim) && (x as ModalityMeta).dim >= 1 && (x as ModalityMeta).dim <= 65536 && ['cosine', 'l2', 'ip'].includes((x as ModalityMeta).metric);
    if (!ok) throw bad('a modality is malformed');
  }
  return value as StoreMeta;
}

function checkGraphHeader(value: unknown, path: string, tag: number): GraphHeader & { persisted: boolean } {
  const bad = (what: string): FeatherError => corruptFile(path, 0, `graph header of modality ${tag}: ${what}`, { part: 'graph', tag });
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const h = value as Record<string, unknown>;
  for (const key of ['dim', 'm', 'efConstruction', 'flags', 'stride', 'vecOff', 'codeOff', 'count', 'entry', 'maxLevel', 'deleted']) {
    if (!Number.isInteger(h[key])) throw bad(`${key} is ${describeValue(h[key])}`);
  }
  if (!['cosine', 'l2', 'ip'].includes(h['metric'] as string)) throw bad('unknown metric');
  if (typeof h['persisted'] !== 'boolean') throw bad('persisted is not a boolean');
  if (h['dimOrder'] !== null && !(Array.isArray(h['dimOrder']) && h['dimOrder'].every((d) => Number.isInteger(d)))) throw bad('dimOrder is malformed');
  return value as GraphHeader & { persisted: boolean };
}

/** The sections a model is built from: COLUMNS (format 2) or, in format-1 files, the RECORDS snapshot. */
export interface ModelSections {
  kind: 'columns' | 'records';
  records: Uint8Array;
  edges: Uint8Array;
  /** The file's commit sequence (which save these sections came from). */
  commitSeq: number;
}

/** The model's sections of an open file, checksums verified. */
export function readModelSections(file: StoreFileReader): ModelSections {
  const kind = file.find(kSectionColumns) !== undefined || file.header.major >= 2 ? 'columns' : 'records';
  return { kind, records: file.read(kind === 'columns' ? kSectionColumns : kSectionRecords), edges: file.read(kSectionEdges), commitSeq: file.header.commitSeq };
}

/**
 * A model from its sections. `vouched`: another thread builds a model from the same bytes with every check
 * (the facade's mirror, while the writer prepares), so the per-row checks are skipped here.
 * @throws FEATHER_ERR_CORRUPT.
 */
export function modelFromSections(s: ModelSections, path: string, vouched = false): MemoryModel {
  const edges = decode(s.edges, path, 'edges');
  return s.kind === 'columns' ? MemoryModel.fromColumns(s.records, edges, vouched) : MemoryModel.fromSections(decode(s.records, path, 'records'), edges);
}

export interface LoadOptions {
  /** Read through this descriptor (the facade's, so every thread reads the same file) instead of opening one. */
  fd?: number;
}

/** STORE_META of an open file, checked, and checked against the file header. @throws FEATHER_ERR_CORRUPT. */
export function readStoreMeta(file: StoreFileReader): StoreMeta {
  const meta = checkMeta(decode(file.read(kSectionStoreMeta), file.path, 'meta'), file.path);
  const text = meta.modalities[0];
  if (text.dim !== file.header.dim || kMetricCode[text.metric] !== file.header.metric) throw corruptFile(file.path, 20, 'the header and the store metadata disagree on dim or metric', { part: 'header' });
  return meta;
}

/** What loading the graphs needs to know of the records: tag limits, per-modality counts, and tags. */
export type RecordLimits = Pick<MemoryModel, 'rowLimit' | 'namespaceCount' | 'entityCount' | 'modalityCount' | 'tagsOf'>;

export interface LoadedGraphs {
  modalities: Map<string, ModalityState>;
  /** Graphs to link (in parallel) before the store is complete; empty when every graph was persisted. */
  pending: PendingLinks[];
  persistedGraphs: string[];
}

/** Loaded graphs as plain data another thread attaches to (the arena is shared). */
export interface GraphAddresses {
  modalities: { name: string; index: number; rowMap: number }[];
  pending: PendingLinks[];
  persistedGraphs: string[];
}

export function graphAddresses(graphs: LoadedGraphs): GraphAddresses {
  return { modalities: [...graphs.modalities].map(([name, s]) => ({ name, index: s.index.address, rowMap: s.rows.table })), pending: graphs.pending, persistedGraphs: graphs.persistedGraphs };
}

/** Handles onto graphs another thread loaded into this arena. */
export function attachGraphs(arena: KernelArena, meta: StoreMeta, at: GraphAddresses): LoadedGraphs {
  const modalities = new Map<string, ModalityState>();
  for (const g of at.modalities) {
    const index = HnswIndex.attach(arena, g.index);
    const m = meta.modalities.find((x) => x.name === g.name);
    if (typeof m?.maxAbs === 'number' && m.maxAbs > 0) index.maxAbs = m.maxAbs;
    modalities.set(g.name, { index, rows: RowMap.attach(arena, g.rowMap) });
  }
  return { modalities, pending: at.pending, persistedGraphs: at.persistedGraphs };
}

/**
 * Loads every modality's graph of an open file into `arena` (copied straight into fresh chunks when
 * persisted, else reserved from the stored vectors and reported in `pending`), checking each against the
 * records. A generator that yields between pieces of about 1 MiB (see HnswIndex.restore).
 * @throws FEATHER_ERR_CORRUPT.
 */
export function* loadGraphs(file: StoreFileReader, arena: KernelArena, meta: StoreMeta, model: RecordLimits): Generator<void, LoadedGraphs> {
  const path = file.path;
  const modalities = new Map<string, ModalityState>();
  const pending: PendingLinks[] = [];
  const persistedGraphs: string[] = [];
  const limits = { rows: model.rowLimit, namespaces: model.namespaceCount, entities: model.entityCount };
  for (const [tag, m] of meta.modalities.entries()) {
    const header = checkGraphHeader(decode(file.read(kSectionGraphHeader, tag), path, 'graph header'), path, tag);
    if (header.dim !== m.dim || header.metric !== m.metric || header.m !== meta.m) throw corruptFile(path, 0, `graph of modality ${m.name} does not match the store metadata`, { part: 'graph', tag });
    let index: HnswIndex;
    let rows: RowMap;
    if (header.persisted) {
      const nodes = file.stream(kSectionNodes, tag);
      index = yield* HnswIndex.restore(arena, header, limits, (dest) => nodes.next(dest), file.read(kSectionUpper, tag), meta.efSearch);
      nodes.finish();
      const entry = file.find(kSectionRowMap, tag);
      if (entry !== undefined && entry.length !== limits.rows * 4) throw corruptFile(path, entry.offset, `row map of modality ${m.name} has ${entry.length / 4} rows, the records ${limits.rows}`, { part: 'graph', tag });
      const map = file.stream(kSectionRowMap, tag);
      rows = RowMap.load(arena, limits.rows, (dest) => map.next(dest));
      map.finish();
      const mapped = index.checkRowMap(rows, limits.rows);
      if (mapped !== model.modalityCount(m.name)) throw corruptFile(path, 0, `row map of modality ${m.name} maps ${mapped} rows, the records name ${model.modalityCount(m.name)}`, { part: 'graph', tag });
      persistedGraphs.push(m.name);
    } else {
      rows = RowMap.create(arena);
      index = HnswIndex.create(arena, { dim: m.dim, metric: m.metric, m: meta.m, efConstruction: meta.efConstruction, efSearch: meta.efSearch, storage: (header.flags & 2) !== 0 ? 'int8' : 'float32' });
      const bytes = file.read(kSectionVectors, tag);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const count = bytes.length >= 16 ? view.getUint32(0, true) : -1;
      const size = bytes.length >= 16 ? view.getUint32(4, true) : -1;
      if (count < 0 || size !== index.vectorBytes || bytes.length !== 16 + count * 4 + count * size) throw corruptFile(path, 0, `vectors of modality ${m.name} have the wrong size`, { part: 'vectors', tag });
      const tags: NodeTags[] = [];
      const seen = new Set<number>();
      for (let i = 0; i < count; i++) {
        const row = view.getUint32(16 + i * 4, true);
        const t = model.tagsOf(row);
        if (t === undefined || seen.has(row)) throw corruptFile(path, 0, `vectors of modality ${m.name}: row ${row} is not a live record`, { part: 'vectors', tag });
        seen.add(row);
        tags.push({ row, ...t });
      }
      if (count !== model.modalityCount(m.name)) throw corruptFile(path, 0, `vectors of modality ${m.name}: ${count} stored, the records name ${model.modalityCount(m.name)}`, { part: 'vectors', tag });
      const first = index.reserveRaw(bytes.subarray(16 + count * 4), tags, header.dimOrder);
      tags.forEach((t, i) => rows.set(t.row, first + i));
      if (count > 0) pending.push({ modality: m.name, first, count });
    }
    if (typeof m.maxAbs === 'number' && m.maxAbs > 0) index.maxAbs = m.maxAbs;
    modalities.set(m.name, { index, rows });
  }
  return { modalities, pending, persistedGraphs };
}

/**
 * The main thread's half of a split open (docs/format.md, "Opening"): the model's sections and every graph read
 * with their checksums deferred, because the writer's prepare reads the same bytes through the same descriptor
 * with every check (the bulk checksums shared through a SharedChecksum); the mirror is built without per-row
 * checks for the same reason. Yields between graph pieces (see loadGraphs).
 * @throws FEATHER_ERR_CORRUPT for what it checks itself (sizes, node structure, row maps).
 */
export function* loadUnchecked(file: StoreFileReader, arena: KernelArena): Generator<void, { sections: ModelSections; model: MemoryModel; graphs: LoadedGraphs }> {
  file.deferChecksums([...kModelSections, ...kBulkSections]);
  const meta = readStoreMeta(file);
  const sections = readModelSections(file);
  const model = modelFromSections(sections, file.path, true);
  const graphs = yield* loadGraphs(file, arena, meta, model);
  return { sections, model, graphs };
}

/**
 * Reads and verifies a whole store file into `arena` in one go: metadata, records, edges and every graph.
 * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO.
 */
export function loadStore(io: FileIo, path: string, arena: KernelArena, options: LoadOptions = {}): LoadedStore {
  const file = StoreFileReader.open(io, path, options.fd);
  try {
    const meta = readStoreMeta(file);
    const model = modelFromSections(readModelSections(file), path);
    return { meta, model, commitSeq: file.header.commitSeq, ...runSteps(loadGraphs(file, arena, meta, model)) };
  } finally {
    file.close();
  }
}
