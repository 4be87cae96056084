// The reads of an open store that need no thread: records, edges, pages, counts and stats, answered from the
// facade's mirror of the memory model and from shared memory. Feather (facade.ts) extends it with searches,
// which it ranks and tracks, and with every write.
import { FeatherError, type Edge, type MemoryId, type MemoryModel, type MemoryRecord, type Metric } from '@feather-db/core';
import { checkId, checkNamespace, checkOptions } from './main/input.js';
import { listMemories, type ListOptions, type ListPage } from './main/list.js';
import type { StoreHandles } from './main/open.js';
import { EpochPins } from './main/epoch-pins.js';
import { SearchPath, type StoreStats } from './main/search-path.js';
import { Spaces } from './main/spaces.js';
import { kDefaultModality } from './options.js';
import { AttachCache } from './shared/attach-cache.js';

/** What every open store answers synchronously; see Feather. */
export abstract class StoreReads {
  readonly path: string;
  readonly dim: number;
  readonly metric: Metric;
  /** The embedding model id recorded in the file (`options.embeddingModel` of the open that set it), or null. */
  readonly embeddingModel: string | null;
  /** Reader-pool size (from `options.threads`, `FEATHER_LOAD_THREADS` or the core count). */
  readonly threads: number;
  /** The lock, the shared memory, the writer and the pool: what close() ends. */
  protected readonly handles: StoreHandles;
  /** The facade's mirror of the memory model (fed the writer's ops in the writer's order). */
  protected readonly model: MemoryModel;
  protected readonly spaces: Spaces;
  protected readonly efSearch: number;
  protected readonly reads: SearchPath;
  /** Attached views of shared memory, for the search path and the write pipeline alike. */
  protected readonly attached: AttachCache;
  /** The readers' epoch pins: a read of the shared graphs holds one while it can name a node or row (docs/adr/0008). */
  protected readonly pins: EpochPins;
  /** Set once close() has begun. */
  protected closing: Promise<void> | undefined;

  protected constructor(h: StoreHandles) {
    const { options: o, opened } = h;
    this.path = h.path;
    this.threads = o.threads;
    this.handles = h;
    this.spaces = new Spaces(opened.meta.modalities);
    this.dim = this.spaces.of(kDefaultModality).dim;
    this.metric = this.spaces.of(kDefaultModality).metric;
    this.efSearch = o.efSearchGiven ? o.efSearch : opened.meta.efSearch;
    this.embeddingModel = opened.meta.modelId === '' ? null : opened.meta.modelId;
    this.model = h.mirror;
    this.attached = new AttachCache(h.arena);
    this.pins = new EpochPins(h.arena);
    this.reads = new SearchPath(this.model, this.spaces, opened.slots, this.attached, h.readers, o.threads, this.pins);
  }

  /** The memory with this id, or undefined. Synchronous. */
  get(id: MemoryId): MemoryRecord | undefined {
    this.checkOpen();
    const row = this.model.rowOf(checkId(id, 'id'));
    return row === undefined ? undefined : this.model.record(row);
  }

  /** The stored vector of a memory in one modality (unit length under cosine), or undefined. Synchronous. */
  getVector(id: MemoryId, modality: string = kDefaultModality): Float32Array | undefined {
    this.checkOpen();
    const row = this.model.rowOf(checkId(id, 'id'));
    return row === undefined ? undefined : this.reads.vectorOf(row, this.spaces.check(modality, 'modality'));
  }

  /**
   * The memory an add or addBatch wrote last (optionally within a namespace; of a batch, its last row), or
   * undefined: an update of an existing id by add counts as writing it; update() and link() do not. If that
   * memory was forgotten, the one written before it. Synchronous.
   */
  getLast(options?: { namespace?: string }): MemoryRecord | undefined {
    this.checkOpen();
    const o = checkOptions<{ namespace?: string }>(options, ['namespace'], 'options', "{ namespace: 'user-1' }");
    const row = this.model.lastRow(o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'));
    return row === undefined ? undefined : this.model.record(row);
  }

  /** A memory's outgoing and incoming edges. @throws FEATHER_ERR_NOT_FOUND for an unknown id. */
  edges(id: MemoryId): { outgoing: Edge[]; incoming: Edge[] } {
    this.checkOpen();
    const checked = checkId(id, 'id');
    const row = this.model.rowOf(checked);
    if (row === undefined)
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', `memory ${JSON.stringify(checked)} does not exist (never added, or forgotten)`, {
        id: checked,
      });
    return this.model.edgesOf(row);
  }

  /**
   * A scope's memories newest first (by timestamp), one page at a time: pass `next` back as `before` for the
   * next page. Synchronous (reads the facade's mirror; cost grows with the scope's size).
   * @throws FEATHER_ERR_INVALID_ARGUMENT for bad options or a cursor that is not one.
   */
  list(options?: ListOptions): ListPage {
    this.checkOpen();
    return listMemories(this.model, options);
  }

  /** Live memories, in one namespace or all. Synchronous. */
  count(options?: { namespace?: string }): number {
    this.checkOpen();
    const o = checkOptions<{ namespace?: string }>(options, ['namespace'], 'options', "{ namespace: 'user-1' }");
    return this.model.count(o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'));
  }

  /** Namespaces holding at least one memory, sorted. Synchronous. */
  listNamespaces(): string[] {
    this.checkOpen();
    return this.model.listNamespaces();
  }

  /** Memory use and graph state, for monitoring and benchmarks. */
  stats(): StoreStats {
    this.checkOpen();
    return this.reads.stats(this.handles.arena, this.freeRows);
  }

  /** Forgotten record rows free for reuse now (stats). */
  protected abstract get freeRows(): number;

  /** Reader threads currently alive in the pool (equals `threads` once the pool has started them). */
  get readerThreads(): number {
    return this.handles.readers.threads;
  }

  /** Reads go on after a fault (docs/threading.md, "When a thread dies"); writes and saves do not. */
  protected checkOpen(): void {
    if (this.closing !== undefined)
      throw new FeatherError('FEATHER_ERR_CLOSED', `the store ${this.path} is closed; open it again to use it`);
  }
}
