import { FeatherError } from '@feather-db/core';
import type { SearchQuery, SearchReply } from '../protocol.js';
import type { PoolRunner } from './reader-pool.js';
import { kTasksPerThread, TaskWindow } from './task-window.js';

/** Most searches packed into one pool task when they queue up. */
const kMaxSearchBatch = 32;

export interface SearchOutcome {
  rows: Uint32Array;
  distances: Float32Array;
}

interface Pending {
  query: SearchQuery;
  resolve: (value: SearchOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends searches to the reader pool: one search per task while the pool has idle capacity (lowest latency),
 * several per task once searches queue up (one thread hop and one warm-up serve them all). A task whose
 * thread died is sent once more (searches change nothing; Piscina has replaced the thread), then rejected
 * with the pool's typed error.
 */
export class SearchQueue {
  readonly #tasks: TaskWindow<Pending>;

  constructor(pool: PoolRunner, threads: number) {
    const take = (queued: number, free: number): number => Math.min(kMaxSearchBatch, Math.ceil(queued / free));
    const send = (batch: Pending[], retried: boolean): Promise<void> =>
      pool.run({ type: 'search', queries: batch.map((p) => p.query) }).then(
        (replies) => {
          (replies as SearchReply).forEach((reply, i) => {
            if (reply.ok) batch[i]!.resolve(reply.value);
            else batch[i]!.reject(FeatherError.fromWire(reply.error));
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

  run(query: SearchQuery): Promise<SearchOutcome> {
    return new Promise((resolve, reject) => this.#tasks.push({ query, resolve, reject }));
  }
}
