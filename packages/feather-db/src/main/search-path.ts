// A search from the main thread's side: planned on the mirror, run in the reader pool (packed by the search
// queue), ranked here; and the reads of the shared indexes the facade answers synchronously.
import { SearchPlanner, type HnswIndex, type KernelArena, type MemoryModel, type Metric } from '@feather-db/core';
import type { EpochPins } from './epoch-pins.js';
import { graphStats, type GraphStats } from './graph-stats.js';
import type { ReaderPool } from './reader-pool.js';
import type { AttachCache } from '../shared/attach-cache.js';
import type { ResolvedSearch } from './search-options.js';
import type { SearchQuery } from '../protocol.js';
import type { SearchOutcome } from '../shared/search-one.js';
import { throwIfAborted } from './abort.js';
import { InlineBudget } from './inline-budget.js';
import { SearchQueue } from './search-queue.js';
import { candidatesWanted, rankHits, type RankedHits } from './search-results.js';
import { SearchRunner } from './search-runner.js';
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
  /**
   * What the store holds in memory: the shared memory in use (vectors and graphs, below the arena's top,
   * free-listed blocks included) and its records twice (`records.bytes`: the facade's mirror and the writer's
   * model each hold them; ADR 0004), but `records.sharedBytes` once.
   */
  memoryBytes: number;
  /** The shared memory: its size (it never shrinks), what is in use and what of that is free for reuse. */
  shared: { sizeBytes: number; usedBytes: number; freeBytes: number };
  /**
   * Bytes of the records in one copy of the memory model (MemoryModel.recordBytes: fields, ids, texts,
   * attributes, id table), and of those the bytes both copies read in one buffer (the ids and texts of the
   * file the store was opened from: MemoryModel.sharedRecordBytes).
   */
  records: { bytes: number; sharedBytes: number };
  /** Record rows (the facade's mirror): live, and forgotten ones free for reuse or waiting for readers. */
  rows: { live: number; free: number };
  modalities: Record<string, ModalityStats>;
}

/** A search's plan and what its queries share (SearchPath's #plan). */
type Planned = Omit<SearchQuery, 'vector'> & { dim: number };

/** How long after a search starts the store still counts as searching (background repairs give way meanwhile). */
const kSearchLingerMs = 20;
/**
 * From this share of tombstones not yet repaired in any graph (the default policy's `repairAt`: a store that
 * forgets steadily and adds stays under it), no search runs on the calling thread. A traversal
 * stops only once it holds ef live results, so one that starts among forgotten nodes walks on until it has found
 * enough live ones: with half of a 100k GloVe-100 store forgotten (the first rows, which sit close together) and
 * no add since to repair it (the default policy repairs on the next add), searches at ef 64 took p50 0.20 ms but
 * max 27.6 ms, and an inline one held the event loop as long (its cost estimate cannot tell which query is one).
 * In the pool such a search costs its caller the same and the event loop nothing (that store: event-loop max
 * 2.9 ms against 10.1 ms over 300 sequential searches; their p50 0.59 against 0.22 ms, the hop).
 */
const kInlineTombstoneRatio = 0.1;

export class SearchPath {
  readonly #model: MemoryModel;
  readonly #spaces: Spaces;
  /** Per modality, the shared slot its current index and row map are read from. */
  readonly #slots: Record<string, number>;
  readonly #handles: AttachCache;
  readonly #planner: SearchPlanner;
  readonly #runner: SearchRunner;
  readonly #queue: SearchQueue;
  readonly #pins: EpochPins;
  /** When the last search started (performance.now()). */
  #lastSearch = Number.NEGATIVE_INFINITY;

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
    const budget = new InlineBudget();
    const dims = new Map(Object.entries(slots).map(([name, slot]) => [slot, spaces.of(name).dim]));
    this.#queue = new SearchQueue(pool, threads, (q, ms) => SearchRunner.observe(budget, q, dims.get(q.slot)!, ms));
    this.#runner = new SearchRunner(handles, budget, this.#queue, () => pool.healthy && this.tombstoneRatio() < kInlineTombstoneRatio);
  }

  /**
   * Searches are queued or running in the reader pool, or one started within the last kSearchLingerMs (those run
   * on this thread, and the gaps between a caller's searches, count too).
   */
  get searching(): boolean {
    return !this.#queue.idle || performance.now() - this.#lastSearch < kSearchLingerMs;
  }

  /** The store's modalities. */
  get modalities(): string[] {
    return Object.keys(this.#slots);
  }

  /**
   * Plans, runs and ranks one search of `vector`, a query as stored (resolveSearch checked and copied it); hits
   * come with their rows (and vectors when asked). The caller holds a pin (EpochPins) from before this call
   * until it is done with the rows (facade.ts: once their recall counts are bumped), wherever the search runs:
   * no node or row a plan or a result can name is reused meanwhile (docs/adr/0008).
   * @throws FEATHER_ERR_ABORTED when `s.signal` aborts first.
   */
  run(vector: Float32Array, s: ResolvedSearch): Promise<RankedHits> {
    // Not an async function (nor is the runner's run): while a burst waits for the pool, each of its searches
    // holds a promise and a closure here instead of a suspended frame, which the young generation's
    // scavenges copy for every search in flight.
    let planned: Planned | undefined;
    try {
      throwIfAborted(s.signal, 'search');
      planned = this.#plan(s);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the check's own throw, passed on as it came
      return Promise.reject(error);
    }
    if (planned === undefined) return Promise.resolve({ hits: [], rows: [] });
    const { slot, k, ef, plan, cancel } = planned;
    return this.#runner.run({ vector, slot, k, ef, plan, cancel }, planned.dim, s.signal).then((found) => this.#rank(found, s));
  }

  /**
   * Plans once, then runs and ranks every query (checked as stored by resolveSearchMany; in the pool, packed,
   * unless they are few and small); one ranked list per query, in order. Pinned by the caller, as run().
   * @throws FEATHER_ERR_ABORTED when `s.signal` aborts first (no result is kept).
   */
  async runMany(vectors: Float32Array[], s: ResolvedSearch): Promise<RankedHits[]> {
    throwIfAborted(s.signal, 'searchMany');
    const planned = this.#plan(s);
    if (planned === undefined || vectors.length === 0) return vectors.map(() => ({ hits: [], rows: [] }));
    const { slot, k, ef, plan, cancel } = planned;
    const queries: SearchQuery[] = vectors.map((vector) => ({ vector, slot, k, ef, plan, cancel }));
    const found = await this.#runner.runMany(queries, planned.dim, s.signal);
    return found.map((outcome) => this.#rank(outcome, s));
  }

  /** A search's plan on the mirror and what its queries share; undefined when it can find nothing. */
  #plan(s: ResolvedSearch): Planned | undefined {
    this.#lastSearch = performance.now();
    const plan = this.#planner.plan({
      modality: s.modality,
      ef: Math.max(s.ef, s.k),
      namespace: s.namespace,
      entity: s.entity,
      filter: s.filter,
    });
    if (plan.kind === 'empty') return undefined;
    const want = candidatesWanted(s);
    return {
      slot: this.#slots[s.modality]!,
      k: want,
      ef: Math.max(s.ef, want),
      plan,
      // One cancel flag for the call: its thread skips the queries it has not started once the signal aborts.
      cancel: s.signal === undefined ? undefined : new Int32Array(new SharedArrayBuffer(4)),
      dim: this.#spaces.of(s.modality).dim,
    };
  }

  #rank(outcome: SearchOutcome, s: ResolvedSearch): RankedHits {
    const ranked = rankHits(this.#model, this.#spaces.of(s.modality).metric, outcome, s);
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
      const records = { bytes: this.#model.recordBytes(), sharedBytes: this.#model.sharedRecordBytes() };
      return {
        memories: this.#model.size,
        namespaces: this.#model.listNamespaces().length,
        memoryBytes: usedBytes + 2 * records.bytes - records.sharedBytes,
        shared,
        records,
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

  /**
   * The modalities compact() rebuilds rather than repairs in place: every one when `all`, else those whose
   * tombstones are at least as many as their live nodes (a rebuild links the live nodes, a repair re-links
   * around the tombstones: each costs about an insert per node, so the fewer nodes wins).
   */
  toRebuild(all: boolean): string[] {
    return this.modalities.filter((name) => {
      if (all) return true;
      const g = graphStats(this.#current(name).index);
      return g.tombstones > 0 && g.tombstones >= g.nodes - g.freeNodes - g.tombstones;
    });
  }

  #current(modality: string): { index: HnswIndex; rows: ReturnType<AttachCache['rowMap']> } {
    return this.#handles.current(this.#slots[modality]!);
  }
}
