// A source's rows with a look ahead: the import looks at the first rows (a header, a vector's length) before
// the ingest reads them all, in order, from the start.
import type { IngestRow } from 'feather-db';

type Item = IngestRow | Error;

export class PeekedRows implements AsyncIterable<Item> {
  readonly #iterator: AsyncIterator<Item>;
  readonly #buffer: Item[] = [];
  #ended = false;

  constructor(rows: AsyncIterable<Item>) {
    this.#iterator = rows[Symbol.asyncIterator]();
  }

  /** Reads ahead until an item matches (returned) or `limit` items are buffered or the source ends (undefined). */
  async peek(limit: number, match: (item: Item) => boolean): Promise<Item | undefined> {
    const found = this.#buffer.find(match);
    if (found !== undefined) return found;
    while (!this.#ended && this.#buffer.length < limit) {
      const next = await this.#iterator.next();
      if (next.done === true) {
        this.#ended = true;
        break;
      }
      this.#buffer.push(next.value);
      if (match(next.value)) return next.value;
    }
    return undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
    try {
      while (this.#buffer.length > 0) yield this.#buffer.shift()!;
      while (!this.#ended) {
        const next = await this.#iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      await this.#iterator.return?.();
    }
  }
}
