import { FeatherError } from '@feather-db/core';
import type { InsertJob, InsertReply, SearchQuery, SearchReply } from './protocol.js';
import type { PoolRunner } from './readers/reader-pool.js';

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
 * At most `window` pool tasks in flight, each built from the front of one FIFO queue: `take` says how many
 * queued items go into the next task, `send` runs it and settles its items (it must not reject).
 */
class TaskWindow<T> {
  readonly #queue: T[] = [];
  readonly #window: number;
  readonly #take: (queued: number, free: number) => number;
  readonly #send: (batch: T[]) => Promise<void>;
  #running = 0;

  constructor(window: number, take: (queued: number, free: number) => number, send: (batch: T[]) => Promise<void>) {
    this.#window = window;
    this.#take = take;
    this.#send = send;
  }

  push(item: T): void {
    this.#queue.push(item);
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#running < this.#window) {
      const batch = this.#queue.splice(0, this.#take(this.#queue.length, this.#window - this.#running));
      this.#running++;
      void this.#send(batch).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }
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

/**
 * Hands insert jobs to the pool in node order, from every write, at most two per thread at a time. Piscina
 * does not run queued tasks in submission order (with one thread, 60 queued tasks ran evens first, then
 * odds), and linking out of node order costs recall: a graph linked chunk-reversed measured recall@10
 * 0.954 against 0.969 in order (8k clustered vectors, ef 64); in order, a parallel build matches a serial
 * one.
 */
export class LinkQueue {
  readonly #tasks: TaskWindow<{ job: InsertJob; resolve: () => void; reject: (error: unknown) => void }>;

  constructor(pool: PoolRunner, threads: number) {
    this.#tasks = new TaskWindow(threads * kTasksPerThread, () => 1, (batch) => {
      const { job, resolve, reject } = batch[0]!;
      return pool.run({ type: 'insert', ...job }).then(
        (reply) => {
          const r = reply as InsertReply;
          if (r.ok) resolve();
          else reject(FeatherError.fromWire(r.error));
        },
        (error: unknown) => reject(error),
      );
    });
  }

  run(job: InsertJob): Promise<void> {
    return new Promise((resolve, reject) => this.#tasks.push({ job, resolve, reject }));
  }
}
