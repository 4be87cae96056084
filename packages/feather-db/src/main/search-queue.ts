import { FeatherError } from '@feather-db/core';
import type { SearchQuery, SearchReplies } from '../protocol.js';
import type { SearchOutcome } from '../shared/search-one.js';
import { abortedError, whenAborted } from './abort.js';
import type { PoolRunner } from './reader-pool.js';
import { kTasksPerThread, TaskWindow } from './task-window.js';
import { packSearches, unpackReplies } from '../shared/search-wire.js';

/**
 * Search tasks in flight per reader thread: two, as the insert and repair queues keep, and the pool lets each
 * thread hold both (reader-pool.ts), so a thread that finishes a task starts the next at once instead of
 * waiting for this thread to read its reply and send another. Measured with `compare/cpu-split.ts` (MNIST-784
 * 60k, ef 32, 64 in flight, core's one thread in turns, alternating): 1.39-1.80x core against 1.13-1.37x
 * with one task a thread, the process using 1.97-1.99 cores against 1.80-1.85.
 */
/** Most searches packed into one pool task when they queue up. */
const kMaxSearchBatch = 32;
/**
 * Estimated work packed into one pool task: more searches join only while the sum stays below, so that one
 * task cannot hold a thread long while the other idles (a 32-search GloVe-100 task held one ~14 ms).
 */
const kTaskTargetMs = 4;

interface Pending {
  query: SearchQuery;
  /** The search's estimated duration in a pool thread (the inline budget's estimate), for packing. */
  estimateMs: number;
  resolve: (value: SearchOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends searches to the reader pool: one search per task while the pool has idle capacity (lowest latency),
 * several per task once searches queue up (one thread hop and one warm-up serve them all), packed by the
 * estimated work so the threads share the queue evenly. A task whose
 * thread died is sent once more (searches change nothing; Piscina has replaced the thread), then rejected
 * with the pool's typed error. A search whose signal aborts leaves the queue (or, once sent, is skipped by its
 * thread through the query's cancel flag) and rejects at once with FEATHER_ERR_ABORTED.
 */
export class SearchQueue {
  readonly #tasks: TaskWindow<Pending>;

  /** `measured` hears how long each search took in its thread (the inline budget learns from it). */
  constructor(pool: PoolRunner, threads: number, measured: (query: SearchQuery, ms: number) => void) {
    // From the front: an even share of the queue per slot of the window (not per free slot: the task a slot
    // frees for would otherwise take a whole short queue, and leave the other thread idle), while the
    // estimated work fits a task.
    const window = threads * kTasksPerThread;
    const take = (queued: readonly Pending[]): number => {
      const most = Math.min(kMaxSearchBatch, Math.ceil(queued.length / window));
      let n = 1;
      let ms = queued[0]!.estimateMs;
      while (n < most && (ms += queued[n]!.estimateMs) <= kTaskTargetMs) n++;
      return n;
    };
    const send = (batch: Pending[], retried: boolean): Promise<void> =>
      pool.run(packSearches(batch.map((p) => p.query))).then(
        (replies) => {
          unpackReplies(replies as SearchReplies).forEach((reply, i) => {
            const p = batch[i]!;
            if (!reply.ok) return p.reject(FeatherError.fromWire(reply.error));
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
    this.#tasks = new TaskWindow<Pending>(window, take, (batch) => send(batch, false));
  }

  /** True when no search is queued or running in the pool. */
  get idle(): boolean {
    return this.#tasks.idle;
  }

  /** Queues one search; `estimateMs` is its estimated duration in a pool thread (tasks are packed by it). */
  run(query: SearchQuery, estimateMs: number, signal?: AbortSignal): Promise<SearchOutcome> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { query, estimateMs, resolve, reject };
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
