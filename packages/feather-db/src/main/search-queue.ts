import { FeatherError } from '@feather-db/core';
import type { SearchQuery, SearchReply } from '../protocol.js';
import type { SearchOutcome } from '../shared/search-one.js';
import { abortedError, whenAborted } from './abort.js';
import type { PoolRunner } from './reader-pool.js';
import { kTasksPerThread, TaskWindow } from './task-window.js';

/** Most searches packed into one pool task when they queue up. */
const kMaxSearchBatch = 32;

interface Pending {
  query: SearchQuery;
  resolve: (value: SearchOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends searches to the reader pool: one search per task while the pool has idle capacity (lowest latency),
 * several per task once searches queue up (one thread hop and one warm-up serve them all). A task whose
 * thread died is sent once more (searches change nothing; Piscina has replaced the thread), then rejected
 * with the pool's typed error. A search whose signal aborts leaves the queue (or, once sent, is skipped by its
 * thread through the query's cancel flag) and rejects at once with FEATHER_ERR_ABORTED.
 */
export class SearchQueue {
  readonly #tasks: TaskWindow<Pending>;
  #answered = false;

  /** `measured` hears how long each search took in its thread (the inline budget learns from it). */
  constructor(pool: PoolRunner, threads: number, measured: (query: SearchQuery, ms: number) => void) {
    const take = (queued: number, free: number): number => Math.min(kMaxSearchBatch, Math.ceil(queued / free));
    const send = (batch: Pending[], retried: boolean): Promise<void> =>
      pool.run({ type: 'search', queries: batch.map((p) => p.query) }).then(
        (replies) => {
          (replies as SearchReply).forEach((reply, i) => {
            const p = batch[i]!;
            if (!reply.ok) return p.reject(FeatherError.fromWire(reply.error));
            this.#answered = true;
            measured(p.query, reply.value.ms);
            p.resolve(reply.value);
          });
        },
        (error: unknown) => {
          if (!retried && error instanceof FeatherError && error.code === 'FEATHER_ERR_WORKER_EXITED') return send(batch, true);
          for (const p of batch) p.reject(error);
          return undefined;
        },
      );
    this.#tasks = new TaskWindow<Pending>(threads * kTasksPerThread, take, (batch) => send(batch, false));
  }

  /** True once a pool thread has answered a search: the pool is known to work. */
  get answered(): boolean {
    return this.#answered;
  }

  /** True when no search is queued or running in the pool. */
  get idle(): boolean {
    return this.#tasks.idle;
  }

  run(query: SearchQuery, signal?: AbortSignal): Promise<SearchOutcome> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { query, resolve, reject };
      if (signal !== undefined) {
        const dispose = whenAborted(signal, () => {
          this.#tasks.remove(pending);
          // Atomic store: the reader thread loads the flag before it starts the query, and skips it once set.
          if (query.cancel !== undefined) Atomics.store(query.cancel, 0, 1);
          reject(abortedError(signal, 'search'));
        });
        pending.resolve = (value) => {
          dispose();
          resolve(value);
        };
        pending.reject = (error) => {
          dispose();
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the pool's own rejection, passed on as it came
          reject(error);
        };
      }
      this.#tasks.push(pending);
    });
  }
}
