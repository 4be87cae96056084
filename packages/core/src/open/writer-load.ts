// The writer's side of an open: the whole load in one thread (loadStore), or its share of a load the opening
// thread planned (prepareShared, run side by side with StoreOpening.share), finished once every task ran
// (finishShared). docs/format.md, "Opening".
import type { KernelArena } from '../arena.js';
import type { FileIo } from '../format/file-io.js';
import { modelFromSections, readModelSections, readStoreMeta, readWriteOrder, type StoreMeta } from '../format/store-codec.js';
import { StoreFileReader } from '../format/store-file.js';
import { kSectionEdges } from '../format/section-types.js';
import type { MemoryModel } from '../records/memory-model.js';
import { GraphLoad, type LoadedStore } from './graph-load.js';
import type { LoadPlan } from './load-tasks.js';
import { SharedLoad } from './shared-load.js';

/** What the writer takes from the opening thread to share its load (plain data: it crosses threads). */
export interface SharedOpenHalf {
  /** The opening thread's descriptor: every thread reads the same file, even if another process replaced it. */
  fd: number;
  /** The load the opening thread planned (graphs reserved in the shared memory, bulk sections cut into tasks). */
  load: LoadPlan;
  /**
   * The COLUMNS bytes it read (over a SharedArrayBuffer, checksum verified; it builds its own model from them
   * with every check), which the writer's model views instead of reading them (absent in format-1 files).
   * Neither model writes them: each copies its columns before its first write (MemoryModel, "borrowed").
   */
  columns: Uint8Array | undefined;
  /** COLUMNS from its id blob on, read apart from `columns` (readModelSections); both models keep viewing them. */
  strings: Uint8Array | undefined;
}

/** What prepareShared read, until finishShared attaches the graphs. */
export interface PreparedLoad {
  meta: StoreMeta;
  model: MemoryModel;
  commitSeq: number;
  load: LoadPlan;
}

/**
 * Reads and verifies a whole store file into `arena` in this thread: metadata, records, edges and every graph.
 * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO.
 */
export function loadStore(io: FileIo, path: string, arena: KernelArena, fd?: number): LoadedStore {
  const file = StoreFileReader.open(io, path, fd);
  try {
    const load = GraphLoad.plan(file, arena);
    const model = modelFromSections(readModelSections(file), path);
    load.work(io, model);
    return { meta: load.meta, model, commitSeq: file.header.commitSeq, ...load.finish(model) };
  } finally {
    file.close();
  }
}

/**
 * The writer's share of a load another thread planned: reads the metadata through `half.fd`, builds its model
 * (over `half.columns` without per-row checks: the opening thread checks those bytes; else from the file with
 * every check), then runs load tasks (copies into the shared memory, checksums, node checks, upper
 * links, row-map checks) until none is left, blocking while the opening thread finishes its last ones.
 * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO.
 */
export function prepareShared(io: FileIo, arena: KernelArena, path: string, half: SharedOpenHalf): PreparedLoad {
  const file = StoreFileReader.open(io, path, half.fd);
  const load = new SharedLoad(half.load, arena);
  try {
    const meta = readStoreMeta(file);
    const model =
      half.columns === undefined
        ? modelFromSections(readModelSections(file), path)
        : modelFromSections(
            {
              kind: 'columns',
              records: half.columns,
              strings: half.strings,
              edges: file.read(kSectionEdges),
              writeOrder: readWriteOrder(file),
              commitSeq: file.header.commitSeq,
            },
            path,
            true,
          );
    load.work(
      io,
      file.fd,
      path,
      {
        rows: model.rowLimit,
        namespaces: model.namespaceCount,
        entities: model.entityCount,
        tagsMatch: (r, n, e) => model.tagsMatch(r, n, e),
      },
      Number.POSITIVE_INFINITY,
      true,
    );
    return { meta, model, commitSeq: file.header.commitSeq, load: half.load };
  } catch (error) {
    // The opening thread stops too: it reports this thread's error.
    load.abandon();
    throw error;
  } finally {
    file.close();
  }
}

/** Finishes a load prepareShared took part in, once every thread's tasks are done (see GraphLoad.finish). */
export function finishShared(io: FileIo, arena: KernelArena, path: string, fd: number | undefined, prepared: PreparedLoad): LoadedStore {
  const file = StoreFileReader.open(io, path, fd);
  try {
    return {
      meta: prepared.meta,
      model: prepared.model,
      commitSeq: prepared.commitSeq,
      ...GraphLoad.resume(file, arena, prepared.meta, prepared.load).finish(prepared.model),
    };
  } finally {
    file.close();
  }
}
