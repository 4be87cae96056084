// Feather.open's work on the main thread: the lock, the shared memory, the writer and the reader pool, and
// the load shared with the writer (core's openShared). Returns everything a Feather is made of.
import { allocateRecallTable, KernelArena, nodeFileIo, openShared, type FeatherError, type MemoryModel } from '@feather-db/core';
import { kernelModule } from '@feather-db/kernels';
import { kPoolNiceIncrement, type ResolvedOptions } from '../options.js';
import type { OpenResult, OpenSpec, Reply, SharedInit, WriterCalls } from '../protocol.js';
import { faultsFromEnv } from '../shared/internal-faults.js';
import { toWire, unwrap } from '../shared/replies.js';
import { acquireLock } from './lock.js';
import { startReaderPool, type ReaderPool } from './reader-pool.js';
import { StoreFault } from './store-fault.js';
import { yieldToLoop } from './turns.js';
import { WriterThread } from './writer-thread.js';

/** Load tasks (~1 MiB each) the main thread runs per event-loop turn: a few ms, so other work keeps running. */
const kTasksPerTurn = 4;

/** An open store's parts: what the facade routes to. */
export interface StoreHandles {
  path: string;
  options: ResolvedOptions;
  /** What the writer opened: slots, metadata, pending index work. */
  opened: OpenResult;
  /** The facade's mirror of the memory model, the WAL replayed into it. */
  mirror: MemoryModel;
  arena: KernelArena;
  /** The writer worker, watched from spawn (its death is a typed fault). */
  thread: WriterThread;
  writer: WriterCalls;
  readers: ReaderPool;
  /** The store's first fault and its recovery (main/store-fault.ts). */
  fault: StoreFault;
  /** Releases the cross-process writer lock (undefined for readOnly). */
  releaseLock: (() => void) | undefined;
}

/**
 * Opens `path` with validated options: takes the lock (before anything reads the file), boots the writer on
 * a new shared memory, shares the load with it (docs/format.md, "Opening"), then starts the reader pool. On
 * failure, everything started is ended again before the error is thrown.
 */
export async function openStore(path: string, o: ResolvedOptions): Promise<StoreHandles> {
  const releaseLock = o.readOnly ? undefined : acquireLock(path);
  let arena: KernelArena;
  let init: SharedInit;
  let thread: WriterThread;
  try {
    // INTERNAL, tests only: a fault plan in FEATHER_INTERNAL_FAULTS (shared/internal-faults.ts); normally undefined.
    const faults = faultsFromEnv();
    arena = KernelArena.create();
    init = { memory: arena.memory, module: kernelModule(), faults };
    // Watched from spawn (writer-thread.ts): a writer that fails to start rejects the open, typed.
    thread = new WriterThread(init);
  } catch (error) {
    releaseLock?.();
    throw error;
  }
  const fault = new StoreFault(arena, path);
  void thread.died.catch((error: FeatherError) => fault.fail(error));
  const writer = thread.calls;
  // The recall columns the mirror will own in shared memory; the writer's model reads them (recall-log.ts).
  const recallTable = allocateRecallTable(arena);
  const spec: OpenSpec = {
    path,
    modalities: o.modalities,
    m: o.m,
    efConstruction: o.efConstruction,
    efSearch: o.efSearch,
    modelId: o.embeddingModel,
    readOnly: o.readOnly,
    durability: o.durability,
    recallTable,
  };
  let readers: ReaderPool | undefined;
  try {
    const { mirror, opened } = await openShared<OpenResult>(
      nodeFileIo(),
      path,
      arena,
      {
        prepare: async (half) => void unwrap(await writer.prepare({ ...spec, ...half })),
        // The writer finishes the load (checksums against the index, totals, publication) and replays the WAL.
        open: async (half) => unwrap(await writer.open({ ...spec, ...half })),
      },
      { tasksPerTurn: kTasksPerTurn, turn: yieldToLoop },
    );
    for (const op of opened.replayedOps) mirror.apply(op);
    mirror.shareRecall(arena, recallTable);
    // Started last: its threads boot (~40 ms of a core each) while the open resolves and the first searches run
    // on this thread (main/search-runner.ts), not while the load's two threads need both cores.
    readers = startReaderPool(o.threads, { ...init, niceIncrement: kPoolNiceIncrement[o.poolPriority] }, (error, broken) =>
      fault.threadError(error, broken),
    );
    return { path, options: o, opened, mirror, arena, thread, writer, readers, fault, releaseLock };
  } catch (error) {
    await shutDown({ thread, writer, readers, fault, releaseLock }, true).catch(() => undefined);
    throw error;
  }
}

/**
 * Ends a store's threads: the writer flushes its WAL and closes (its reply is returned, to be unwrapped by a
 * caller that cares; a dead writer's call rejects at once and becomes the reply), then the pool (forced:
 * without waiting for queued tasks) and the writer thread end, a dead writer's descriptors are closed and the
 * lock is released.
 */
export async function shutDown(
  h: Pick<StoreHandles, 'thread' | 'writer' | 'fault' | 'releaseLock'> & { readers: ReaderPool | undefined },
  force: boolean,
): Promise<Reply<null>> {
  const closed = await h.writer.close().catch((error: unknown): Reply<null> => ({ ok: false, error: toWire(error) }));
  try {
    await Promise.all([h.readers?.close(force), h.thread.stop()]);
  } finally {
    // The descriptors and the lock go even when a thread could not be ended cleanly.
    h.fault.closeLeftDescriptors(h.thread);
    h.releaseLock?.();
  }
  return closed;
}
