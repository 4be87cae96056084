// The readers' side of epoch-based reclamation (docs/adr/0008-slot-reuse-and-epoch-reclamation.md). Every read
// of the shared graphs starts here, on the main thread: a search (from planning to ranking), a pool insert or
// repair task, a vector read. Each pins the arena's epoch for its whole life; the arena's "pinned" word holds
// the oldest pin in flight, and the writer frees or reuses what it retired under an epoch only once that word
// has moved past it. One word for all of them, because every reader is started and ended by this thread.
import { kNoPin, type KernelArena } from '@feather-db/core';

export class EpochPins {
  readonly #arena: KernelArena;
  readonly #words: { epoch: number; pinned: number };
  /** Pins in flight: sequence number -> epoch, in start order (so the first is the oldest, with the lowest epoch). */
  readonly #inflight = new Map<number, number>();
  #next = 1;
  readonly #listeners: (() => void)[] = [];

  constructor(arena: KernelArena) {
    this.#arena = arena;
    this.#words = arena.epochWords;
  }

  /** The sequence number the next pin gets: reads numbered below it started before now. */
  get nextSeq(): number {
    return this.#next;
  }

  /** The oldest pin in flight (its sequence number), or undefined. */
  get oldest(): number | undefined {
    for (const seq of this.#inflight.keys()) return seq;
    return undefined;
  }

  /** Pins the current epoch for one read; pass the returned number to unpin when the read has ended. */
  pin(): number {
    const u32 = this.#arena.u32;
    // Atomic load: retirements advance it after unlinking; a read that loads it sees their unlinking.
    let epoch = Atomics.load(u32, this.#words.epoch);
    if (this.#inflight.size === 0) {
      for (;;) {
        // Atomic store, then load the epoch again: if it did not move, the store came before any later
        // retirement's check of the pinned word, so that check sees this pin.
        Atomics.store(u32, this.#words.pinned, epoch);
        const again = Atomics.load(u32, this.#words.epoch);
        if (again === epoch) break;
        epoch = again;
      }
    }
    const seq = this.#next++;
    this.#inflight.set(seq, epoch);
    return seq;
  }

  unpin(seq: number): void {
    if (!this.#inflight.delete(seq)) return;
    let oldest: number | undefined;
    for (const epoch of this.#inflight.values()) {
      oldest = epoch;
      break;
    }
    // Atomic store: the oldest remaining pin (never later than any pin in flight), or none.
    Atomics.store(this.#arena.u32, this.#words.pinned, oldest ?? kNoPin);
    for (const listener of this.#listeners) listener();
  }

  /** Runs `read` pinned (synchronous reads of shared memory: vectors, stats). */
  during<T>(read: () => T): T {
    const seq = this.pin();
    try {
      return read();
    } finally {
      this.unpin(seq);
    }
  }

  /**
   * Runs `read` pinned until it settles (a search, from planning until its hits are ranked and bumped). Not an
   * async function: one promise less on every search (`finally` on the read's own); a synchronous throw of
   * `read` unpins and rejects all the same.
   */
  holding<T>(read: () => Promise<T>): Promise<T> {
    const seq = this.pin();
    let reading: Promise<T>;
    try {
      reading = read();
    } catch (error) {
      this.unpin(seq);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the read's own throw, passed on as it came
      return Promise.reject(error);
    }
    return reading.finally(() => this.unpin(seq));
  }

  /** Calls `listener` after every unpin (the row recycler re-checks then). */
  onUnpin(listener: () => void): void {
    this.#listeners.push(listener);
  }
}
