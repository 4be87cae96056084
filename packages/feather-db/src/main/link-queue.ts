import { FeatherError } from '@feather-db/core';
import type { InsertJob, InsertReply } from '../protocol.js';
import { restOf } from '../shared/give-way.js';
import type { EpochPins } from './epoch-pins.js';
import type { PoolRunner } from './reader-pool.js';
import { kTasksPerThread, TaskWindow } from './task-window.js';

/**
 * Most nodes one insert task links when queued jobs are merged: a large write's jobs have this many already
 * (the engine's kInsertTaskSize), so only small ones (single adds that came in one group) merge.
 */
const kMergedTaskNodes = 128;

interface Queued {
  job: InsertJob;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The nodes of `job`, in order. */
function nodesOf(job: InsertJob): number[] {
  return job.nodes ?? Array.from({ length: job.count }, (_, i) => job.first + i);
}

/**
 * Hands insert jobs to the pool in node order, from every write, at most two per thread at a time. Piscina
 * does not run queued tasks in submission order (with one thread, 60 queued tasks ran evens first, then
 * odds), and linking out of node order costs recall: a graph linked chunk-reversed measured recall@10
 * 0.954 against 0.969 in order (8k clustered vectors, ef 64); in order, a parallel build matches a serial
 * one. Small jobs of one index queued behind each other (concurrent adds, a node or a few each) go as one task
 * of up to kMergedTaskNodes nodes, in their order: one thread hop serves them all. A task gives its thread up to
 * a search that waits for one after the node it is linking (shared/give-way.ts); its other nodes go back to
 * the front of the queue. Before, a search sent during a large addBatch waited for the rest of a thread's task
 * and the task the thread held next: 100-250 ms at p50-p99 with eight callers searching GloVe-100 while 80k
 * rows were added (benchmarks/compare/search-during-build.ts).
 */
export class LinkQueue {
  readonly #tasks: TaskWindow<Queued>;

  constructor(pool: PoolRunner, threads: number, pins: EpochPins) {
    const window = threads * kTasksPerThread;
    // An even share of the queue per slot of the window (one task taking a short queue whole would leave the
    // other threads idle), within kMergedTaskNodes.
    const take = (queued: readonly Queued[]): number => {
      const { index } = queued[0]!.job;
      const most = Math.ceil(queued.length / window);
      let nodes = queued[0]!.job.count;
      let n = 1;
      while (n < most && queued[n]!.job.index === index && nodes + queued[n]!.job.count <= kMergedTaskNodes)
        nodes += queued[n++]!.job.count;
      return n;
    };
    const send = (batch: Queued[]): Promise<void> => {
      const merged = batch.length === 1 ? undefined : batch.flatMap((q) => nodesOf(q.job));
      const job: InsertJob =
        merged === undefined ? batch[0]!.job : { index: batch[0]!.job.index, first: merged[0]!, count: merged.length, nodes: merged };
      // An insert traverses the graph like a search: pinned, so no slot it may reach is reused under it.
      const seq = pins.pin();
      return pool
        .run({ type: 'insert', ...job })
        .finally(() => pins.unpin(seq))
        .then(
          (reply) => {
            const r = reply as InsertReply;
            if (!r.ok) for (const q of batch) q.reject(FeatherError.fromWire(r.error));
            else this.#settle(batch, r.value);
          },
          (error: unknown) => {
            for (const q of batch) q.reject(error);
          },
        );
    };
    this.#tasks = new TaskWindow(window, take, send);
  }

  /**
   * Settles the jobs of a task whose thread linked the first `linked` of its nodes: a task that gave way to a
   * search (shared/give-way.ts) stops early, and its jobs' other nodes go back to the front of the queue,
   * to be linked next, in order.
   */
  #settle(batch: readonly Queued[], linked: number): void {
    let left = linked;
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      if (left >= q.job.count) {
        left -= q.job.count;
        q.resolve();
        continue;
      }
      const rest = batch.slice(i + 1);
      this.#tasks.requeue(left === 0 ? [q, ...rest] : [{ ...q, job: restOf(q.job, left) }, ...rest]);
      return;
    }
  }

  /** Insert jobs are queued or running in the pool. */
  get busy(): boolean {
    return !this.#tasks.idle;
  }

  run(job: InsertJob): Promise<void> {
    return new Promise((resolve, reject) => this.#tasks.push({ job, resolve, reject }));
  }
}
