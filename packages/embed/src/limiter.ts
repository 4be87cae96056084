import { FeatherError } from 'feather-db';

/** The error every call stopped by its AbortSignal rejects with. */
export function abortedError(what: string): FeatherError {
  return new FeatherError('FEATHER_ERR_ABORTED', `${what} was aborted through its signal; nothing it would have returned was kept`);
}

/** Rejects with FEATHER_ERR_ABORTED when the signal has aborted (read afresh: it may change across awaits). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortedError(what);
}

interface Waiter {
  start: () => void;
  cancel: () => void;
}

/**
 * Bounds how many tasks run at once across every call of one embedder (a model worker is busy with one batch;
 * a provider throttles connections). Tasks start in call order; a waiting task whose signal aborts is removed
 * from the queue and rejects at once, as piscina removes a queued task.
 */
export class Limiter {
  readonly #limit: number;
  #running = 0;
  readonly #queue: Waiter[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(task: () => Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
    throwIfAborted(signal, what);
    if (this.#running >= this.#limit) await this.#wait(signal, what);
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so #running never drops below the work in flight.
      if (next === undefined) this.#running--;
      else next.start();
    }
  }

  #wait(signal: AbortSignal | undefined, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(abortedError(what));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        cancel: onAbort,
      };
      this.#queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
