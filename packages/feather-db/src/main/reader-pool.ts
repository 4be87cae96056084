import { Piscina } from 'piscina';
import { kReaderLoaded, type InsertReply, type PoolTask, type SearchReply, type SharedInit } from '../protocol.js';

/** Upper bound on waiting for threads to finish loading before a close (a thread that failed to load never posts). */
const kLoadWaitMs = 10_000;

export type ReaderPool = Piscina<PoolTask, SearchReply | InsertReply>;

/** The pool, and how to close it (once every thread has loaded). */
export interface ReaderPoolHandle {
  pool: ReaderPool;
  close(force: boolean): Promise<void>;
}

/**
 * Starts the reader pool: `threads` Piscina threads attached to the shared memory. Its threads boot in the
 * background; `close` waits until each has loaded its module first, because terminating a Node 20 worker in
 * the middle of an ES module import aborts the whole process (a V8 assertion), which a store opened and
 * closed quickly would otherwise hit.
 */
export function startReaderPool(threads: number, init: SharedInit): ReaderPoolHandle {
  const pool: ReaderPool = new Piscina<PoolTask, SearchReply | InsertReply>({
    // The bundled entry (scripts/bundle-workers.mjs): one file to load instead of a module graph.
    filename: new URL('../readers/pool.bundle.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: init,
  });
  let loaded = 0;
  let timer: NodeJS.Timeout | undefined;
  const allLoaded = new Promise<void>((resolve) => {
    pool.on('message', (message) => {
      if (message === kReaderLoaded && ++loaded >= threads) resolve();
    });
    pool.on('error', () => resolve());
  });
  const bounded = Promise.race([allLoaded, new Promise<void>((resolve) => (timer = setTimeout(resolve, kLoadWaitMs).unref()))]).finally(
    () => clearTimeout(timer),
  );
  return {
    pool,
    close: async (force) => {
      await bounded;
      await pool.close({ force });
    },
  };
}
