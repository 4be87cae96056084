// The writer's half of slot reuse (docs/adr/0008-slot-reuse-and-epoch-reclamation.md): repairs that unlink
// tombstones so their node slots can be reserved again, and the limbo where retired generations (the indexes
// and row maps compaction replaced) wait until no reader can hold them, then go back to the arena.
import type { KernelArena } from '../arena.js';
import type { HnswIndex } from '../hnsw/hnsw-index.js';
import { releaseIndexMemory } from '../hnsw/index-memory.js';
import type { RowMap } from '../records/row-map.js';
import type { RepairJob } from './engine-types.js';

/**
 * Nodes per repair task by default (the insert path, where writes wait for the whole pass anyway): most are
 * untouched (a cheap check of their lists), the rest cost some hundred distances.
 */
export const kRepairTaskSize = 1024;

/** Retired generations waiting for every reader pinned before their retirement to finish. */
export class GenerationLimbo {
  readonly #arena: KernelArena;
  readonly #waiting: { tag: number; index: HnswIndex; rows: RowMap }[] = [];

  constructor(arena: KernelArena) {
    this.#arena = arena;
  }

  /** Generations not freed yet. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** `index` and `rows` were just swapped out (no search that starts from now on can find them). */
  retire(index: HnswIndex, rows: RowMap): void {
    index.markRetired();
    this.#waiting.push({ tag: this.#arena.retire(), index, rows });
  }

  /** Frees every generation no reader can still hold; returns the bytes given back. */
  reclaim(): number {
    let freed = 0;
    while (this.#waiting.length > 0 && this.#arena.reclaimable(this.#waiting[0].tag)) {
      const { index, rows } = this.#waiting.shift()!;
      index.recycler.abandonRepair();
      freed += releaseIndexMemory(index);
      rows.release();
    }
    return freed;
  }
}

/**
 * Opens a repair of `index` (its tombstones become the retiring set) and cuts the pass over every node into
 * pool jobs of `taskNodes` nodes. No jobs when there is nothing to repair or a repair of it is already open.
 */
export function beginIndexRepair(index: HnswIndex, taskNodes: number): RepairJob[] {
  const r = index.recycler.beginRepair();
  if (r === undefined) return [];
  const jobs: RepairJob[] = [];
  for (let first = 0; first < r.bits; first += taskNodes)
    jobs.push({ index: index.address, first, count: Math.min(taskNodes, r.bits - first), set: r.set, bits: r.bits });
  return jobs;
}
