// Messages between the facade, the writer worker and the reader pool. Errors never cross as thrown values:
// structured clone drops FeatherError's class and `code`, so every reply is a discriminated union that
// carries `{ code, message, details }` on failure and is rebuilt with FeatherError.fromWire() (a search task's,
// packed with its task: shared/search-wire.ts).
import type { Faults } from './shared/internal-faults.js';
import type { SearchReplies, SearchTask } from './shared/search-wire.js';
import type {
  EngineOpenSpec,
  InsertJob,
  ModelOp,
  RepairJob,
  SearchPlan,
  StorageChange,
  StoreMeta,
  WireError,
  WriteRequest,
  WriteResult,
} from '@feather-db/core';

export type { InsertJob, RepairJob, StorageChange, WriteRequest, WriteResult };

export type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** What the writer opens (or creates) the store with (the engine's spec). */
export type OpenSpec = EngineOpenSpec;

export interface OpenResult {
  /** Per modality, the shared slot address readers resolve its current index through. */
  slots: Record<string, number>;
  meta: StoreMeta;
  /** The memory-model ops replayed from the WAL (the mirror, built from the file's sections, applies them). */
  replayedOps: ModelOp[];
  /** Index work still to do (graphs rebuilt from stored vectors, replayed batches) before the store is complete. */
  pending: WriteResult;
  created: boolean;
  replayed: number;
  persistedGraphs: string[];
  /** The commit of the file the writer loaded (null when it created the store). */
  fileSeq: number | null;
  loadMs: number;
}

/** What a pool thread posts once its module has loaded (see main/reader-pool.ts). */
export const kReaderLoaded = 'feather:reader-loaded';

/** What the writer worker and every reader receive as workerData. */
export interface SharedInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** INTERNAL, tests only: injected faults (internal-faults.ts); absent in normal use. */
  faults?: Faults;
  /** Reader-pool threads only: how much to raise their nice value at start (OpenOptions.poolPriority). */
  niceIncrement?: number;
  /**
   * Reader-pool threads only: one word, the search tasks sent to the pool that no thread has started yet
   * (main/reader-pool.ts adds, the thread that starts one subtracts). An insert task gives way while it is
   * above zero (shared/give-way.ts).
   */
  searchesWaiting?: Int32Array;
}

/** The writer's RPC surface (comlink). Every method runs on the writer thread, in call order. */
export interface WriterApi {
  /** Reads the metadata and the model of an existing file and runs load tasks with the facade (core's openShared, prepareShared). */
  prepare(spec: OpenSpec): Reply<null>;
  /** Opens or creates the store (after prepare: finishes that load), then replays the WAL. */
  open(spec: OpenSpec): Reply<OpenResult>;
  /** Applies writes in order and logs them as one WAL group (one fdatasync under 'fsync'). */
  writeMany(writes: WriteRequest[]): Reply<{ results: WriteResult[]; walBytes: number }>;
  /** Builds fresh indexes of the live nodes (optionally in another storage); the pool links them. */
  beginRebuild(modalities: string[], change: StorageChange | undefined): Reply<WriteResult>;
  /** Publishes the rebuilt indexes to readers (one atomic swap per modality). */
  commitRebuild(): Reply<{ bytesUsed: number }>;
  /** Opens a repair of every modality's tombstones; the pool runs the returned pass (docs/adr/0008), in jobs of `taskNodes` nodes. */
  beginRepair(taskNodes: number): Reply<RepairJob[]>;
  /** Retires the repaired tombstones once the pass ran (their slots are reused once no reader holds them). */
  commitRepair(): Reply<{ retired: number }>;
  /** Writes the store to `target` (default: its own path, folding and resetting the WAL). */
  save(target: string | undefined, graph: 'auto' | 'always' | 'never'): Reply<{ bytes: number; ms: number; graphs: string[] }>;
  /** Cross-checks model, row maps and graphs; returns problems and the model snapshot (for the mirror check). */
  verify(): Reply<{ problems: string[]; snapshot: Uint8Array }>;
  /** Flushes the WAL and releases the lock. */
  close(): Reply<null>;
}

/** One query of a search task. `plan` comes from the facade's planner. */
export interface SearchQuery {
  vector: Float32Array;
  /** The modality slot (see core/records/modality-slot.ts). */
  slot: number;
  k: number;
  ef: number;
  plan: SearchPlan;
  /** Set to 1 (atomically, over a SharedArrayBuffer) when the caller aborted: a thread that has not started the query skips it. */
  cancel?: Int32Array;
}

/**
 * Up to a few dozen searches in one task: under load the facade packs queued searches together, so one
 * thread hop (~60-80 µs here) and one cold start of the worker serve many queries. Posted packed
 * (shared/search-wire.ts), and answered with SearchReplies.
 */
export type { SearchReplies };
/** Link these reserved nodes, in order. Replies with how many it linked: it may give way to a search first (shared/give-way.ts). */
type InsertTask = { type: 'insert' } & InsertJob;
/**
 * Part of a repair pass: re-link these nodes around the retiring set. Replies with how many it re-linked (it may
 * give way to a search first, as an insert task does) and the milliseconds it ran in its thread.
 */
type RepairTask = { type: 'repair' } & RepairJob;
export type InsertReply = Reply<number>;
export type RepairReply = Reply<{ nodes: number; ms: number }>;
export type PoolTask = SearchTask | InsertTask | RepairTask;
export type PoolReply = SearchReplies | InsertReply | RepairReply;

/** The writer's methods as the main thread calls them: promises that reject with FEATHER_ERR_WORKER_EXITED once the thread is gone (main/writer-thread.ts). */
export type WriterCalls = { [K in keyof WriterApi]: (...args: Parameters<WriterApi[K]>) => Promise<ReturnType<WriterApi[K]>> };
