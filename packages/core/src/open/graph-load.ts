// A .feather file -> a store in the shared memory (docs/format.md, "Opening"): the graphs are copied
// straight into the arena by whichever threads share the load, then linked up and published by one.
import type { KernelArena } from '../arena.js';
import { beginRestore, finishRestore, restoreRegions } from '../hnsw/graph-restore.js';
import { HnswIndex } from '../hnsw/hnsw-index.js';
import type { GraphHeader, NodeTags } from '../hnsw/types.js';
import type { MemoryModel } from '../records/memory-model.js';
import { kFlagNormalized, kNLevelFlags } from '../layout.js';
import { RowMap } from '../records/row-map.js';
import type { FileIo } from '../format/file-io.js';
import { cutTasks, kTaskNodes, kTaskRowMap, type LoadPlan, type LoadTask, type PlannedGraph, type PlannedModality } from './load-tasks.js';
import { SharedLoad } from './shared-load.js';
import { decode } from '../format/msgpack.js';
import { checkGraphHeader, readStoreMeta, type ModalityState, type PendingLinks, type StoreMeta } from '../format/store-codec.js';
import { blockBytesOf, corruptFile, kBlockBytes, kBlockHashedMajor, StoreFileReader } from '../format/store-file.js';
import {
  kBulkSections,
  kSectionGraphHeader,
  kSectionNodes,
  kSectionRowMap,
  kSectionUpper,
  kSectionVectors,
} from '../format/section-types.js';

/** What loading the graphs needs to know of the records: tag limits, per-modality counts, and tags. */
export type RecordLimits = Pick<
  MemoryModel,
  'rowLimit' | 'namespaceCount' | 'entityCount' | 'modalityCount' | 'tagsOf' | 'hasModality' | 'tagsMatch'
>;

export interface LoadedGraphs {
  modalities: Map<string, ModalityState>;
  /** Graphs to link (in parallel) before the store is complete; empty when every graph was persisted. */
  pending: PendingLinks[];
  persistedGraphs: string[];
}

export interface LoadedStore extends LoadedGraphs {
  meta: StoreMeta;
  model: MemoryModel;
  commitSeq: number;
}

/**
 * Loading the graphs of an open file, in three steps. plan() (one thread, before any bulk byte is read)
 * checks the metadata and graph headers, reserves every persisted graph's nodes, upper blocks and row map in
 * the arena and cuts the bulk sections into tasks of about 1 MiB (one checksum block each). work() runs
 * tasks; any number of threads sharing the arena run them at once (SharedLoad): each block is copied straight
 * into its place, hashed and, for node blocks, checked; then node blocks are linked to their upper blocks and
 * row-map blocks checked against the nodes. finish() (after every task ran; on any thread: the plan is plain
 * data, see resume()) verifies the checksums and the totals and publishes; graphs saved without links are
 * reserved from their stored vectors instead, to be linked by the caller.
 */
export class GraphLoad {
  /** The plan as plain data, for the other threads' SharedLoad. */
  readonly plan: LoadPlan;
  readonly meta: StoreMeta;
  readonly #file: StoreFileReader;
  readonly #arena: KernelArena;
  readonly #shared: SharedLoad;

  private constructor(file: StoreFileReader, arena: KernelArena, meta: StoreMeta, plan: LoadPlan) {
    this.#file = file;
    this.#arena = arena;
    this.meta = meta;
    this.plan = plan;
    this.#shared = new SharedLoad(plan, arena);
  }

  /** The load `plan` (made by another thread sharing `arena`) of `file`, whose metadata is `meta`. */
  static resume(file: StoreFileReader, arena: KernelArena, meta: StoreMeta, plan: LoadPlan): GraphLoad {
    file.deferChecksums(kBulkSections);
    return new GraphLoad(file, arena, meta, plan);
  }

  /**
   * Plans the load of `file` into `arena`. The bulk sections' checksums are deferred to finish().
   * @throws FEATHER_ERR_CORRUPT (metadata, graph headers, section sizes), FEATHER_ERR_CAPACITY.
   */
  static plan(file: StoreFileReader, arena: KernelArena): GraphLoad {
    const path = file.path;
    file.deferChecksums(kBulkSections);
    const meta = readStoreMeta(file);
    const entries = file.sections.filter((s) => kBulkSections.includes(s.type));
    const entryOf = (type: number, tag: number): number => {
      const i = entries.findIndex((e) => e.type === type && e.tag === tag);
      if (i < 0) throw corruptFile(path, 0, `required section type ${type} (tag ${tag}) is missing`, { part: 'index', type, tag });
      return i;
    };
    const tasks: LoadTask[] = [];
    const graphs: PlannedGraph[] = [];
    const planned = new Set<number>();
    const modalities = meta.modalities.map((m, tag): PlannedModality => {
      const header = checkGraphHeader(decode(file.read(kSectionGraphHeader, tag), path, 'graph header'), path, tag);
      if (header.dim !== m.dim || header.metric !== m.metric || header.m !== meta.m)
        throw corruptFile(path, 0, `graph of modality ${m.name} does not match the store metadata`, { part: 'graph', tag });
      if (!header.persisted) {
        entryOf(kSectionVectors, tag); // checksummed with the other sections below, read by finish()
        return { header, graph: -1, rowMapBytes: 0, rowMapOffset: 0 };
      }
      const nodes = entryOf(kSectionNodes, tag);
      const upper = entryOf(kSectionUpper, tag);
      const rowMap = entryOf(kSectionRowMap, tag);
      for (const e of [nodes, upper, rowMap]) planned.add(e);
      // Sizes before any allocation: a damaged count must not reserve memory the file does not back.
      if (!Number.isSafeInteger(header.count * header.stride) || entries[nodes].length !== header.count * header.stride) {
        throw corruptFile(
          path,
          entries[nodes].offset,
          `node blocks of modality ${m.name} take ${entries[nodes].length} bytes, ${header.count} nodes need ${header.count * header.stride}`,
          { part: 'section', type: kSectionNodes, tag },
        );
      }
      const rowMapBytes = entries[rowMap].length;
      if (rowMapBytes % 4 !== 0 || rowMapBytes / 4 > RowMap.maxRows)
        throw corruptFile(path, entries[rowMap].offset, `row map of modality ${m.name} is ${rowMapBytes} bytes`, { part: 'graph', tag });
      const index = beginRestore(arena, header, meta.efSearch);
      const upperBytes = entries[upper].length;
      const upperAt = upperBytes === 0 ? 0 : arena.alloc(upperBytes);
      const { map, chunks } = RowMap.allocate(arena, rowMapBytes / 4);
      const graph =
        graphs.push({
          address: index.address,
          count: header.count,
          maxLevel: header.maxLevel,
          upper: upperAt,
          upperBytes,
          rowMap: map.table,
        }) - 1;
      const mark =
        (kind: number, unit: number) =>
        (t: LoadTask): LoadTask => ({ ...t, kind, graph, first: t.offset / unit, end: (t.offset + t.length) / unit });
      tasks.push(
        ...cutTasks(nodes, entries[nodes].length, blockBytesOf(kSectionNodes, header.stride), restoreRegions(index, header.count)).map(
          mark(kTaskNodes, header.stride),
        ),
      );
      tasks.push(...cutTasks(upper, upperBytes, kBlockBytes, [{ at: upperAt, bytes: upperBytes }]));
      tasks.push(...cutTasks(rowMap, rowMapBytes, kBlockBytes, chunks).map(mark(kTaskRowMap, 4)));
      return { header, graph, rowMapBytes, rowMapOffset: entries[rowMap].offset };
    });
    // Every other bulk section is checksummed too (stored vectors are read by finish(); the rest by nobody).
    entries.forEach((e, i) => {
      if (!planned.has(i)) tasks.push(...cutTasks(i, e.length, kBlockBytes, []));
    });
    const state = arena.alloc(SharedLoad.stateBytes(tasks.length));
    return new GraphLoad(file, arena, meta, { entries, tasks, graphs, modalities, blocks: file.header.major >= kBlockHashedMajor, state });
  }

  /** Runs up to `limit` tasks in this thread (see SharedLoad.work: `wait` blocks); returns how many it ran. */
  work(io: FileIo, limits: RecordLimits, limit?: number, wait?: boolean): number {
    return this.#shared.work(
      io,
      this.#file.fd,
      this.#file.path,
      {
        rows: limits.rowLimit,
        namespaces: limits.namespaceCount,
        entities: limits.entityCount,
        tagsMatch: (r, n, e) => limits.tagsMatch(r, n, e),
      },
      limit,
      wait,
    );
  }

  /** No task of either phase is left to start (see SharedLoad.finished). */
  get finished(): boolean {
    return this.#shared.finished;
  }

  /** Leaves the remaining tasks unclaimed (after a failure). */
  abandon(): void {
    this.#shared.abandon();
  }

  /**
   * Completes the load once every thread's work() returned with both phases done: checksums against the
   * index, totals against the headers and the records (tombstones, upper bytes, mapped rows), publication.
   * @throws FEATHER_ERR_CORRUPT.
   */
  finish(model: RecordLimits): LoadedGraphs {
    const file = this.#file;
    const path = file.path;
    this.#shared.verify(path);
    const modalities = new Map<string, ModalityState>();
    const pending: PendingLinks[] = [];
    const persistedGraphs: string[] = [];
    this.meta.modalities.forEach((m, tag) => {
      const r = this.plan.modalities[tag];
      const header = r.header;
      let state: ModalityState;
      if (r.graph >= 0) {
        const g = this.plan.graphs[r.graph];
        const index = HnswIndex.attach(this.#arena, g.address, this.meta.efSearch);
        const totals = this.#shared.totals(r.graph);
        if (r.rowMapBytes !== model.rowLimit * 4)
          throw corruptFile(
            path,
            r.rowMapOffset,
            `row map of modality ${m.name} has ${r.rowMapBytes / 4} rows, the records ${model.rowLimit}`,
            { part: 'graph', tag },
          );
        if (totals.mapped !== model.modalityCount(m.name))
          throw corruptFile(
            path,
            0,
            `row map of modality ${m.name} maps ${totals.mapped} rows, the records name ${model.modalityCount(m.name)}`,
            { part: 'graph', tag },
          );
        finishRestore(index, header, g.upperBytes, totals);
        index.recycler.packedUpper = { count: g.count, at: g.upper, bytes: g.upperBytes };
        const rows = RowMap.attach(this.#arena, g.rowMap);
        persistedGraphs.push(m.name);
        state = { index, rows };
      } else {
        state = reserveFromVectors(file, this.#arena, this.meta, tag, header, model, pending);
      }
      if (typeof m.maxAbs === 'number' && m.maxAbs > 0) state.index.maxAbs = m.maxAbs;
      modalities.set(m.name, state);
    });
    return { modalities, pending, persistedGraphs };
  }
}

/** A graph saved without links: a new index holding the stored vectors, reserved and listed in `pending`. */
function reserveFromVectors(
  file: StoreFileReader,
  arena: KernelArena,
  meta: StoreMeta,
  tag: number,
  header: GraphHeader,
  model: RecordLimits,
  pending: PendingLinks[],
): ModalityState {
  const path = file.path;
  const m = meta.modalities[tag];
  const rows = RowMap.create(arena);
  const index = HnswIndex.create(arena, {
    dim: m.dim,
    metric: m.metric,
    m: meta.m,
    efConstruction: meta.efConstruction,
    efSearch: meta.efSearch,
    storage: (header.flags & 2) !== 0 ? 'int8' : 'float32',
  });
  const bytes = file.read(kSectionVectors, tag);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length >= 16 ? view.getUint32(0, true) : -1;
  const size = bytes.length >= 16 ? view.getUint32(4, true) : -1;
  if (count < 0 || size !== index.vectorBytes || bytes.length !== 16 + count * 4 + count * size)
    throw corruptFile(path, 0, `vectors of modality ${m.name} have the wrong size`, { part: 'vectors', tag });
  const tags: NodeTags[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const row = view.getUint32(16 + i * 4, true);
    const t = model.tagsOf(row);
    if (t === undefined || seen.has(row))
      throw corruptFile(path, 0, `vectors of modality ${m.name}: row ${row} is not a live record`, { part: 'vectors', tag });
    // With the count check below: the rows listed are exactly the records that hold this modality.
    if (!model.hasModality(row, m.name))
      throw corruptFile(path, 0, `vectors of modality ${m.name}: row ${row} has no ${m.name} vector in the records`, {
        part: 'vectors',
        tag,
      });
    seen.add(row);
    tags.push({ row, ...t });
  }
  if (count !== model.modalityCount(m.name))
    throw corruptFile(path, 0, `vectors of modality ${m.name}: ${count} stored, the records name ${model.modalityCount(m.name)}`, {
      part: 'vectors',
      tag,
    });
  const first = reserveStored(index, bytes.subarray(16 + count * 4), tags, header.dimOrder);
  tags.forEach((t, i) => rows.set(t.row, first + i));
  if (count > 0) pending.push({ modality: m.name, first, count });
  return { index, rows };
}

/**
 * Reserves nodes whose vector regions are given raw (as HnswIndex.rawVector returns them, `vectorBytes` each):
 * the stored vectors of a graph saved without links. `order` is the dimension order they were stored in.
 * Returns the first id; the caller links them (insertReserved).
 */
function reserveStored(index: HnswIndex, raw: Uint8Array, tags: readonly NodeTags[], order: readonly number[] | null): number {
  if (index.reservedCount === 0 && order !== null && index.dimensionOrder === null) index.installOrder(order);
  const first = index.reservedCount;
  const size = index.vectorBytes;
  const u32 = index.arena.u32;
  for (let i = 0; i < tags.length; i++) {
    const id = index.reserveNode(tags[i], 'load a vector');
    index.rawVector(id).set(raw.subarray(i * size, (i + 1) * size));
    // Loaded as stored (already normalised): insert must not normalise it again.
    const flagsAt = (index.nodeAddress(id) + kNLevelFlags) >>> 2;
    u32[flagsAt] = u32[flagsAt] | kFlagNormalized;
  }
  return first;
}
