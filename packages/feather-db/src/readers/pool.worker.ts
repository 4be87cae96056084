// Reader-pool entry (Piscina): attaches to the shared memory once per thread, then serves three task types.
// Searches read only published state and never wait for the writer; insert tasks link nodes the writer
// reserved, concurrently with each other (per-node seqlocks in the kernels), for a parallel addBatch,
// compaction or storage change. Repair tasks re-link nodes around forgotten ones (docs/adr/0008). Both give
// their thread up to a search that waits for one (shared/give-way.ts).
import { FeatherError, KernelArena } from '@feather-db/core';
import { parentPort } from 'node:worker_threads';
import { workerData } from 'piscina';
import { kReaderLoaded, type PoolReply, type PoolTask, type SearchQuery, type SharedInit } from '../protocol.js';
import { AttachCache } from '../shared/attach-cache.js';
import { eachNodeGivingWay } from '../shared/give-way.js';
import { die, holdLocks, poolTaskDies, stallPoolTask } from '../shared/internal-faults.js';
import { toReply } from '../shared/replies.js';
import { searchOne } from '../shared/search-one.js';
import { packReplies, unpackSearches, type SearchAnswer } from '../shared/search-wire.js';
import { lowerThisThreadPriority } from '../shared/thread-priority.js';

// Loaded: the facade may close the pool from now on (see reader-pool.ts). Posted from a microtask, which
// runs once the loader (Piscina require()s this module) has returned, since a termination inside it is what
// aborts, and before Piscina parks the thread in Atomics.wait, where a macrotask would never run.
queueMicrotask(() => parentPort?.postMessage(kReaderLoaded));

const faults = (workerData as SharedInit).faults;
const searchesWaiting = (workerData as SharedInit).searchesWaiting!;
/** A search task waits for a thread (main/reader-pool.ts): insert and repair tasks give way (shared/give-way.ts). Atomic load. */
const searchWaits = (): boolean => Atomics.load(searchesWaiting, 0) > 0;

// Below the event loop's priority (OpenOptions.poolPriority): the main thread wins a contended core.
lowerThisThreadPriority((workerData as SharedInit).niceIncrement ?? 0);

let handles: AttachCache | undefined;

/** This thread's handles on the shared memory, attached on the first task. */
function shared(): AttachCache {
  if (handles === undefined) {
    const init = workerData as SharedInit;
    handles = new AttachCache(KernelArena.attach(init.memory, init.module));
  }
  return handles;
}

// INTERNAL, tests only (internal-faults.ts): a thread that dies while it starts.
if (faults?.plan.pool?.at === 'boot') void die(faults.plan.pool.how, shared().arena, 'reader boot');

/** One query of a search task, timed (the facade's inline budget learns from it), unless its caller aborted. */
function timedSearch(q: SearchQuery): SearchAnswer {
  // Atomic load: pairs with the facade's store when the caller's signal aborts.
  if (q.cancel !== undefined && Atomics.load(q.cancel, 0) === 1)
    throw new FeatherError('FEATHER_ERR_ABORTED', 'the search was aborted before it started');
  const started = performance.now();
  const { rows, distances } = searchOne(shared(), q);
  return { rows, distances, ms: performance.now() - started };
}

/** INTERNAL, tests only: this thread's planned death has fired (see run). */
let dying = false;

export default function run(task: PoolTask): PoolReply | Promise<never> {
  // Atomic: this search no longer waits for a thread (the facade added it when it sent the task).
  if (task.type === 'search') Atomics.sub(searchesWaiting, 0, 1);
  // INTERNAL, tests only: the planned task kills its thread (after taking the index's locks, if asked). The
  // death fires a microtask later (die); a task the thread already holds waiting (reader-pool.ts) must not run
  // meanwhile, as it could not on a thread that died at once: it would spin on the locks taken here.
  if (dying) return new Promise<never>(() => undefined);
  if (faults !== undefined && poolTaskDies(faults, task.type)) {
    dying = true;
    if (task.type !== 'search' && faults.plan.pool?.holdLock === true) holdLocks(shared().arena, task.index);
    return die(faults.plan.pool!.how, shared().arena, `reader ${task.type}`);
  }
  if (faults !== undefined) stallPoolTask(faults, task.type);
  switch (task.type) {
    case 'search':
      return packReplies(unpackSearches(task).map((q) => toReply(() => timedSearch(q))));
    case 'insert':
      return toReply(() => {
        const target = shared().index(task.index);
        return eachNodeGivingWay(task, (id) => target.insertReserved(id), searchWaits);
      });
    case 'repair':
      return toReply(() => {
        const started = performance.now();
        const target = shared().index(task.index);
        const nodes = eachNodeGivingWay(task, (id) => target.repairRange(id, 1, task.set, task.bits), searchWaits);
        return { nodes, ms: performance.now() - started };
      });
  }
}
