// Feather.open's work on the main thread: the lock, the shared memory, the writer and the reader pool, and
// the load shared with the writer (core's openShared). Returns everything a Feather is made of.
import { Worker } from 'node:worker_threads';
import { allocateRecallTable, KernelArena, nodeFileIo, openShared, type MemoryModel } from '@feather-db/core';
import { kernelModule } from '@feather-db/kernels';
import { releaseProxy, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ResolvedOptions } from '../options.js';
import type { OpenResult, OpenSpec, Reply, WriterApi } from '../protocol.js';
import { unwrap } from '../shared/replies.js';
import { acquireLock } from './lock.js';
import { startReaderPool, type ReaderPoolHandle } from './reader-pool.js';
import { yieldToLoop } from './turns.js';

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
  worker: Worker;
  writer: Remote<WriterApi>;
  readers: ReaderPoolHandle;
  /** Releases the cross-process writer lock (undefined for readOnly). */
  releaseLock: (() => void) | undefined;
}

/**
 * Opens `path` with validated options: takes the lock (before anything reads the file), boots the writer on
 * a new shared memory, shares the load with it (docs/format.md, "Opening") and starts the reader pool while
 * the writer finishes. On failure, everything started is ended again before the error is thrown.
 */
export async function openStore(path: string, o: ResolvedOptions): Promise<StoreHandles> {
  const releaseLock = o.readOnly ? undefined : acquireLock(path);
  const arena = KernelArena.create();
  const init = { memory: arena.memory, module: kernelModule() };
  // The bundled entry (scripts/bundle-workers.mjs): one file to load instead of a module graph.
  const worker = new Worker(new URL('../writer/writer.bundle.js', import.meta.url), { workerData: init });
  const writer = wrap<WriterApi>(nodeEndpoint(worker));
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
  let readers: ReaderPoolHandle | undefined;
  try {
    const { mirror, opened } = await openShared<OpenResult>(
      nodeFileIo(),
      path,
      arena,
      {
        prepare: async (half) => void unwrap(await writer.prepare({ ...spec, ...half })),
        open: (half) => {
          // The writer finishes the load (checksums against the index, totals, publication) and replays the WAL
          // while this thread starts the reader pool, whose threads then boot on a core the load no longer needs.
          const opening = writer.open({ ...spec, ...half });
          readers = startReaderPool(o.threads, init);
          return opening.then((reply) => unwrap(reply));
        },
      },
      { tasksPerTurn: kTasksPerTurn, turn: yieldToLoop },
    );
    for (const op of opened.replayedOps) mirror.apply(op);
    mirror.shareRecall(arena, recallTable);
    return { path, options: o, opened, mirror, arena, worker, writer, readers: readers!, releaseLock };
  } catch (error) {
    await shutDown({ worker, writer, readers, releaseLock }, true).catch(() => undefined);
    throw error;
  }
}

/**
 * Ends a store's threads: the writer flushes its WAL and closes (its reply is returned, to be unwrapped by a
 * caller that cares), then the pool (forced: without waiting for queued tasks) and the writer thread end and
 * the lock is released.
 */
export async function shutDown(
  h: Pick<StoreHandles, 'worker' | 'writer' | 'releaseLock'> & { readers: ReaderPoolHandle | undefined },
  force: boolean,
): Promise<Reply<null>> {
  let closed: Reply<null> | undefined;
  let failure: unknown;
  try {
    closed = await h.writer.close();
  } catch (error) {
    failure = error;
  }
  // The threads end and the lock goes even when the writer could not answer.
  h.writer[releaseProxy]();
  await Promise.all([h.readers?.close(force), h.worker.terminate()]);
  h.releaseLock?.();
  if (closed === undefined) throw failure;
  return closed;
}
