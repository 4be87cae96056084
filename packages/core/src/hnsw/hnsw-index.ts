import type { KernelArena } from '../arena.js';
import { describeValue, FeatherError } from '../errors.js';
import { RowMap } from '../records/row-map.js';
import {
  kFlagDeleted,
  kFlagNormalized,
  kHCodeOff,
  kHEntry,
  kHMaxLevel,
  kHPubEntry,
  kHPubMaxLevel,
  kNCount0,
  kNUpper,
  kFlagInt8,
  kFlagScreening,
  kNEntity,
  kNNamespace,
  kNRow,
  kTagAny,
  kHFlags,
  kHChunkShift,
  kHChunkTable,
  kHDeleted,
  kHDim,
  kHDimOrder,
  kHEfConstruction,
  kHM,
  kHMetric,
  kHPublished,
  kHReserved,
  kHStride,
  kHVecOff,
  kMetricCode,
  kNLevelFlags,
  kSDistCount,
  kSScreened,
  kSOut,
  kSQuery,
  kWasmErrChunkTableFull,
  kWasmErrOutOfMemory,
  kWasmErrScratchTooSmall,
} from '../layout.js';
import { checkInt, checkKnownKeys, checkVector, type VectorInput } from '../validate.js';
import { LevelGenerator } from './levels.js';

/** Distance metric. `cosine` stores vectors normalised and ranks by 1 - dot; `ip` by 1 - dot; `l2` by squared distance. */
export type Metric = 'cosine' | 'l2' | 'ip';

/** Options of {@link HnswIndex.create}. */
export interface HnswOptions {
  /** Vector dimension (1..65536). Required. */
  dim: number;
  /** Default `'cosine'`. */
  metric?: Metric;
  /** Links per node on upper levels; level 0 keeps 2·M. Default 16. Higher: better recall, more memory, slower build. */
  m?: number;
  /** Candidate list size while inserting. Default 200. Higher: better graph, slower build. */
  efConstruction?: number;
  /** Default candidate list size for searches. Default 128 (recall@10 ~0.96 on the clustered test sets). Higher: better recall, slower search. */
  efSearch?: number;
  /** Seed of the level generator; the same seed and insert order give the same graph. Default 42. */
  seed?: number;
  /**
   * `'int8'` keeps an int8 copy of every vector (dim + 16 bytes more per vector) and scores candidates on
   * it first: the float32 distance is computed only when the codes cannot prove a candidate is worse than
   * the current k-th result. Results are identical to `'none'` (the proof uses a worst-case error bound);
   * searches and builds touch far fewer cache lines. Default `'none'`.
   */
  screening?: 'none' | 'int8';
  /**
   * `'int8'` stores each vector as int8 codes with a per-vector scale (dim + 16 bytes instead of 4·dim):
   * ~3.5x less vector memory, distances from the float32 query to the dequantised codes. Excludes
   * screening. Default `'float32'`.
   */
  storage?: 'float32' | 'int8';
  /** int8 storage only: values are clipped to ±maxAbs before quantising. Default: no clipping. */
  maxAbs?: number;
  /** log2 of nodes per memory chunk. Default 12 (4096 nodes). */
  chunkShift?: number;
  /** Chunk-table entries; capacity = maxChunks << chunkShift nodes. Default 16384 (67M nodes at the default shift). */
  maxChunks?: number;
}

/** A result filter applied inside the kernels (during traversal: filtered-out nodes still route). */
export interface NodeFilter {
  /** Namespace tag a result must carry. */
  namespace?: number;
  /** Entity tag a result must carry. */
  entity?: number;
  /** Row bitmap (bit r of byte r >> 3) a result's row must be set in. */
  rows?: Uint8Array;
}

/** Options of {@link HnswIndex.search}. */
export interface SearchOptions {
  /** Candidate list size; clamped up to k. Default: the index's efSearch. */
  ef?: number;
  filter?: NodeFilter;
}

/** Tags a node carries for filtering: its record row, namespace and entity. */
export interface NodeTags {
  row: number;
  namespace: number;
  entity: number;
}

/** An index's header as the file format stores it (GRAPH section). */
export interface GraphHeader {
  dim: number;
  metric: Metric;
  m: number;
  efConstruction: number;
  flags: number;
  stride: number;
  vecOff: number;
  codeOff: number;
  count: number;
  entry: number;
  maxLevel: number;
  deleted: number;
  /** Storage position -> input dimension, or null for identity. */
  dimOrder: number[] | null;
}

/** Limits a restored graph's node tags must respect. */
export interface TagLimits {
  rows: number;
  namespaces: number;
  entities: number;
  /** When given, live nodes' tags must equal their records' (restore-tags.ts). */
  tagsMatch?: (row: number, namespace: number, entity: number) => boolean;
}

/** k-NN results, ascending by distance. */
export interface SearchResult {
  /** Node ids. */
  ids: Uint32Array;
  /** The record row of each node. */
  rows: Uint32Array;
  distances: Float32Array;
}

export const kDefaultHnswOptions: Readonly<Required<Omit<HnswOptions, 'dim'>>> = Object.freeze({
  metric: 'cosine',
  m: 16,
  efConstruction: 200,
  efSearch: 128,
  screening: 'none',
  storage: 'float32',
  maxAbs: Number.POSITIVE_INFINITY,
  seed: 42,
  chunkShift: 12,
  maxChunks: 16384,
});

const kHnswOptionKeys = ['dim', 'metric', 'm', 'efConstruction', 'efSearch', 'screening', 'storage', 'maxAbs', 'seed', 'chunkShift', 'maxChunks'] as const;
const kMetrics: readonly Metric[] = ['cosine', 'l2', 'ip'];
const kMaxEf = 100_000;

/** Up to this many nodes, searches scan exactly: cheaper than the graph and always exact. */
const kFlatThreshold = 256;

/** A first addMany of at least this many rows into an empty index learns the dimension order. */
const kLearnOrderMinRows = 1000;
/** Rows sampled (evenly) to estimate per-dimension variance. */
const kLearnOrderSampleRows = 20_000;

/**
 * An HNSW index whose vectors, levels and link lists live in a shared kernel memory. One thread inserts
 * (single writer); any number of threads can {@link HnswIndex.attach} to the same address and search the
 * published prefix concurrently, since chunks never move and nodes become visible only once complete.
 */
export class HnswIndex {
  readonly arena: KernelArena;
  /** Byte address of the index header in the shared memory. */
  readonly address: number;
  readonly dim: number;
  readonly metric: Metric;
  readonly m: number;
  readonly efConstruction: number;
  efSearch: number;
  readonly #levels: LevelGenerator;
  #scratch = 0;
  #visitedCap = 0;
  #heapCap = 0;
  /** Storage position -> input dimension, or null for identity. Immutable once set (before any insert). */
  #order: Uint32Array | null = null;
  /** int8 storage: values are clipped to ±maxAbs before quantising. */
  #maxAbs = Number.POSITIVE_INFINITY;
  /** Per-handle wasm buffers for staging vectors, filter bitmaps and scan lists (grown geometrically). */
  #staging = 0;
  #bitmap = 0;
  #bitmapBytes = 0;
  #list = 0;
  #listCap = 0;

  private constructor(arena: KernelArena, address: number, efSearch: number, seed: number) {
    const u32 = arena.u32;
    const h = address >>> 2;
    this.arena = arena;
    this.address = address;
    this.dim = u32[h + kHDim / 4]!;
    const metricCode = u32[h + kHMetric / 4];
    this.metric = kMetrics.find((m) => kMetricCode[m] === metricCode)!;
    this.m = u32[h + kHM / 4]!;
    this.efConstruction = u32[h + kHEfConstruction / 4]!;
    this.efSearch = efSearch;
    this.#levels = new LevelGenerator(this.m, seed);
    this.#loadOrder();
  }

  /**
   * Creates an empty index in `arena`.
   * @throws FEATHER_ERR_INVALID_ARGUMENT for unknown options or out-of-range values.
   */
  static create(arena: KernelArena, options: HnswOptions): HnswIndex {
    if (typeof options !== 'object' || options === null) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options must be an object with at least { dim }, got ${describeValue(options)}`);
    }
    checkKnownKeys(options, kHnswOptionKeys, 'options');
    const o = { ...kDefaultHnswOptions, ...options };
    checkInt(o.dim, 'options.dim', 1, 65536);
    if (!kMetrics.includes(o.metric)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.metric must be one of ${kMetrics.join(', ')}, got ${describeValue(o.metric)}`);
    }
    checkInt(o.m, 'options.m', 2, 256);
    checkInt(o.efConstruction, 'options.efConstruction', 1, kMaxEf);
    checkInt(o.efSearch, 'options.efSearch', 1, kMaxEf);
    if (o.screening !== 'none' && o.screening !== 'int8') {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.screening must be 'none' or 'int8', got ${describeValue(o.screening)}`);
    }
    if (o.storage !== 'float32' && o.storage !== 'int8') {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.storage must be 'float32' or 'int8', got ${describeValue(o.storage)}`);
    }
    if (typeof o.maxAbs !== 'number' || !(o.maxAbs > 0)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.maxAbs must be a positive number, got ${describeValue(o.maxAbs)}`);
    }
    if (o.storage === 'int8' && o.screening === 'int8') {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', "options.screening 'int8' screens float32 vectors; with storage 'int8' there are none: drop one of the two");
    }
    checkInt(o.seed, 'options.seed', 0, 0xffffffff);
    checkInt(o.chunkShift, 'options.chunkShift', 4, 20);
    checkInt(o.maxChunks, 'options.maxChunks', 1, 1 << 20);
    const flags = (o.screening === 'int8' ? kFlagScreening : 0) | (o.storage === 'int8' ? kFlagInt8 : 0);
    const address = arena.wasm.indexCreate(o.dim, kMetricCode[o.metric], o.m, o.efConstruction, o.chunkShift, o.maxChunks, flags);
    if (address < 0) throw capacityError('create the index', address);
    const index = new HnswIndex(arena, address >>> 0, o.efSearch, o.seed);
    index.#maxAbs = o.maxAbs;
    return index;
  }

  /** Binds to an index another thread created in the same shared memory (for searching it). */
  static attach(arena: KernelArena, address: number, efSearch: number = kDefaultHnswOptions.efSearch): HnswIndex {
    return new HnswIndex(arena, address, efSearch, kDefaultHnswOptions.seed);
  }

  /** Nodes visible to searches (inserted ones, tombstoned included). */
  get size(): number {
    return Atomics.load(this.arena.u32, (this.address + kHPublished) >>> 2);
  }

  /** Tombstoned node count. */
  get deletedCount(): number {
    return this.arena.u32[(this.address + kHDeleted) >>> 2];
  }

  /** Distance computations of this handle's last search or insert (a benchmark statistic). */
  get lastDistanceCount(): number {
    return this.#scratch === 0 ? 0 : this.arena.u32[(this.#scratch + kSDistCount) >>> 2];
  }

  /** Candidates rejected on their int8 codes alone in this handle's last search or insert. */
  get lastScreenedCount(): number {
    return this.#scratch === 0 ? 0 : this.arena.u32[(this.#scratch + kSScreened) >>> 2];
  }

  /** `'int8'` when nodes store quantised vectors. */
  get storage(): 'float32' | 'int8' {
    return (this.arena.u32[(this.address + kHFlags) >>> 2] & kFlagInt8) !== 0 ? 'int8' : 'float32';
  }

  /** `'int8'` when nodes carry screening codes. */
  get screening(): 'none' | 'int8' {
    return (this.arena.u32[(this.address + kHFlags) >>> 2] & kFlagScreening) !== 0 ? 'int8' : 'none';
  }

  /**
   * Inserts a vector; returns its node id (ids are dense, in insert order).
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT (non-finite values, zero vector under cosine), FEATHER_ERR_CAPACITY.
   */
  add(vector: VectorInput, tags?: NodeTags): number {
    checkVector(vector, this.dim, 'vector');
    if (this.metric === 'cosine' && isZero(vector)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', 'vector must not be all zeros under the cosine metric: it has no direction; drop it or use metric "l2"');
    }
    const id = this.#reserve(vector, 0, tags);
    this.insertReserved(id);
    return id;
  }

  /** Inserts `n = vectors.length / dim` row-major vectors; returns the first id. Validates all rows first. */
  addMany(vectors: Float32Array, tags?: readonly NodeTags[]): number {
    const first = this.reserveMany(vectors, tags);
    const n = vectors.length / this.dim;
    for (let id = first; id < first + n; id++) this.insertReserved(id);
    return first;
  }

  /**
   * Reserves ids for `n = vectors.length / dim` validated rows and writes their vectors, without linking
   * them: the first half of a parallel build. Any thread attached to the index may then link them with
   * {@link insertReserved}, concurrently; searches see each node once it and every node before it are
   * linked. Returns the first id. Only the writer thread may call this.
   */
  reserveMany(vectors: Float32Array, tags?: readonly NodeTags[]): number {
    const n = this.#checkRows(vectors);
    const first = this.#reservedCount();
    if (first === 0 && n >= kLearnOrderMinRows && this.#order === null) this.#learnOrder(vectors, n);
    for (let r = 0; r < n; r++) this.#reserve(vectors, r * this.dim, tags?.[r]);
    return first;
  }

  /** int8 storage: the clip bound applied before quantising new vectors (Infinity = none). */
  get maxAbs(): number {
    return this.#maxAbs;
  }

  set maxAbs(value: number) {
    this.#maxAbs = value;
  }

  /** Bytes of a node's vector region: 4·dim, or 16 + align16(dim) with int8 storage. */
  get vectorBytes(): number {
    return this.storage === 'int8' ? 16 + Math.ceil(this.dim / 16) * 16 : 4 * this.dim;
  }

  /** The raw vector region of node `id` (storage order; codes with int8 storage), as a view. */
  rawVector(id: number): Uint8Array {
    const at = this.arena.wasm.vectorAddress(this.address, id) >>> 0;
    return new Uint8Array(this.arena.u32.buffer, at, this.vectorBytes);
  }

  /**
   * Reserves nodes whose vector regions are given raw (as {@link rawVector} returns them, `vectorBytes` each),
   * for a loader rebuilding a graph from stored vectors. `order` is the dimension order they were stored in.
   * Returns the first id; link them with insertReserved.
   */
  reserveRaw(raw: Uint8Array, tags: readonly NodeTags[], order: readonly number[] | null): number {
    if (this.#reservedCount() === 0 && order !== null && this.#order === null) {
      const address = this.arena.alloc(this.dim * 4);
      this.arena.u32.set(order, address >>> 2);
      Atomics.store(this.arena.u32, (this.address + kHDimOrder) >>> 2, address);
      this.#order = Uint32Array.from(order);
    }
    const first = this.#reservedCount();
    const size = this.vectorBytes;
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i];
      const id = this.arena.wasm.reserve(this.address, this.#levels.next(), t.row, t.namespace, t.entity);
      if (id < 0) throw capacityError('load a vector', id);
      this.rawVector(id).set(raw.subarray(i * size, (i + 1) * size));
      const flagsAt = ((this.#nodeAddress(id)) + kNLevelFlags) >>> 2;
      this.arena.u32[flagsAt] = this.arena.u32[flagsAt] | kFlagNormalized;
    }
    return first;
  }

  /** Moves node `id` to another namespace / entity tag (the writer's side of a record update). */
  setTags(id: number, namespace: number, entity: number): void {
    this.#checkId(id, this.#reservedCount());
    this.arena.wasm.setTags(this.address, id, namespace, entity);
  }

  /** Links a node reserved by {@link reserveMany} into the graph; thread-safe across attached handles. */
  insertReserved(id: number): void {
    const heapCap = Math.max(this.efConstruction, 2 * this.m) + 1;
    this.#ensureScratch(this.#reservedCount(), heapCap);
    let rc = this.arena.wasm.insert(this.address, this.#scratch, id);
    // The writer may reserve more nodes (the next slice of a batch) between reading the count and the kernel
    // reading it: the kernel refuses before changing anything, so grow the visited set and retry.
    while (rc === kWasmErrScratchTooSmall) {
      this.#ensureScratch(this.#reservedCount() + 1, heapCap);
      rc = this.arena.wasm.insert(this.address, this.#scratch, id);
    }
    if (rc < 0) throw capacityError('link a vector', rc);
  }

  /**
   * Resolves once node `id` is published (visible to searches). Never blocks the calling thread: it waits
   * with Atomics.waitAsync on the published counter, which the kernels notify after every advance.
   */
  async whenVisible(id: number): Promise<void> {
    const u32 = this.arena.u32;
    const at = (this.address + kHPublished) >>> 2;
    const i32 = new Int32Array(u32.buffer, u32.byteOffset, u32.length);
    for (;;) {
      // Atomic load, then wait only while the value is unchanged: no advance between the two is missed.
      const published = Atomics.load(i32, at);
      if (published > id) return;
      const waiter = Atomics.waitAsync(i32, at, published);
      if (waiter.async) await waiter.value;
    }
  }

  /** Ids reserved so far (published or still being linked). */
  get reservedCount(): number {
    return this.#reservedCount();
  }

  #checkRows(vectors: Float32Array): number {
    if (!(vectors instanceof Float32Array) || vectors.length % this.dim !== 0 || vectors.length === 0) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors must be a non-empty Float32Array whose length is a multiple of ${this.dim}, got ${describeValue(vectors)}`);
    }
    const n = vectors.length / this.dim;
    for (let r = 0; r < n; r++) {
      const row = vectors.subarray(r * this.dim, (r + 1) * this.dim);
      checkVector(row, this.dim, `vectors[${r}]`);
      if (this.metric === 'cosine' && isZero(row)) {
        throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors[${r}] must not be all zeros under the cosine metric`);
      }
    }
    return n;
  }

  #reserve(vector: VectorInput, offset: number, tags: NodeTags | undefined): number {
    const wasm = this.arena.wasm;
    const next = this.#reservedCount();
    const id = wasm.reserve(this.address, this.#levels.next(), tags?.row ?? next, tags?.namespace ?? 0, tags?.entity ?? 0);
    if (id < 0) throw capacityError('add a vector', id);
    if (this.storage === 'float32') {
      this.#writeStorageOrder(vector, offset, (wasm.vectorAddress(this.address, id) >>> 0) >>> 2);
      return id;
    }
    if (this.#staging === 0) this.#staging = this.arena.alloc(this.dim * 4);
    this.#writeStorageOrder(vector, offset, this.#staging >>> 2);
    if (Number.isFinite(this.#maxAbs)) {
      const f32 = this.arena.f32;
      const at = this.#staging >>> 2;
      for (let i = 0; i < this.dim; i++) f32[at + i] = Math.max(-this.#maxAbs, Math.min(this.#maxAbs, f32[at + i]));
    }
    wasm.encodeVector(this.address, id, this.#staging);
    return id;
  }

  /**
   * The k nearest published, non-deleted nodes to `query`, ascending by distance. Returns fewer than k
   * when fewer exist.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT (bad k or ef, non-finite query).
   */
  search(query: VectorInput, k: number, options?: SearchOptions): SearchResult {
    checkInt(k, 'k', 1, kMaxEf);
    const ef = options?.ef ?? this.efSearch;
    if (options?.ef !== undefined) checkInt(ef, 'options.ef', 1, kMaxEf);
    if (this.size <= kFlatThreshold) return this.searchExact(query, k, options?.filter);
    // Searches traverse every complete node, published or not, so the visited set covers the reserved ids.
    this.#loadQuery(query, this.#reservedCount(), Math.max(ef, k) + 1);
    this.#setFilter(options?.filter);
    let n = this.arena.wasm.search(this.address, this.#scratch, k, ef);
    while (n === kWasmErrScratchTooSmall) {
      // The writer reserved more nodes between the count read and the search: grow (geometrically) and retry.
      this.#ensureScratch(this.#reservedCount() + 1024, Math.max(ef, k) + 1);
      this.#loadQuery(query, this.#reservedCount(), Math.max(ef, k) + 1);
      this.#setFilter(options?.filter);
      n = this.arena.wasm.search(this.address, this.#scratch, k, ef);
    }
    if (n < 0) throw capacityError('search', n);
    return this.#readResults(n);
  }

  /** Exact k-NN by scanning every published node with the same kernels: the oracle and the small-set path. */
  searchExact(query: VectorInput, k: number, filter?: NodeFilter): SearchResult {
    checkInt(k, 'k', 1, kMaxEf);
    this.#loadQuery(query, this.size, k + 1);
    this.#setFilter(filter);
    const n = this.arena.wasm.flatSearch(this.address, this.#scratch, k);
    if (n < 0) throw capacityError('search', n);
    return this.#readResults(n);
  }

  /**
   * Exact k-NN over the listed node ids only (unpublished, tombstoned and filtered-out ones skipped): the
   * planner's path when a filter leaves few candidates. Costs one distance per listed node.
   */
  scanNodes(query: VectorInput, k: number, nodes: Uint32Array, filter?: NodeFilter): SearchResult {
    checkInt(k, 'k', 1, kMaxEf);
    this.#loadQuery(query, this.size, k + 1);
    this.#setFilter(filter);
    if (nodes.length > this.#listCap) {
      this.#listCap = Math.max(nodes.length, this.#listCap * 2, 1024);
      this.#list = this.arena.alloc(this.#listCap * 4);
    }
    this.arena.u32.set(nodes, this.#list >>> 2);
    const n = this.arena.wasm.scanNodes(this.address, this.#scratch, k, this.#list, nodes.length);
    if (n < 0) throw capacityError('search', n);
    return this.#readResults(n);
  }

  #setFilter(filter: NodeFilter | undefined): void {
    let bitmap = 0;
    let bits = 0;
    if (filter?.rows !== undefined) {
      const bytes = filter.rows.length;
      if (bytes > this.#bitmapBytes) {
        this.#bitmapBytes = Math.max(bytes, this.#bitmapBytes * 2, 4096);
        this.#bitmap = this.arena.alloc(this.#bitmapBytes);
      }
      new Uint8Array(this.arena.u32.buffer, this.#bitmap, bytes).set(filter.rows);
      bitmap = this.#bitmap;
      bits = bytes * 8;
    }
    this.arena.wasm.setFilter(this.#scratch, filter?.namespace ?? kTagAny, filter?.entity ?? kTagAny, bitmap, bits);
  }

  /**
   * Tombstones node `id`: it keeps routing searches but is never returned again. Returns false when it was
   * already deleted.
   * @throws FEATHER_ERR_NOT_FOUND when the id was never inserted.
   */
  delete(id: number): boolean {
    // Reserved-but-unlinked nodes count: a forget may arrive while a parallel batch is still linking them.
    this.#checkId(id, this.#reservedCount());
    return this.arena.wasm.markDeleted(this.address, id) === 1;
  }

  /** True when `id` is published and not tombstoned. */
  has(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) return false;
    const node = this.#nodeAddress(id);
    return (this.arena.u32[(node + kNLevelFlags) >>> 2] & kFlagDeleted) === 0;
  }

  /** A copy of the stored vector, in input dimension order (normalised under cosine). */
  getVector(id: number): Float32Array {
    // Reserved nodes have their vectors already (a rebuild may copy them before they are linked).
    this.#checkId(id, this.#reservedCount());
    let at = (this.arena.wasm.vectorAddress(this.address, id) >>> 0) >>> 2;
    if (this.storage === 'int8') {
      if (this.#staging === 0) this.#staging = this.arena.alloc(this.dim * 4);
      this.arena.wasm.dequantize(at << 2, this.dim, this.#staging);
      at = this.#staging >>> 2;
    }
    const stored = this.arena.f32.subarray(at, at + this.dim);
    const order = this.#currentOrder();
    if (order === null) return stored.slice();
    const out = new Float32Array(this.dim);
    for (let i = 0; i < this.dim; i++) out[order[i]] = stored[i]!;
    return out;
  }

  /**
   * `vector` in storage dimension order (a copy): what the kernels compare against. Identity unless the
   * index learned a dimension order from its first bulk load.
   */
  toStorageOrder(vector: VectorInput): Float32Array {
    const out = new Float32Array(this.dim);
    const order = this.#currentOrder();
    for (let i = 0; i < this.dim; i++) out[i] = vector[order === null ? i : order[i]]!;
    return out;
  }

  #writeStorageOrder(vector: VectorInput, offset: number, at: number): void {
    const f32 = this.arena.f32;
    // The order may have been learned by another handle after this one attached.
    const order = this.#currentOrder();
    if (order === null) {
      if (offset === 0 && vector.length === this.dim) f32.set(vector, at);
      else for (let i = 0; i < this.dim; i++) f32[at + i] = vector[offset + i]!;
    } else {
      for (let i = 0; i < this.dim; i++) f32[at + i] = vector[offset + order[i]]!;
    }
  }

  /**
   * Orders dimensions by decreasing variance over (a sample of) the first bulk load. The early exit of the
   * distance kernel checks partial sums every 64 floats, so putting the high-variance dimensions first lets
   * it reject far candidates sooner: on MNIST, where border pixels are always 0, the dimensions a rejected
   * candidate needs drop by about half. Distances are unchanged (a permutation is exact).
   */
  #learnOrder(vectors: Float32Array, n: number): void {
    const dim = this.dim;
    const step = Math.max(1, Math.floor(n / kLearnOrderSampleRows));
    const mean = new Float64Array(dim);
    const sq = new Float64Array(dim);
    let rows = 0;
    for (let r = 0; r < n; r += step, rows++) {
      for (let j = 0; j < dim; j++) {
        const x = vectors[r * dim + j];
        mean[j] += x;
        sq[j] += x * x;
      }
    }
    const variance = Float64Array.from(mean, (m, j) => sq[j] / rows - (m / rows) ** 2);
    const order = Uint32Array.from({ length: dim }, (_, j) => j).sort((a, b) => variance[b] - variance[a] || a - b);
    if (order.every((v, i) => v === i)) return;
    const address = this.arena.alloc(dim * 4);
    this.arena.u32.set(order, address >>> 2);
    // Atomic store: a reader that sees the order address sees the order it points to (written above).
    Atomics.store(this.arena.u32, (this.address + kHDimOrder) >>> 2, address);
    this.#order = order;
  }

  /** The order, loading it if another handle learned it after this one attached. */
  #currentOrder(): Uint32Array | null {
    if (this.#order === null) this.#loadOrder();
    return this.#order;
  }

  #loadOrder(): void {
    const address = Atomics.load(this.arena.u32, (this.address + kHDimOrder) >>> 2);
    if (address !== 0) this.#order = this.arena.u32.slice(address >>> 2, (address >>> 2) + this.dim);
  }

  /** The header fields the file format stores. Call with no insert in flight (published == reserved). */
  graphHeader(): GraphHeader {
    const u32 = this.arena.u32;
    const i32 = this.arena.i32;
    const h = this.address >>> 2;
    return {
      dim: this.dim,
      metric: this.metric,
      m: this.m,
      efConstruction: this.efConstruction,
      flags: u32[h + kHFlags / 4],
      stride: u32[h + kHStride / 4],
      vecOff: u32[h + kHVecOff / 4],
      codeOff: u32[h + kHCodeOff / 4],
      count: this.size,
      entry: i32[h + kHPubEntry / 4],
      maxLevel: i32[h + kHPubMaxLevel / 4],
      deleted: this.deletedCount,
      dimOrder: this.#currentOrder() === null ? null : Array.from(this.#currentOrder()!),
    };
  }

  /** Views of the level-0 node blocks of nodes [0, size), one per chunk, in id order (no copy). */
  nodeBlocks(): Uint8Array[] {
    const { chunkShift, chunkTable, stride } = this.geometry;
    const u32 = this.arena.u32;
    const bytes = new Uint8Array(u32.buffer);
    const views: Uint8Array[] = [];
    for (let first = 0; first < this.size; first += 1 << chunkShift) {
      const chunk = u32[(chunkTable >>> 2) + (first >>> chunkShift)];
      views.push(bytes.subarray(chunk, chunk + Math.min(1 << chunkShift, this.size - first) * stride));
    }
    return views;
  }

  /** The upper-level link blocks of every node with level >= 1, concatenated in id order. */
  upperBlocks(): Uint8Array {
    const n = this.size;
    const blockBytes = (1 + this.m) * 4;
    const parts: Uint8Array[] = [];
    const bytes = new Uint8Array(this.arena.u32.buffer);
    let total = 0;
    for (let id = 0; id < n; id++) {
      const node = this.#nodeAddress(id);
      const level = this.arena.u32[(node + kNLevelFlags) >>> 2] & 0xff;
      if (level === 0) continue;
      const upper = this.arena.u32[(node + kNUpper) >>> 2];
      parts.push(bytes.subarray(upper, upper + level * blockBytes));
      total += level * blockBytes;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /**
   * The first step of rebuilding an index from its file form without re-linking: checks the header, creates
   * the index and reserves its nodes (chunks allocated, nothing published). The node blocks are then copied
   * straight into restoreRegions() (no intermediate buffer) and each range checked right after its copy
   * (checkRestored, from any thread sharing the arena); once all are, linkRestored points each range's nodes
   * at their upper blocks, and finishRestore publishes. A crafted or damaged file can neither crash the
   * kernels nor send a search out of bounds.
   * @throws FEATHER_ERR_CORRUPT naming the inconsistent field.
   */
  static beginRestore(arena: KernelArena, header: GraphHeader, efSearch: number = kDefaultHnswOptions.efSearch): HnswIndex {
    const screening = (header.flags & kFlagScreening) !== 0;
    const int8 = (header.flags & kFlagInt8) !== 0;
    if ((header.flags & ~(kFlagScreening | kFlagInt8)) !== 0 || (screening && int8)) throw badGraph(`unknown flags ${header.flags}`);
    let index: HnswIndex;
    try {
      index = HnswIndex.create(arena, { dim: header.dim, metric: header.metric, m: header.m, efConstruction: header.efConstruction, efSearch, screening: screening ? 'int8' : 'none', storage: int8 ? 'int8' : 'float32' });
    } catch (error) {
      throw badGraph(`impossible parameters (${(error as Error).message})`);
    }
    const g = index.geometry;
    if (g.stride !== header.stride || g.vecOff !== header.vecOff || arena.u32[(index.address + kHCodeOff) >>> 2] !== header.codeOff) throw badGraph('node geometry does not match its parameters');
    const n = header.count;
    if (!Number.isInteger(n) || n < 0 || n > (kDefaultHnswOptions.maxChunks << g.chunkShift)) throw badGraph(`node count ${n}`);
    if (n === 0 ? header.entry !== -1 || header.maxLevel !== -1 : header.entry < 0 || header.entry >= n || header.maxLevel < 0 || header.maxLevel > 31) throw badGraph('entry point or max level out of range');
    if (header.dimOrder !== null) {
      const seen = new Set(header.dimOrder);
      if (header.dimOrder.length !== header.dim || seen.size !== header.dim || header.dimOrder.some((d) => !Number.isInteger(d) || d < 0 || d >= header.dim)) throw badGraph('dimension order is not a permutation');
    }
    const rc = arena.wasm.reserveBulk(index.address, n);
    if (rc < 0) throw capacityError('load the graph', rc);
    return index;
  }

  /** Where nodes [0, count) of a restore live: one arena region per chunk, in node order. */
  restoreRegions(count: number): { at: number; bytes: number }[] {
    const g = this.geometry;
    const regions: { at: number; bytes: number }[] = [];
    for (let first = 0; first < count; first += 1 << g.chunkShift) {
      regions.push({ at: this.arena.u32[(g.chunkTable >>> 2) + (first >>> g.chunkShift)], bytes: (Math.min(count, first + (1 << g.chunkShift)) - first) * g.stride });
    }
    return regions;
  }

  /**
   * Phase one of a restore, for node blocks [first, end) of the index at `address` just copied in: flags,
   * level, tags within `limits`, level-0 links. Any thread may check any range (the kernels of the calling
   * thread run it). Returns the range's tombstones and the upper-block bytes its levels need.
   * @throws FEATHER_ERR_CORRUPT naming the first bad node.
   */
  static checkRestored(arena: KernelArena, address: number, first: number, end: number, header: Pick<GraphHeader, 'count' | 'maxLevel'>, limits: TagLimits): { deleted: number; upperBytes: number } {
    const wasm = arena.wasm;
    const failed = wasm.restoreNodes(address, first, end, header.count, header.maxLevel, limits.rows, limits.namespaces, limits.entities);
    if (failed >= 0) throw badGraph(`node ${failed}: ${kRestoreReasons[wasm.lastRestoreReason()] ?? 'invalid'}`, { node: failed });
    return { deleted: wasm.lastRestoreDeleted(), upperBytes: wasm.lastRestoreUpper() };
  }

  /**
   * Phase two of a restore, once every range passed checkRestored: points each node of [first, end) with upper
   * levels at its slice of the upper blocks (copied to `upper`, `upperBytes` long), which starts `at` bytes in
   * (the upper bytes of the ranges before), and checks those links. Any thread may run any range.
   * @throws FEATHER_ERR_CORRUPT naming the first bad node.
   */
  static linkRestored(arena: KernelArena, address: number, first: number, end: number, count: number, upper: number, at: number, upperBytes: number): void {
    const failed = arena.wasm.restoreUpper(address, first, end, count, upper, at, upperBytes);
    if (failed >= 0) throw badGraph(`node ${failed}: ${kRestoreReasons[arena.wasm.lastRestoreReason()] ?? 'invalid'}`, { node: failed });
  }

  /**
   * Rows [first, end) of a row map restored next to the `count` nodes of the index at `address`: every mapped
   * node in range, live and tagged with its row. Returns how many rows map to a node.
   * @throws FEATHER_ERR_CORRUPT naming the first bad row.
   */
  static checkRowMap(arena: KernelArena, address: number, map: number, first: number, end: number, count: number): number {
    const mapped = arena.wasm.checkRowMap(address, map, RowMap.chunkShift, first, end, count);
    if (mapped < 0) throw new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt row map: row ${-mapped - 1} points at a node that is not its own; the file is damaged, restore it from a backup`, { part: 'graph', row: -mapped - 1 });
    return mapped;
  }

  /**
   * The last step of a restore, once both phases ran on every range: checks the totals phase one returned
   * against the header and the upper blocks (`upperBytes`), then publishes the nodes.
   * @throws FEATHER_ERR_CORRUPT.
   */
  finishRestore(header: GraphHeader, upperBytes: number, totals: { deleted: number; upperBytes: number }): void {
    const n = header.count;
    const arena = this.arena;
    if (totals.upperBytes !== upperBytes) throw badGraph(kRestoreReasons[totals.upperBytes > upperBytes ? 4 : 5]);
    const u32 = arena.u32;
    if (totals.deleted !== header.deleted) throw badGraph(`tombstone count ${header.deleted} does not match the nodes (${totals.deleted})`);
    if (n > 0 && (u32[(this.#nodeAddress(header.entry) + kNLevelFlags) >>> 2] & 0xff) !== header.maxLevel) throw badGraph('the entry point is not at the max level');
    if (header.dimOrder !== null) {
      const order = arena.alloc(header.dim * 4);
      arena.u32.set(header.dimOrder, order >>> 2);
      arena.u32[(this.address + kHDimOrder) >>> 2] = order;
      this.#order = Uint32Array.from(header.dimOrder);
    }
    const h = this.address >>> 2;
    const i32 = arena.i32;
    i32[h + kHEntry / 4] = header.entry;
    i32[h + kHMaxLevel / 4] = header.maxLevel;
    i32[h + kHPubEntry / 4] = header.entry;
    i32[h + kHPubMaxLevel / 4] = header.maxLevel;
    u32[h + kHDeleted / 4] = totals.deleted;
    // Atomic store last: readers that see the published count see every node block written above.
    Atomics.store(u32, h + kHPublished / 4, n);
  }

  /** Namespace and entity tags of node `id`. */
  tagsOf(id: number): { namespace: number; entity: number } {
    const node = this.#nodeAddress(id);
    return { namespace: this.arena.u32[(node + kNNamespace) >>> 2], entity: this.arena.u32[(node + kNEntity) >>> 2] };
  }

  /** Every link list of every published node: counts within bounds, ids published, no self links. */
  checkLinks(): string[] {
    const problems: string[] = [];
    const n = this.size;
    const u32 = this.arena.u32;
    const blockWords = 1 + this.m;
    const report = (what: string): FeatherError => {
      problems.push(what);
      return new FeatherError('FEATHER_ERR_INTERNAL', what);
    };
    for (let id = 0; id < n && problems.length === 0; id++) {
      const node = this.#nodeAddress(id);
      try {
        checkLinks(u32, (node + kNCount0) >>> 2, 2 * this.m, n, id, report);
        const level = u32[(node + kNLevelFlags) >>> 2] & 0xff;
        const upper = u32[(node + kNUpper) >>> 2] >>> 2;
        for (let l = 0; l < level; l++) checkLinks(u32, upper + l * blockWords, this.m, n, id, report);
      } catch {
        // recorded in problems
      }
    }
    return problems;
  }

  /** The graph level of node `id`. */
  levelOf(id: number): number {
    this.#checkId(id);
    const node = this.#nodeAddress(id);
    return this.arena.u32[(node + kNLevelFlags) >>> 2] & 0xff;
  }

  /** Bytes of node storage per published node: the level-0 block plus its share of upper links and chunk slack. */
  get strideBytes(): number {
    return this.arena.u32[(this.address + kHStride) >>> 2];
  }

  /** Geometry a reader needs to address nodes without calling into wasm. */
  get geometry(): { chunkShift: number; chunkTable: number; stride: number; vecOff: number } {
    const u32 = this.arena.u32;
    const h = this.address >>> 2;
    return { chunkShift: u32[h + kHChunkShift / 4], chunkTable: u32[h + kHChunkTable / 4], stride: u32[h + kHStride / 4], vecOff: u32[h + kHVecOff / 4] };
  }

  /**
   * Byte address of node `id`'s block, computed here rather than by a wasm call: loaders and checks visit every
   * node, and the call was ~0.35 µs of a ~1 µs per-node budget. The chunk table is read each time (chunks are
   * added as the index grows; they never move).
   */
  #nodeAddress(id: number): number {
    const h = this.address >>> 2;
    const u32 = this.arena.u32;
    const shift = u32[h + kHChunkShift / 4];
    return u32[(u32[h + kHChunkTable / 4] >>> 2) + (id >>> shift)] + (id & ((1 << shift) - 1)) * u32[h + kHStride / 4];
  }

  /** The record row node `id` was tagged with. */
  rowOf(id: number): number {
    this.#checkId(id, this.#reservedCount());
    return this.arena.u32[((this.#nodeAddress(id)) + kNRow) >>> 2];
  }

  #checkId(id: number, limit = this.size): void {
    if (!Number.isInteger(id) || id < 0 || id >= limit) {
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', `node ${describeValue(id)} does not exist: ids run from 0 to ${limit - 1}`, { id });
    }
  }

  #reservedCount(): number {
    return this.arena.u32[(this.address + kHReserved) >>> 2];
  }

  #loadQuery(query: VectorInput, nodes: number, heapCap: number): void {
    checkVector(query, this.dim, 'query');
    this.#ensureScratch(nodes + 1, heapCap);
    this.#writeStorageOrder(query, 0, (this.arena.u32[(this.#scratch + kSQuery) >>> 2]) >>> 2);
    this.arena.wasm.prepareQuery(this.address, this.#scratch);
  }

  #ensureScratch(nodes: number, heapCap: number): void {
    if (this.#scratch !== 0 && nodes <= this.#visitedCap && heapCap <= this.#heapCap) return;
    // Grow geometrically; the old scratch stays in the append-only arena (bounded by 2x the final size).
    // Each capacity grows geometrically, and only when it is the one too small: a search with a larger ef
    // must not double the visited set too.
    const visitedCap = nodes <= this.#visitedCap ? this.#visitedCap : Math.max(nodes, this.#visitedCap * 2, 1024);
    const cap = heapCap <= this.#heapCap ? this.#heapCap : Math.max(heapCap, this.#heapCap * 2, 2 * this.m + 1, 256);
    const s = this.arena.wasm.scratchCreate(visitedCap, cap, this.dim) >>> 0;
    if (s === 0) throw capacityError('allocate search scratch', kWasmErrOutOfMemory);
    this.#scratch = s;
    this.#visitedCap = visitedCap;
    this.#heapCap = cap;
  }

  #readResults(n: number): SearchResult {
    const out = (this.arena.u32[(this.#scratch + kSOut) >>> 2]) >>> 2;
    const u32 = this.arena.u32;
    const f32 = this.arena.f32;
    const ids = new Uint32Array(n);
    const rows = new Uint32Array(n);
    const distances = new Float32Array(n);
    const { chunkShift, chunkTable, stride } = this.geometry;
    const mask = (1 << chunkShift) - 1;
    for (let i = 0; i < n; i++) {
      const id = u32[out + 2 * i];
      ids[i] = id;
      const node = u32[(chunkTable >>> 2) + (id >>> chunkShift)] + (id & mask) * stride;
      rows[i] = u32[(node + kNRow) >>> 2]!;
      distances[i] = f32[out + 2 * i + 1]!;
    }
    return { ids, rows, distances };
  }
}

/** Checks the (count, ids...) list at word `at`: count <= cap, ids < n, no self link. */

function badGraph(what: string, details: Record<string, unknown> = {}): FeatherError {
  return new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt graph section: ${what}; the file is damaged, restore it from a backup`, { part: 'graph', ...details });
}

const kRestoreReasons: Record<number, string> = {
  1: 'unknown flags or a level above the max level',
  2: 'out-of-range tags',
  3: 'a link count or link out of range',
  4: 'upper-level links are shorter than the node levels need',
  5: 'upper-level links are longer than the node levels need',
};

function checkLinks(u32: Uint32Array, at: number, cap: number, n: number, id: number, bad: (what: string, details?: Record<string, unknown>) => FeatherError): void {
  const count = u32[at];
  if (count > cap) throw bad(`node ${id} has ${count} links (at most ${cap})`, { node: id });
  for (let j = 1; j <= count; j++) {
    const link = u32[at + j];
    if (link >= n || link === id) throw bad(`node ${id} links to ${link}`, { node: id });
  }
}

function isZero(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

function capacityError(action: string, rc: number): FeatherError {
  switch (rc) {
    case kWasmErrOutOfMemory:
      return new FeatherError('FEATHER_ERR_CAPACITY', `Could not ${action}: the shared memory reached its 4 GiB limit; split the store or use int8 mode`);
    case kWasmErrChunkTableFull:
      return new FeatherError('FEATHER_ERR_CAPACITY', `Could not ${action}: the node table is full; create the index with a larger maxChunks or chunkShift`);
    default:
      return new FeatherError('FEATHER_ERR_INTERNAL', `Could not ${action}: kernel returned ${rc}`);
  }
}
