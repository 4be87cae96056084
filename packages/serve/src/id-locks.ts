import type { MemoryId } from 'feather-db';

/**
 * Serialises work on the same ids. A tenant-checked write reads who owns an id and then writes; two such
 * writes on one id from two namespaces must not interleave, or the second could move the first's memory into
 * its own namespace. Locks are taken in a fixed order, so two calls sharing several ids cannot deadlock.
 */
export class IdLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(ids: readonly MemoryId[], work: () => Promise<T>): Promise<T> {
    const keys = [...new Set(ids.map((id) => `${typeof id}:${id}`))].sort();
    const releases: (() => void)[] = [];
    try {
      for (const key of keys) releases.push(await this.#acquire(key));
      return await work();
    } finally {
      for (const release of releases) release();
    }
  }

  async #acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    await previous;
    return () => {
      release();
      // The last holder clears its key so the map does not grow with every id ever written.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
