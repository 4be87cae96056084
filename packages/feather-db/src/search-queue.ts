import { FeatherError } from '@feather-db/core';
import type { Piscina } from 'piscina';
import type { InsertJob, InsertReply, PoolTask, SearchQuery, SearchReply } from './protocol.js';

/** Most searches packed into one pool task when they queue up. */
const kMaxSearchBatch = 32;
/** Pool tasks kept in flight per reader thread, so a worker always has the next task waiting. */
const kTasksPerThread = 2;

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
  readonly #pool: Piscina<PoolTask, SearchReply | InsertReply>;
  readonly #slots: number;
  #queue: Pending[] = [];
  #running = 0;

  constructor(pool: Piscina<PoolTask, SearchReply | InsertReply>, threads: number) {
    this.#pool = pool;
    this.#slots = threads * kTasksPerThread;
  }

  run(query: SearchQuery): Promise<SearchOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ query, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#running < this.#slots) {
      const take = Math.min(kMaxSearchBatch, Math.ceil(this.#queue.length / (this.#slots - this.#running)));
      const batch = this.#queue.splice(0, take);
      this.#running++;
      this.#pool.run({ type: 'search', queries: batch.map((p) => p.query) }).then(
        (replies) => {
          this.#running--;
          (replies as SearchReply).forEach((reply, i) => {
            if (reply.ok) batch[i]!.resolve(reply.value);
            else batch[i]!.reject(FeatherError.fromWire(reply.error));
          });
          this.#pump();
        },
        (error: unknown) => {
          this.#running--;
          for (const p of batch) p.reject(error);
          this.#pump();
        },
      );
    }
  }
}

/**
 * Hands insert jobs to the pool in node order, from every write, at most two per thread at a time. Piscina
 * does not run queued tasks in submission order (with one thread, 60 queued tasks ran evens first, then
 * odds), and linking out of node order costs recall: a graph linked chunk-reversed measured recall@10
 * 0.954 against 0.969 in order (8k clustered vectors, ef 64); in order, a parallel build matches a serial
 * one.
 */
export class LinkQueue {
  readonly #pool: Piscina<PoolTask, SearchReply | InsertReply>;
  readonly #window: number;
  readonly #queue: { job: InsertJob; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #running = 0;

  constructor(pool: Piscina<PoolTask, SearchReply | InsertReply>, threads: number) {
    this.#pool = pool;
    this.#window = threads * kTasksPerThread;
  }

  run(job: InsertJob): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#running < this.#window) {
      const { job, resolve, reject } = this.#queue.shift()!;
      this.#running++;
      this.#pool.run({ type: 'insert', ...job }).then(
        (reply) => {
          this.#running--;
          const r = reply as InsertReply;
          if (r.ok) resolve();
          else reject(FeatherError.fromWire(r.error));
          this.#pump();
        },
        (error: unknown) => {
          this.#running--;
          reject(error);
          this.#pump();
        },
      );
    }
  }
}
