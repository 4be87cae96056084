import { FeatherError } from '@feather-db/core';
import type { Piscina } from 'piscina';
import type { InsertReply, PoolTask, SearchQuery, SearchReply } from '../protocol.js';
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
 * several per task once searches queue up (one thread hop and one warm-up serve them all).
 */
export class SearchQueue {
  readonly #tasks: TaskWindow<Pending>;

  constructor(pool: Piscina<PoolTask, SearchReply | InsertReply>, threads: number) {
    const take = (queued: number, free: number): number => Math.min(kMaxSearchBatch, Math.ceil(queued / free));
    this.#tasks = new TaskWindow<Pending>(threads * kTasksPerThread, take, (batch) =>
      pool.run({ type: 'search', queries: batch.map((p) => p.query) }).then(
        (replies) => {
          (replies as SearchReply).forEach((reply, i) => {
            if (reply.ok) batch[i]!.resolve(reply.value);
            else batch[i]!.reject(FeatherError.fromWire(reply.error));
          });
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error);
        },
      ),
    );
  }

  run(query: SearchQuery): Promise<SearchOutcome> {
    return new Promise((resolve, reject) => this.#tasks.push({ query, resolve, reject }));
  }
}
