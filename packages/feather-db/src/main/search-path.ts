// A search from the main thread's side: planned on the mirror, run in the reader pool (packed by the search
// queue), ranked here; and the reads of the shared indexes the facade answers synchronously.
import { SearchPlanner, type HnswIndex, type KernelArena, type MemoryModel, type Metric, type VectorInput } from '@feather-db/core';
import type { EpochPins } from './epoch-pins.js';
import { graphStats, type GraphStats } from './graph-stats.js';
import type { ReaderPool } from './reader-pool.js';
import type { AttachCache } from '../shared/attach-cache.js';
import type { ResolvedSearch } from './search-options.js';
import { SearchQueue } from './search-queue.js';
import { candidatesWanted, rankHits, type RankedHits } from './search-results.js';
import type { Spaces } from './spaces.js';

/** One modality's graph state (Feather.stats). */
interface ModalityStats extends GraphStats {
  dim: number;
  metric: Metric;
  storage: 'float32' | 'int8';
  strideBytes: number;
}

/** Memory use and graph state (Feather.stats). */
export interface StoreStats {
  memories: number;
  namespaces: number;
  /** Bytes of the shared memory in use (below the arena's top, free-listed blocks included). */
  memoryBytes: number;
  /** The shared memory: its size (it never shrinks), what is in use and what of that is free for reuse. */
  shared: { sizeBytes: number; usedBytes: number; freeBytes: number };
  /** Record rows (the facade's mirror): live, and forgotten ones free for reuse or waiting for readers. */
  rows: { live: number; free: number };
  modalities: Record<string, ModalityStats>;
}

export class SearchPath {
  readonly #model: MemoryModel;
  readonly #spaces: Spaces;
  /** Per modality, the shared slot its current index and row map are read from. */
  readonly #slots: Record<string, number>;
  readonly #handles: AttachCache;
  readonly #planner: SearchPlanner;
  readonly #queue: SearchQueue;
  readonly #pins: EpochPins;

  constructor(
    model: MemoryModel,
    spaces: Spaces,
    slots: Record<string, number>,
    handles: AttachCache,
    pool: ReaderPool,
    threads: number,
    pins: EpochPins,
  ) {
    this.#pins = pins;
    this.#model = model;
    this.#spaces = spaces;
    this.#slots = slots;
    this.#handles = handles;
    this.#planner = new SearchPlanner(model);
    this.#queue = new SearchQueue(pool, threads);
  }

  /** The store's modalities. */
  get modalities(): string[] {
    return Object.keys(this.#slots);
  }

  /** Plans, runs and ranks one search; hits come with their rows (and vectors when asked). */
  async run(query: VectorInput, s: ResolvedSearch): Promise<RankedHits> {
    // Pinned from planning to ranking: no node or row it can name is reused meanwhile (docs/adr/0008).
    const seq = this.#pins.pin();
    try {
      return await this.#run(query, s);
    } finally {
      this.#pins.unpin(seq);
    }
  }

  async #run(query: VectorInput, s: ResolvedSearch): Promise<RankedHits> {
    // Validated as stored (float32; under cosine a direction), before any plan: a bad query is a typed rejection.
    const vector = this.#spaces.checkStored(query, s.modality, 'query');
    const plan = this.#planner.plan({
      modality: s.modality,
      ef: Math.max(s.ef, s.k),
      namespace: s.namespace,
      entity: s.entity,
      filter: s.filter,
    });
    if (plan.kind === 'empty') return { hits: [], rows: [] };
    const want = candidatesWanted(s);
    const found = await this.#queue.run({ vector, slot: this.#slots[s.modality]!, k: want, ef: Math.max(s.ef, want), plan });
    const ranked = rankHits(this.#model, this.#spaces.of(s.modality).metric, found, s);
    if (s.includeVector) ranked.hits.forEach((hit, i) => (hit.vector = this.vectorOf(ranked.rows[i]!, s.modality)));
    return ranked;
  }

  /** The address of every modality's current index (a fault releases the locks a dead thread left in them). */
  indexAddresses(): number[] {
    return this.modalities.map((name) => this.#current(name).index.address);
  }

  /** The stored vector of a record row in `modality` (unit length under cosine), or undefined. */
  vectorOf(row: number, modality: string): Float32Array | undefined {
    return this.#pins.during(() => {
      const { index, rows } = this.#current(modality);
      const node = rows.get(row);
      return node < 0 ? undefined : index.getVector(node);
    });
  }

  stats(arena: KernelArena, freeRows: number): StoreStats {
    return this.#pins.during(() => {
      const modalities: Record<string, ModalityStats> = {};
      for (const name of this.modalities) {
        const { index } = this.#current(name);
        modalities[name] = { ...this.#spaces.of(name), storage: index.storage, strideBytes: index.strideBytes, ...graphStats(index) };
      }
      const usedBytes = arena.bytesUsed();
      const shared = { sizeBytes: arena.memory.buffer.byteLength, usedBytes, freeBytes: arena.freeBytes() };
      return {
        memories: this.#model.size,
        namespaces: this.#model.listNamespaces().length,
        memoryBytes: usedBytes,
        shared,
        rows: { live: this.#model.size, free: freeRows },
        modalities,
      };
    });
  }

  /** The highest share of not-yet-repaired tombstones among the modalities' graphs (the repair policy's input). */
  tombstoneRatio(): number {
    let worst = 0;
    for (const name of this.modalities) {
      const g = graphStats(this.#current(name).index);
      const linked = g.nodes - g.freeNodes;
      if (linked > 0) worst = Math.max(worst, g.tombstones / linked);
    }
    return worst;
  }

  #current(modality: string): { index: HnswIndex; rows: ReturnType<AttachCache['rowMap']> } {
    return this.#handles.current(this.#slots[modality]!);
  }
}
