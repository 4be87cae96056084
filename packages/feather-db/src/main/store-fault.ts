import { readdirSync, readlinkSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { releaseAbandonedLocks, type FeatherError, type KernelArena } from '@feather-db/core';

/**
 * How long a failed store lets insert tasks still running finish before it releases the shared-memory locks
 * a dead thread may hold (a task spinning on such a lock never finishes by itself).
 */
const kLockReleaseGraceMs = 1_000;

/**
 * The first fault of a store (a thread's death, a write or save the writer could not complete) and what
 * follows from it: every later write rejects with it, every wait on visibility is cut short by it (`guard`),
 * the shared-memory locks a dead thread may hold are released once no insert can still be running, and the
 * descriptors a dead writer left open are closed. See docs/threading.md, "When a thread dies".
 */
export class StoreFault {
  readonly #arena: KernelArena;
  readonly #path: string;
  #failure: FeatherError | undefined;
  readonly #failed: Promise<never>;
  #reject: (error: FeatherError) => void = () => undefined;
  #release: (() => void) | undefined;

  constructor(arena: KernelArena, path: string) {
    this.#arena = arena;
    this.#path = path;
    this.#failed = new Promise<never>((_, reject) => (this.#reject = reject));
    // Observed through guard() and failure; a fault nobody waits on is not an unhandled rejection.
    this.#failed.catch(() => undefined);
  }

  /** The fault, once there is one. */
  get failure(): FeatherError | undefined {
    return this.#failure;
  }

  /** Records the first fault (later ones are its consequences) and starts its recovery. */
  fail(error: FeatherError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#reject(error);
    this.#release?.();
  }

  /**
   * Registers the recovery of the shared-memory locks: once `settled` (every insert task started so far has
   * finished) or after kLockReleaseGraceMs, whichever comes first, every lock left held in `indexes()` is released.
   */
  onFailed(settled: () => Promise<void>, indexes: () => number[]): void {
    this.#release = () => {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, kLockReleaseGraceMs).unref()));
      void Promise.race([settled(), grace]).then(() => {
        clearTimeout(timer);
        for (const address of indexes()) releaseAbandonedLocks(this.#arena, address);
      });
    };
    if (this.#failure !== undefined) this.#release();
  }

  /** A reader-thread error outside any task: a fault when no thread is left to run tasks, else a warning. */
  threadError(error: FeatherError, broken: boolean): void {
    if (broken) this.fail(error);
    else process.emitWarning(error.message, { code: error.code });
  }

  /** `p`, or the store's fault if that comes first (a wait on a dead thread's work never ends otherwise). */
  guard<T>(p: Promise<T>): Promise<T> {
    return this.#failure === undefined ? Promise.race([p, this.#failed]) : Promise.reject(this.#failure);
  }

  /**
   * After the writer died, closes the descriptors it had open on the store's files (its WAL, a save's temp
   * file): descriptors belong to the process, not the thread. Linux only (found through /proc/self/fd).
   */
  closeLeftDescriptors(thread: { readonly death: FeatherError | undefined }): void {
    if (thread.death === undefined) return;
    const own = new Set([`${this.#path}.wal`, `${this.#path}.wal.tmp`, `${this.#path}.tmp`].map((p) => resolve(p)));
    let fds: string[];
    try {
      fds = readdirSync('/proc/self/fd');
    } catch {
      return;
    }
    for (const fd of fds) {
      try {
        if (own.has(readlinkSync(`/proc/self/fd/${fd}`))) closeSync(Number(fd));
      } catch {
        // gone meanwhile, or not a file
      }
    }
  }
}
