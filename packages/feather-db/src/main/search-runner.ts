// Where a search runs: on the calling thread when it is small and the pool idle (main/inline-budget.ts), else
// in the reader pool (main/search-queue.ts). Both run the same code (shared/search-one.ts) on the same shared
// memory, so a search returns the same hits wherever it ran.
import type { SearchQuery } from '../protocol.js';
import type { AttachCache } from '../shared/attach-cache.js';
import { searchOne, type SearchOutcome } from '../shared/search-one.js';
import { throwIfAborted } from './abort.js';
import { InlineBudget, searchKind } from './inline-budget.js';
import type { SearchQueue } from './search-queue.js';

/** A search's kind (its modality and plan: traversal or scan) and its work units, for the cost estimate. */
function workOf(q: SearchQuery, dim: number): { key: number; units: number } {
  const scan = q.plan.kind === 'scan';
  return {
    key: searchKind(q.slot, scan),
    units: (scan ? (q.plan as { rows: Uint32Array }).rows.length : Math.max(q.ef, q.k)) * dim,
  };
}

export class SearchRunner {
  readonly #handles: AttachCache;
  readonly #budget: InlineBudget;
  readonly #queue: SearchQueue;
  readonly #inlineAllowed: () => boolean;
  /** Search calls in the current synchronous block (#countCall). */
  #callsThisBlock = 0;

  /**
   * `queue` must report each pooled search's duration to `budget.observe` (see SearchPath). `inlineAllowed`: the
   * pool is neither broken nor closing (ReaderPool.healthy), and (SearchPath) the graphs hold few tombstones not
   * yet repaired; searches run inline only then.
   */
  constructor(handles: AttachCache, budget: InlineBudget, queue: SearchQueue, inlineAllowed: () => boolean) {
    this.#handles = handles;
    this.#budget = budget;
    this.#queue = queue;
    this.#inlineAllowed = inlineAllowed;
  }

  /**
   * Nothing queued or running in a healthy pool, and few unrepaired tombstones (SearchPath): a small search may
   * run on this thread — also while the pool's threads still boot, so the first search after an open does not
   * wait ~40 ms for them. A pool known dead (every thread failed at start) is not healthy: every search then
   * goes to it and rejects typed.
   */
  #idle(): boolean {
    return this.#queue.idle && this.#inlineAllowed();
  }

  /** Learns a pooled search's duration (the queue's `measured` callback). */
  static observe(budget: InlineBudget, q: SearchQuery, dim: number, ms: number): void {
    const { key, units } = workOf(q, dim);
    budget.observe(key, units, ms);
  }

  /**
   * Counts a search call of the current synchronous block (the calls made before the next microtask checkpoint);
   * returns how many it has seen, this one included.
   */
  #countCall(): number {
    if (this.#callsThisBlock++ === 0) queueMicrotask(() => (this.#callsThisBlock = 0));
    return this.#callsThisBlock;
  }

  /**
   * Runs one search inline when it is small and the pool idle (after a yield, if this turn's budget is spent),
   * else in the pool. Only the first call of a synchronous block may run inline: a burst (searches issued in a
   * loop without awaiting each) goes to the pool from its second call on, instead of running a turn's budget of
   * searches one after another on this thread while the pool's threads sit idle.
   */
  run(q: SearchQuery, dim: number, signal: AbortSignal | undefined): Promise<SearchOutcome> {
    // Not an async function: a search that goes straight to the pool (every search of a burst but the first)
    // holds the queue's promise only, not another promise and a suspended frame around it until it answers.
    const { key, units } = workOf(q, dim);
    const estimate = this.#budget.estimateMs(key, units);
    if (this.#countCall() === 1 && this.#idle() && this.#budget.small(units, estimate)) {
      if (this.#budget.fits(estimate)) {
        try {
          return Promise.resolve(this.#inline(q, key, units));
        } catch (error) {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the search's own throw, passed on as it came
          return Promise.reject(error);
        }
      }
      // A sequential caller (one search at a time): wait for the next turn rather than pay the hop. Concurrent
      // callers go to the pool, whose threads can run them side by side.
      if (this.#budget.yielding === 0) return this.#afterTurn(q, key, units, estimate, signal);
    }
    return this.#queue.run(q, estimate, signal);
  }

  /** run() for a small search that waits for the next turn's budget: inline then, if the pool is still idle. */
  async #afterTurn(q: SearchQuery, key: number, units: number, estimate: number, signal: AbortSignal | undefined): Promise<SearchOutcome> {
    await this.#budget.nextTurn();
    throwIfAborted(signal, 'search');
    if (this.#idle() && this.#budget.fits(estimate)) return this.#inline(q, key, units);
    return this.#queue.run(q, estimate, signal);
  }

  /**
   * Runs many searches: inline when together they fit this turn's budget and the pool is idle, else all in the
   * pool (packed into tasks). Rejects at once when `signal` aborts; no result is kept then.
   */
  async runMany(queries: SearchQuery[], dim: number, signal: AbortSignal | undefined): Promise<SearchOutcome[]> {
    const work = queries.map((q) => workOf(q, dim));
    const estimates = work.map((w) => this.#budget.estimateMs(w.key, w.units));
    const estimate = estimates.reduce((sum, ms) => sum + ms, 0);
    if (this.#idle() && work.every((w) => this.#budget.small(w.units, 0)) && this.#budget.fits(estimate)) {
      return queries.map((q, i) => this.#inline(q, work[i]!.key, work[i]!.units));
    }
    return Promise.all(queries.map((q, i) => this.#queue.run(q, estimates[i]!, signal)));
  }

  #inline(q: SearchQuery, key: number, units: number): SearchOutcome {
    const started = performance.now();
    const found = searchOne(this.#handles, q);
    const ms = performance.now() - started;
    this.#budget.spend(ms);
    this.#budget.observe(key, units, ms);
    return found;
  }
}
