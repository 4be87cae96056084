// Background pool work that gives way to foreground work (searches, writes' linking): the background repair
// policy's tasks (main/maintenance.ts).

/** The clock and timer the pauses run on (tests pass their own). */
export interface PauseClock {
  now(): number;
  after(ms: number, run: () => void): void;
}

// The timer is not unref'd: it exists only while a repair's tasks wait, which close() waits for, and an unref'd
// one could let a process whose last act is `await db.close()` exit with the close unsettled.
const kRealClock: PauseClock = {
  now: () => performance.now(),
  after: (ms, run) => void setTimeout(run, ms),
};

/**
 * While foreground work runs, the pause after each background task before the next one, in multiples of the time the
 * task ran in its thread (not of its wait for the thread, which searches and inserts lengthen): the background
 * work then holds about a fifth of one thread while foreground work runs, instead of every thread. A background
 * repair with one 64-node task per thread cut search QPS to about half while it ran (churn benchmark,
 * background set-up).
 */
const kPauseFactor = 4;

/**
 * Background tasks in FIFO order: every thread's worth at a time (`threads` in flight) while `foreground()` says
 * no foreground work is queued or running in the pool; while it is, one at a time, each after a pause of
 * kPauseFactor × the previous task's time. Progress never stops (one task per pause at least), so work that
 * writes wait for (a repair that fell a whole pass behind) still ends under constant load. `send` runs a task, settles its item
 * and resolves with the milliseconds the task ran in its thread (it must not reject).
 */
export class YieldingTasks<T> {
  readonly #queue: T[] = [];
  readonly #threads: number;
  readonly #send: (item: T) => Promise<number>;
  readonly #foreground: () => boolean;
  readonly #clock: PauseClock;
  #running = 0;
  /** While searches run, no task starts before this time. */
  #notBefore = 0;
  #timer = false;

  constructor(threads: number, send: (item: T) => Promise<number>, foreground: () => boolean, clock: PauseClock = kRealClock) {
    this.#threads = threads;
    this.#send = send;
    this.#foreground = foreground;
    this.#clock = clock;
  }

  push(item: T): void {
    this.#queue.push(item);
    this.#pump();
  }

  /** Puts an item a task sent but did not finish back at the front of the queue. */
  requeue(item: T): void {
    this.#queue.unshift(item);
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      if (!this.#foreground()) {
        if (this.#running >= this.#threads) return;
      } else {
        if (this.#running > 0) return;
        const wait = this.#notBefore - this.#clock.now();
        if (wait > 0) {
          if (!this.#timer) {
            this.#timer = true;
            this.#clock.after(wait, () => {
              this.#timer = false;
              this.#pump();
            });
          }
          return;
        }
      }
      const item = this.#queue.shift()!;
      this.#running++;
      void this.#send(item).then((ms) => {
        this.#running--;
        this.#notBefore = this.#clock.now() + kPauseFactor * ms;
        this.#pump();
      });
    }
  }
}
