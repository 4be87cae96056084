import { FeatherError } from '@feather-db/core';
import { Piscina } from 'piscina';
import { kReaderLoaded, type PoolReply, type PoolTask, type SharedInit } from '../protocol.js';
import { kTasksPerThread } from './task-window.js';
import { kWorkerExecArgv } from './writer-thread.js';

/** Upper bound on waiting for threads to finish loading before a close (a thread that failed to load never posts). */
const kLoadWaitMs = 10_000;

/** What runs pool tasks: a search, insert or repair task, settled typed. */
export interface PoolRunner {
  run(task: PoolTask): Promise<PoolReply>;
}

export interface ReaderPool extends PoolRunner {
  /** Threads alive now. */
  readonly threads: number;
  /** Why the pool can no longer run tasks (every thread failed to start), if it cannot. */
  readonly broken: FeatherError | undefined;
  /**
   * Neither broken nor closing (its threads may still be booting): the facade may then run a small search on
   * its own thread instead (main/search-runner.ts); a pool known dead gets every search, which rejects typed.
   */
  readonly healthy: boolean;
  close(force: boolean): Promise<void>;
}

/**
 * Starts the reader pool: `threads` Piscina threads attached to the shared memory, started with no host
 * flags (kWorkerExecArgv). Piscina replaces a thread that dies and rejects the task it was running; `run`
 * turns that into FEATHER_ERR_WORKER_EXITED (FEATHER_ERR_CLOSED once the pool is closing). A thread error
 * outside any task goes to `onError`, never swallowed; when no thread is left (threads that fail at start
 * are not replaced again), every queued and later task rejects instead of waiting for a thread forever, and
 * `onError` hears it with `broken` set.
 * Its threads boot in the background; `close` waits until each has loaded its module first, because
 * terminating a Node 20 worker in the middle of an ES module import aborts the whole process (a V8
 * assertion), which a store opened and closed quickly would otherwise hit.
 */
export function startReaderPool(threads: number, init: SharedInit, onError: (error: FeatherError, broken: boolean) => void): ReaderPool {
  // Search tasks sent and not yet started by a thread: insert and repair tasks give way while any wait
  // (shared/give-way.ts).
  const searchesWaiting = new Int32Array(new SharedArrayBuffer(4));
  let searchesInFlight = 0;
  const pool = new Piscina<PoolTask, PoolReply>({
    // The bundled entry (scripts/bundle-workers.mjs): one file to load instead of a module graph.
    filename: new URL('../readers/pool.bundle.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    // Each thread holds the next task while it runs one (main/task-window.ts): its port has it waiting, so the
    // thread goes on without a round trip through this thread. Tasks are synchronous: a thread still runs one
    // at a time.
    concurrentTasksPerWorker: kTasksPerThread,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: { ...init, searchesWaiting } satisfies SharedInit,
    execArgv: [...kWorkerExecArgv],
  });
  let loaded = 0;
  let closing = false;
  let broken: FeatherError | undefined;
  let breakPool: (error: FeatherError) => void = () => undefined;
  const brokenPromise = new Promise<never>((_, reject) => (breakPool = reject));
  brokenPromise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let allLoadedResolve: () => void = () => undefined;
  const allLoaded = new Promise<void>((resolve) => (allLoadedResolve = resolve));
  pool.on('message', (message) => {
    if (message === kReaderLoaded && ++loaded >= threads) allLoadedResolve();
  });
  // Piscina replaces a thread that died (synchronously, in the same turn) unless threads already fail at
  // start; with none left, nothing would ever run.
  const checkAlive = (reason: string, cause: unknown): void => {
    setImmediate(() => {
      if (pool.threads.length > 0 || broken !== undefined || closing) return;
      broken = new FeatherError(
        'FEATHER_ERR_WORKER_EXITED',
        `The reader threads could not start (${reason}); searches and parallel inserts cannot run: close the store and open it again`,
        { thread: 'reader' },
        { cause },
      );
      breakPool(broken);
      onError(broken, true);
    });
  };
  pool.on('error', (error: Error) => {
    // A thread that never loaded will not post: stop waiting for it at close.
    allLoadedResolve();
    onError(
      new FeatherError('FEATHER_ERR_WORKER_EXITED', `A reader thread failed: ${error.message}`, { thread: 'reader' }, { cause: error }),
      false,
    );
    checkAlive(error.message, error);
  });
  pool.on('workerDestroy', () => {
    allLoadedResolve();
    checkAlive('a thread exited', undefined);
  });
  const bounded = Promise.race([allLoaded, new Promise<void>((resolve) => (timer = setTimeout(resolve, kLoadWaitMs).unref()))]).finally(
    () => clearTimeout(timer),
  );
  const typed = (error: unknown): FeatherError => {
    if (error instanceof FeatherError) return error;
    if (closing)
      return new FeatherError(
        'FEATHER_ERR_CLOSED',
        'the store was closed while this call ran in a reader thread; open it again to use it',
        undefined,
        { cause: error },
      );
    return new FeatherError(
      'FEATHER_ERR_WORKER_EXITED',
      `A reader thread exited while running this task: ${(error as Error).message}`,
      { thread: 'reader' },
      { cause: error },
    );
  };
  return {
    get threads() {
      return pool.threads.length;
    },
    get broken() {
      return broken;
    },
    get healthy() {
      return broken === undefined && !closing;
    },
    run: (task) => {
      if (broken !== undefined) return Promise.reject(broken);
      if (closing) return Promise.reject(typed(new Error('closed')));
      const run = (): Promise<PoolReply> =>
        Promise.race([pool.run(task), brokenPromise]).catch((error: unknown) => Promise.reject(typed(error)));
      if (task.type !== 'search') return run();
      // Atomic add, before the task can reach a thread: the reader threads load the word between an insert or
      // repair task's nodes, and subtract as they start a search task. A task that failed with its thread may never have
      // been started: once no search task is in flight, every one that will be started has been, so the word is
      // reset then.
      Atomics.add(searchesWaiting, 0, 1);
      searchesInFlight++;
      return run().finally(() => {
        if (--searchesInFlight === 0) Atomics.store(searchesWaiting, 0, 0);
      });
    },
    close: async (force) => {
      closing = true;
      await bounded;
      await pool.close({ force });
    },
  };
}
