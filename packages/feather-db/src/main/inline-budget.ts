// What the facade may run on the calling thread (design.md §3): a search whose estimated cost is small, while
// the pool is idle, within a time budget per event-loop turn, so the event-loop goals hold (delay p99 <= 5 ms,
// max <= 50 ms) while an isolated search skips the thread hop (~200-300 µs here: a Piscina round trip, the
// reader thread's wake-up, its cold caches).

/**
 * Longest search (estimated) that runs inline: a turn's budget. At 1.5 ms a slower host sent GloVe-100's ef-256
 * searches (~1.5 ms in core there) to the pool, and an isolated search's p50 read 1.39x core's (1.40x at ef 384);
 * at 3 ms, 1.16x and 1.10x (the same store graph, searches taken in turns with core's).
 */
const kInlineMaxMs = 3;
/** Most inline search time per event-loop turn; then the turn ends before the next inline search. */
const kTurnBudgetMs = 3;
/**
 * A bound the estimate cannot break: a search of more work units (ef·dim for a traversal, rows·dim for a scan)
 * never runs inline. 2M units is ef 2,500 at dim 784, about 5 ms at the slowest rate measured here.
 */
const kInlineMaxUnits = 2_000_000;
/** ns per unit assumed before a kind of search was measured (GloVe-100, ef 128: ~27; MNIST with early exits: ~4). */
const kPriorNsPerUnit = 40;
/** Weight of the newest measurement in the running estimate. */
const kEwmaWeight = 0.1;
/**
 * Most a measurement may count for, as a multiple of the estimate it updates (the prior, for the first): a
 * cold search (the first after an open: caches, handles and scratch not yet warm; ~15x a warm one here) or a
 * thread descheduled mid-search is an outlier that would otherwise send the next ~20 searches to the pool.
 */
const kMaxRise = 2;

/** A kind of search for the estimates: a modality's graph traversal or its exact scan (a number: no string per search). */
export function searchKind(slot: number, scan: boolean): number {
  return slot * 2 + (scan ? 1 : 0);
}

/** Cost estimates of searches by kind (searchKind), learned from their durations. */
export class InlineBudget {
  readonly #nsPerUnit = new Map<number, number>();
  #spentMs = 0;
  #resetScheduled = false;
  #yielding = 0;

  /** Estimated ms of a search of `units` work units of kind `key`. */
  estimateMs(key: number, units: number): number {
    return ((this.#nsPerUnit.get(key) ?? kPriorNsPerUnit) * units) / 1e6;
  }

  /**
   * Learns from a search of kind `key` that took `ms` for `units` units (inline or in a reader thread). The
   * first measurement of a kind replaces the prior (at most kMaxRise times it); later ones move a running
   * average, each counted at most kMaxRise times the estimate, so the estimate rises by at most 10% a search
   * and falls as fast as the searches get cheaper.
   */
  observe(key: number, units: number, ms: number): void {
    if (units <= 0 || !(ms >= 0)) return;
    const old = this.#nsPerUnit.get(key);
    const ns = Math.min((ms * 1e6) / units, (old ?? kPriorNsPerUnit) * kMaxRise);
    this.#nsPerUnit.set(key, old === undefined ? ns : old + kEwmaWeight * (ns - old));
  }

  /** Whether a search of `units` units, estimated at `estimateMs`, may ever run inline. */
  small(units: number, estimateMs: number): boolean {
    return units <= kInlineMaxUnits && estimateMs <= kInlineMaxMs;
  }

  /** Whether `estimateMs` more of inline work fits in this turn. */
  fits(estimateMs: number): boolean {
    return this.#spentMs + estimateMs <= kTurnBudgetMs;
  }

  /** Counts `ms` of inline work against this turn (the budget resets once the turn ends). */
  spend(ms: number): void {
    this.#spentMs += ms;
    if (this.#resetScheduled) return;
    this.#resetScheduled = true;
    // setImmediate runs after the turn's I/O callbacks: the event loop got its turn.
    setImmediate(() => {
      this.#spentMs = 0;
      this.#resetScheduled = false;
    });
  }

  /** Searches waiting for the next turn (nextTurn) to run inline. */
  get yielding(): number {
    return this.#yielding;
  }

  /** Resolves in the next turn of the event loop, once its budget is fresh. */
  async nextTurn(): Promise<void> {
    this.#yielding++;
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      this.#yielding--;
    }
  }
}
