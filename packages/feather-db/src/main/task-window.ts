// The in-flight window both pool queues share.

/** Pool tasks kept in flight per reader thread, so a worker always has the next task waiting. */
export const kTasksPerThread = 2;

/**
 * At most `window` pool tasks in flight, each built from the front of one FIFO queue: `take` says how many
 * queued items (at least 1) go into the next task, given the queue; `send` runs it and settles its items (it
 * must not reject).
 */
export class TaskWindow<T> {
  readonly #queue: T[] = [];
  readonly #window: number;
  readonly #take: (queued: readonly T[]) => number;
  readonly #send: (batch: T[]) => Promise<void>;
  #running = 0;

  constructor(window: number, take: (queued: readonly T[]) => number, send: (batch: T[]) => Promise<void>) {
    this.#window = window;
    this.#take = take;
    this.#send = send;
  }

  /** True when nothing is queued or in flight. */
  get idle(): boolean {
    return this.#running === 0 && this.#queue.length === 0;
  }

  push(item: T): void {
    this.#queue.push(item);
    this.#pump();
  }

  /** Puts items a task sent but did not finish back at the front of the queue, in their order. */
  requeue(items: readonly T[]): void {
    this.#queue.unshift(...items);
    this.#pump();
  }

  /** Takes `item` out of the queue if it has not been sent yet; returns whether it was still queued. */
  remove(item: T): boolean {
    const at = this.#queue.indexOf(item);
    if (at < 0) return false;
    this.#queue.splice(at, 1);
    return true;
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#running < this.#window) {
      const batch = this.#queue.splice(0, Math.max(1, this.#take(this.#queue)));
      this.#running++;
      void this.#send(batch).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }
}
