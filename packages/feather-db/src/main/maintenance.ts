// Tombstone repair from the main thread's side (docs/adr/0008-slot-reuse-and-epoch-reclamation.md): when a
// modality's tombstones pass the policy's fraction, the writer fixes the retiring set (in write order, once
// queued writes are applied), every insert job issued before it finishes, the pool re-links the graph around
// the set, and the writer retires it; its slots are reused once every read pinned before has ended.
import { FeatherError, kRepairTaskSize, type RepairJob } from '@feather-db/core';
import type { PoolTask, RepairReply, WriterCalls } from '../protocol.js';
import { restOf } from '../shared/give-way.js';
import { unwrap } from '../shared/replies.js';
import { kNoAbort, type AbortPoint } from './abort.js';
import type { EpochPins } from './epoch-pins.js';
import type { ResolvedMaintenance } from './maintenance-options.js';
import type { ReaderPool } from './reader-pool.js';
import { kTasksPerThread, TaskWindow } from './task-window.js';
import { YieldingTasks } from './yielding-tasks.js';
import type { WriteQueue } from './write-queue.js';

export interface MaintenanceDeps {
  writer: WriterCalls;
  writes: WriteQueue;
  pool: ReaderPool;
  pins: EpochPins;
  threads: number;
  policy: ResolvedMaintenance;
  /** The highest fraction of tombstones (not yet repaired) over the modalities' graphs. */
  tombstoneRatio(): number;
  /** Searches or writes' insert jobs are queued or running in the pool (background repair tasks give way to them). */
  foreground(): boolean;
  /** Runs `run` in write order (the pipeline's chain). */
  inOrder<T>(run: () => Promise<T>): Promise<T>;
  /** Counts a background operation in flight (close waits for it). */
  track<T>(work: Promise<T>): Promise<T>;
  /** The store's compact(), for a policy that rebuilds. */
  compact(): Promise<void>;
  fail(failure: FeatherError): void;
}

/**
 * Nodes per background repair task (the insert path uses core's kRepairTaskSize, 1,024: writes wait for the
 * whole pass there anyway, and searches do not wait for a task: it gives way to them, shared/give-way.ts). An
 * insert queued behind one waits for it on its thread, and so did searches before they were given way: 1,024-node
 * tasks held single adds 5.6x their idle p99 while a repair ran; with 256 searches during a repair ran at 767-889
 * a second, with 64 at 1,651-1,877 (churn benchmark, whole batches of 20k, 128-d, two runs each, alternating),
 * for a pass 10-20% longer and the same write p99 within the runs' noise.
 */
const kBackgroundTaskNodes = 64;

/** A repair task to run: its nodes, and what settles it once they all ran. */
interface RepairItem {
  job: RepairJob;
  done: (error?: unknown) => void;
}

export class Maintenance {
  readonly #d: MaintenanceDeps;
  /** Repair tasks on the pool: two per thread for an insert-path repair; in the background, see YieldingTasks. */
  readonly #inline: TaskWindow<RepairItem>;
  readonly #background: YieldingTasks<RepairItem>;
  #running: Promise<unknown> | undefined;
  /** The tombstone ratio once the running repair fixed its retiring set (undefined before, and when none runs). */
  #passBase: number | undefined;
  /** Set by stop(): no repair starts by itself any more (the store is closing). */
  #stopped = false;

  constructor(deps: MaintenanceDeps) {
    this.#d = deps;
    this.#inline = new TaskWindow<RepairItem>(
      deps.threads * kTasksPerThread,
      () => 1,
      async ([item]) => void (await this.#send(item!, (rest) => this.#inline.requeue([rest]))),
    );
    // One task per thread while no search or insert waits (one task in all fell behind a store adding 10k vectors a
    // round: the graph kept growing); while they run, one at a time with pauses, so they keep most of the pool.
    this.#background = new YieldingTasks<RepairItem>(
      deps.threads,
      (item) => this.#send(item, (rest) => this.#background.requeue(rest)),
      () => deps.foreground(),
    );
  }

  /** A repair is running. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * The insert path: called in a write's turn before it adds vectors. Repairs first when the policy says so
   * (the write, and every later one, waits for it). In the background mode a write waits only when another
   * repair's worth of tombstones has piled up behind the one running (forgets outpace repairs): it waits for
   * that one to end, so the graph cannot grow without bound while repairs lag.
   */
  async beforeInsert(): Promise<void> {
    const { policy } = this.#d;
    if (policy.mode === 'background') {
      const running = this.#running;
      // Only past the repair's begin: before it, the repair waits for this write's turn in the chain.
      if (running !== undefined && this.#passBase !== undefined && this.#d.tombstoneRatio() - this.#passBase >= policy.repairAt)
        await running.catch(() => undefined);
      return;
    }
    if (this.#running !== undefined || this.#d.tombstoneRatio() < policy.repairAt) return;
    await this.#run(true);
  }

  /** After a write was applied: in the background mode, starts a repair (or a rebuild) when the policy says so. */
  afterWrite(): void {
    const { policy } = this.#d;
    if (policy.mode !== 'background' || this.#running !== undefined || this.#stopped) return;
    const ratio = this.#d.tombstoneRatio();
    if (ratio >= policy.compactAt) {
      this.#running = this.#d.track(this.#d.compact()).finally(() => (this.#running = undefined));
      this.#running.catch(() => undefined);
    } else if (ratio >= policy.repairAt) {
      // Forgets that came while it ran were skipped above: once it has repaired something, look again.
      void this.#d
        .track(this.#run(false))
        .then((repaired) => {
          if (repaired) this.afterWrite();
        })
        .catch(() => undefined);
    }
  }

  /** The store is closing: no repair starts by itself from now on. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * One repair of every tombstone now, in write order, after the running one (compact()): resolves once its
   * slots are retired. `abort` is committed as the repair begins (an abort before then changes nothing).
   */
  async repair(abort: AbortPoint = kNoAbort): Promise<void> {
    await this.#run(false, abort);
  }

  /** Waits for a running repair (save, close). */
  async idle(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  /** One repair cycle; resolves true when it repaired something. */
  #run(inline: boolean, abort: AbortPoint = kNoAbort): Promise<boolean> {
    const cycle = (async () => {
      await this.#running?.catch(() => undefined);
      const d = this.#d;
      const begin = async (): Promise<RepairJob[]> => {
        abort.commit();
        await d.writes.drain();
        return unwrap(await d.writer.beginRepair(inline ? kRepairTaskSize : kBackgroundTaskNodes));
      };
      try {
        // Inline, the caller is in a write's turn already (waiting for the chain would wait for itself).
        const jobs = inline ? await begin() : await d.inOrder(begin);
        if (jobs.length === 0) return false;
        this.#passBase = d.tombstoneRatio();
        // An insert job issued before the begin may still link a node of the retiring set: let them finish.
        await d.writes.linked();
        await d.writes.background(Promise.all(jobs.map((job) => this.#task(job, inline))));
        unwrap(await d.writer.commitRepair());
        return true;
      } catch (error) {
        // Aborted before it began: nothing changed.
        if (error instanceof FeatherError && error.code === 'FEATHER_ERR_ABORTED') throw error;
        // As a failed parallel insert: the store fails closed (a dead thread's code stands).
        const code = error instanceof FeatherError && error.code === 'FEATHER_ERR_WORKER_EXITED' ? error.code : 'FEATHER_ERR_INTERNAL';
        d.fail(
          new FeatherError(
            code,
            `A tombstone repair failed; close the store and open it again (acknowledged writes are kept): ${(error as Error).message}`,
            undefined,
            {
              cause: error,
            },
          ),
        );
        throw error;
      }
    })();
    const running = cycle.finally(() => {
      if (this.#running === running) {
        this.#running = undefined;
        this.#passBase = undefined;
      }
    });
    this.#running = running;
    return running;
  }

  #task(job: RepairJob, inline: boolean): Promise<void> {
    return new Promise((resolve, reject) =>
      (inline ? this.#inline : this.#background).push({
        job,
        done: (error) =>
          error === undefined ? resolve() : reject(error instanceof Error ? error : new Error('A repair task failed without an error')),
      }),
    );
  }

  /**
   * Runs one repair task and settles it, or when its thread gave way to a search before its last node
   * (shared/give-way.ts), hands the rest of its nodes to `requeue`; resolves with the milliseconds it ran in its
   * thread (0 when it failed).
   */
  async #send(item: RepairItem, requeue: (rest: RepairItem) => void): Promise<number> {
    const { job, done } = item;
    const pins = this.#d.pins;
    const seq = pins.pin();
    try {
      const r = (await this.#d.pool.run({ type: 'repair', ...job } satisfies PoolTask)) as RepairReply;
      if (!r.ok) {
        done(FeatherError.fromWire(r.error));
        return 0;
      }
      const { nodes, ms } = r.value;
      if (nodes < job.count) requeue({ job: restOf(job, nodes), done });
      else done();
      return ms;
    } catch (error) {
      done(error);
      return 0;
    } finally {
      pins.unpin(seq);
    }
  }
}
