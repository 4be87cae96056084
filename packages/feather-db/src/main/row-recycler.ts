// Which forgotten record rows a new memory may take (docs/adr/0008-slot-reuse-and-epoch-reclamation.md).
// A row is named by search results (the pool answers rows, ranked here on the mirror) and by recall tracking
// (a search bumps its hits' rows in the shared recall columns, still pinned: facade.ts). So a row freed by a
// forget is reused only once (1) the writer has applied the forget (its node is tombstoned: no search that
// starts later returns it), (2) every read pinned before that has ended (its bumps are made by then), and
// (3) then in write order. The row chosen goes into the op (UpsertItem.row), so the mirror, the writer and a
// replay of the WAL all put the memory in the same place; placing it resets the row's recall state (core's
// model-writes.ts), in the mirror and in a replay alike. A bump of the old memory still waiting for the recall
// flush needs no waiting for: the flush logs absolute values read at its turn in the write order, so after
// the reuse it logs the new memory's (recall-log.ts).
import type { MemoryId, MemoryModel, ModelOp } from '@feather-db/core';
import type { EpochPins } from './epoch-pins.js';

export class RowRecycler {
  readonly #pins: EpochPins;
  readonly #inOrder: (run: () => Promise<void>) => Promise<void>;
  /** Rows ready for reuse (taken from the end: the lowest first). */
  readonly #free: number[];
  /** Rows whose forget the writer applied, each waiting for the reads numbered below `after` to end. */
  readonly #waiting: { after: number; rows: number[] }[] = [];

  /** Starts with the model's holes (rows forgotten before the open), which nothing can name any more. */
  constructor(model: MemoryModel, pins: EpochPins, inOrder: (run: () => Promise<void>) => Promise<void>) {
    this.#pins = pins;
    this.#inOrder = inOrder;
    this.#free = model.holes();
    pins.onUnpin(() => this.#check());
  }

  /** Rows free for reuse now. */
  get available(): number {
    return this.#free.length;
  }

  /** The writer applied a forget of these rows. */
  forgotten(rows: readonly number[]): void {
    if (rows.length === 0) return;
    this.#waiting.push({ after: this.#pins.nextSeq, rows: [...rows] });
    this.#check();
  }

  /** Gives each memory `op` creates a free row, if any (in the write's turn, before the mirror applies it). */
  assign(op: ModelOp, model: MemoryModel): void {
    if (op.type !== 'upsert' || this.#free.length === 0) return;
    const created = new Set<MemoryId>();
    const take = (id: MemoryId): number | undefined => {
      if (this.#free.length === 0 || model.has(id) || created.has(id)) return undefined;
      created.add(id);
      return this.#free.pop();
    };
    const items = op.items;
    if (Array.isArray(items)) {
      for (const item of items) {
        const row = take(item.id);
        if (row !== undefined) item.row = row;
      }
      return;
    }
    items.ids.forEach((id, i) => {
      const row = take(id);
      if (row !== undefined) (items.rows ??= new Array<number>(items.ids.length).fill(-1))[i] = row;
    });
  }

  #check(): void {
    const oldest = this.#pins.oldest;
    let ready: number[] | undefined;
    while (this.#waiting.length > 0 && (oldest === undefined || oldest >= this.#waiting[0]!.after)) {
      (ready ??= []).push(...this.#waiting.shift()!.rows);
    }
    if (ready === undefined) return;
    const rows = ready;
    // In write order: a write already in its turn keeps the rows it was given.
    void this.#inOrder(() => {
      for (const row of rows.sort((a, b) => b - a)) this.#free.push(row);
      return Promise.resolve();
    });
  }
}
