// A search is a read: its recall bumps go straight into the shared recall columns (the mirror owns them; see
// core/records/recall-columns.ts), never through the writer. They reach the WAL in batches: the rows bumped
// since the last flush, with their values at the flush's turn in the write order, as one `recall` op, at most
// once per `intervalMs` and at close (a save writes them into the file). A crash loses at most the bumps of
// that window: never a memory, and never a bump that a flush logged (under the store's durability).
import type { MemoryModel } from '@feather-db/core';
import type { Prepared } from './write-pipeline.js';

/** What the log writes through: the write pipeline's ordered, tracked write. */
export interface RecallSink {
  /** Runs `prepare` in its turn of the write order and sends its op to the writer. */
  write(prepare: () => Prepared<undefined>): Promise<undefined>;
}

export class RecallLog {
  readonly #model: MemoryModel;
  readonly #sink: RecallSink;
  readonly #intervalMs: number;
  /** Rows bumped since the last flush took its values. */
  #dirty = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(model: MemoryModel, sink: RecallSink, intervalMs: number) {
    this.#model = model;
    this.#sink = sink;
    this.#intervalMs = intervalMs;
  }

  /** Rows bumped and not yet logged. */
  get pending(): number {
    return this.#dirty.size;
  }

  /** Counts `rows` as recalled at `at` (in place, at once) and schedules their flush. */
  bump(rows: readonly number[], at: number): void {
    if (rows.length === 0 || this.#closed) return;
    this.#model.touch(rows, at);
    for (const row of rows) this.#dirty.add(row);
    // Unref'd: a pending flush never keeps the process alive (close flushes).
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(() => undefined);
    }, this.#intervalMs).unref();
  }

  /**
   * Logs the bumps made so far as one `recall` op, in write order. The values are read when the op reaches its
   * turn, so it carries every bump made until then (later ones are the next flush's).
   */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size === 0) return Promise.resolve();
    return this.#sink
      .write(() => {
        const rows = this.#dirty;
        this.#dirty = new Set();
        // Already in the mirror: the op only travels to the writer and its WAL.
        return { op: this.#model.recallOp(rows), value: undefined, mirrored: true };
      })
      .then(() => undefined);
  }

  /** The last flush (close): nothing is bumped after it. */
  close(): Promise<void> {
    const last = this.flush();
    this.#closed = true;
    return last;
  }
}
