import type { KernelArena } from '../arena.js';
import { describeValue, FeatherError } from '../errors.js';
import {
  kFlagDeleted,
  kFlagHidden,
  kHDeleted,
  kHDim,
  kHEfConstruction,
  kHFreeNodes,
  kHM,
  kHRetired,
  kHMetric,
  kHPublished,
  kHReserved,
  kHStride,
  kMetricCode,
  kNEntity,
  kNLevelFlags,
  kNNamespace,
  kNRow,
  kWasmErrScratchTooSmall,
} from '../layout.js';
import { checkDirection, checkInt, checkRows, checkVector, type VectorInput } from '../validate.js';
import { capacityError } from './capacity-error.js';
import { DimensionOrder } from './dimension-order.js';
import { kDefaultHnswOptions, kMaxEf, kMetrics, resolveHnswOptions, type HnswOptions, type Metric } from './hnsw-options.js';
import { geometryOf, headerFlags, nodeAddressOf, screeningOf, storageOf, whenPublished, type IndexGeometry } from './index-header.js';
import { LevelGenerator } from './levels.js';
import { NodeRecycler } from './node-recycler.js';
import { maybeLearnOrder, reserveVector, type ReserveParts } from './node-reserve.js';
import { SearchScratch } from './search-scratch.js';
import type { NodeFilter, NodeTags, SearchOptions, SearchResult } from './types.js';

/** Up to this many nodes, searches scan exactly: cheaper than the graph and always exact. */
const kFlatThreshold = 256;

/**
 * An HNSW index whose vectors, levels and link lists live in a shared kernel memory. One thread reserves
 * nodes (the writer); any number of threads link reserved nodes concurrently and any number can
 * {@link HnswIndex.attach} to the same address and search the published prefix, since chunks never move and
 * nodes become visible only once complete. Options: hnsw-options.ts; file form: graph-export.ts and
 * graph-restore.ts; link checks: graph-checks.ts.
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
  readonly #order: DimensionOrder;
  readonly #scratch: SearchScratch;
  /** What a reserve writes through (node-reserve.ts): one object, not one per reserved row. */
  readonly #parts: ReserveParts;
  /** int8 storage: the clip bound applied before quantising new vectors (Infinity = none). */
  maxAbs: number = Number.POSITIVE_INFINITY;
  /** The writer's bookkeeping of tombstoned, retired and free node slots (node-recycler.ts). */
  readonly recycler: NodeRecycler;

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
    this.#order = new DimensionOrder(arena, address, this.dim);
    this.#scratch = new SearchScratch(arena, this.dim, 2 * this.m + 1);
    this.#parts = { order: this.#order, scratch: this.#scratch };
    this.recycler = new NodeRecycler(arena, address);
  }

  /**
   * Creates an empty index in `arena`.
   * @throws FEATHER_ERR_INVALID_ARGUMENT for unknown options or out-of-range values.
   */
  static create(arena: KernelArena, options: HnswOptions): HnswIndex {
    const o = resolveHnswOptions(options);
    const flags = headerFlags(o);
    const address = arena.wasm.indexCreate(o.dim, kMetricCode[o.metric], o.m, o.efConstruction, o.chunkShift, o.maxChunks, flags);
    if (address < 0) throw capacityError('create the index', address);
    const index = new HnswIndex(arena, address >>> 0, o.efSearch, o.seed);
    index.maxAbs = o.maxAbs;
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

  /** Tombstoned node count (unlinked free slots included: they stay deleted until reused). */
  get deletedCount(): number {
    return this.arena.u32[(this.address + kHDeleted) >>> 2];
  }

  /** Unlinked (retired) slots waiting for reuse, as the writer last published it. */
  get freeNodeCount(): number {
    return Atomics.load(this.arena.u32, (this.address + kHFreeNodes) >>> 2);
  }

  /** True once the writer swapped this index out (markRetired): a thread's handle on it is no longer needed. */
  get retired(): boolean {
    return Atomics.load(this.arena.u32, (this.address + kHRetired) >>> 2) !== 0;
  }

  /**
   * The writer's mark, when a compaction or storage change swaps the index out: every thread's AttachCache
   * then drops its handle and gives its scratch back. The header itself stays allocated (addresses are never
   * reused), so reading the mark is always safe.
   */
  markRetired(): void {
    Atomics.store(this.arena.u32, (this.address + kHRetired) >>> 2, 1);
  }

  /** Distance computations of this handle's last search or insert (a benchmark statistic). */
  get lastDistanceCount(): number {
    return this.#scratch.distanceCount;
  }

  /** Candidates rejected on their int8 codes alone in this handle's last search or insert. */
  get lastScreenedCount(): number {
    return this.#scratch.screenedCount;
  }

  /** `'int8'` when nodes store quantised vectors. */
  get storage(): 'float32' | 'int8' {
    return storageOf(this.arena.u32, this.address);
  }

  /** `'int8'` when nodes carry screening codes. */
  get screening(): 'none' | 'int8' {
    return screeningOf(this.arena.u32, this.address);
  }

  /** Storage position -> input dimension, or null for identity (see dimension-order.ts). */
  get dimensionOrder(): Uint32Array | null {
    return this.#order.current;
  }

  /** Sets the dimension order of an index restored from a file (before its nodes are published). */
  installOrder(order: readonly number[]): void {
    this.#order.install(order);
  }

  /**
   * Inserts a vector; returns its node id (ids are dense, in insert order).
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT (non-finite values, zero vector under cosine), FEATHER_ERR_CAPACITY.
   */
  add(vector: VectorInput, tags?: NodeTags): number {
    checkVector(vector, this.dim, 'vector');
    checkDirection(vector, this.metric, 'vector');
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
    const n = checkRows(vectors, this.dim, this.metric);
    const first = this.reservedCount;
    maybeLearnOrder(this, this.#order, vectors, n);
    for (let r = 0; r < n; r++) this.#reserve(vectors, r * this.dim, tags?.[r]);
    return first;
  }

  /**
   * reserveMany that takes free (retired) slots first, then new ids: the writer's way to add vectors
   * (docs/adr/0008). Returns each row's node, in row order. Only the writer thread may call this.
   */
  reserveManyReusing(vectors: Float32Array, tags: readonly NodeTags[]): Uint32Array {
    const n = checkRows(vectors, this.dim, this.metric);
    maybeLearnOrder(this, this.#order, vectors, n);
    const nodes = new Uint32Array(n);
    for (let r = 0; r < n; r++) nodes[r] = this.#reserve(vectors, r * this.dim, tags[r], this.recycler.take());
    return nodes;
  }

  /**
   * Re-links nodes [first, first + count) around a retiring set (NodeRecycler.beginRepair): the repair pass,
   * run on any thread attached to the index, concurrently with searches and inserts. Returns the lists changed.
   */
  repairRange(first: number, count: number, set: number, bits: number): number {
    const heapCap = Math.max(this.efConstruction, 4 * this.m) + 1;
    const scratch = this.#scratch.ensure(Math.max(this.reservedCount, bits), heapCap);
    let changed = 0;
    for (let id = first; id < first + count; id++) changed += this.arena.wasm.repairNode(this.address, scratch, id, set, bits);
    return changed;
  }

  /** Gives this handle's search scratch back to the arena (the index is being dropped by this thread). */
  releaseScratch(): void {
    this.#scratch.release();
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
   * Reserves the next node id with a generated level and `tags`, its vector not yet written (see rawVector):
   * a loader restoring stored vectors. Link it with insertReserved.
   * @throws FEATHER_ERR_CAPACITY.
   */
  reserveNode(tags: NodeTags, action = 'add a vector'): number {
    const id = this.arena.wasm.reserve(this.address, this.#levels.next(), tags.row, tags.namespace, tags.entity);
    if (id < 0) throw capacityError(action, id);
    return id;
  }

  /** Moves node `id` to another namespace / entity tag (the writer's side of a record update). */
  setTags(id: number, namespace: number, entity: number): void {
    this.#checkId(id, this.reservedCount);
    this.arena.wasm.setTags(this.address, id, namespace, entity);
  }

  /** Links a node reserved by {@link reserveMany} into the graph; thread-safe across attached handles. */
  insertReserved(id: number): void {
    const heapCap = Math.max(this.efConstruction, 2 * this.m) + 1;
    let rc = this.arena.wasm.insert(this.address, this.#scratch.ensure(this.reservedCount, heapCap), id);
    // The writer may reserve more nodes (the next slice of a batch) between reading the count and the kernel
    // reading it: the kernel refuses before changing anything, so grow the visited set and retry.
    while (rc === kWasmErrScratchTooSmall)
      rc = this.arena.wasm.insert(this.address, this.#scratch.ensure(this.reservedCount + 1, heapCap), id);
    if (rc < 0) throw capacityError('link a vector', rc);
  }

  /** Resolves once node `id` is published (visible to searches), never blocking the thread (whenPublished). */
  async whenVisible(id: number): Promise<void> {
    return whenPublished(this.arena.u32, this.address, id);
  }

  /** Ids reserved so far (published or still being linked). */
  get reservedCount(): number {
    return this.arena.u32[(this.address + kHReserved) >>> 2];
  }

  /** Reserves a node (the free slot `slot` when >= 0, else the next id) and writes its vector (node-reserve.ts). */
  #reserve(vector: VectorInput, offset: number, tags: NodeTags | undefined, slot = -1): number {
    return reserveVector(this, this.#parts, vector, offset, tags, slot);
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
    let scratch = this.#loadQuery(query, this.reservedCount, Math.max(ef, k) + 1, options?.filter);
    let n = this.arena.wasm.search(this.address, scratch, k, ef);
    while (n === kWasmErrScratchTooSmall) {
      // The writer reserved more nodes between the count read and the search: grow (geometrically) and retry.
      this.#scratch.ensure(this.reservedCount + 1024, Math.max(ef, k) + 1);
      scratch = this.#loadQuery(query, this.reservedCount, Math.max(ef, k) + 1, options?.filter);
      n = this.arena.wasm.search(this.address, scratch, k, ef);
    }
    if (n < 0) throw capacityError('search', n);
    return this.#results(n);
  }

  /** Exact k-NN by scanning every published node with the same kernels: the oracle and the small-set path. */
  searchExact(query: VectorInput, k: number, filter?: NodeFilter): SearchResult {
    checkInt(k, 'k', 1, kMaxEf);
    const n = this.arena.wasm.flatSearch(this.address, this.#loadQuery(query, this.size, k + 1, filter), k);
    if (n < 0) throw capacityError('search', n);
    return this.#results(n);
  }

  /**
   * Exact k-NN over the listed node ids only (unpublished, tombstoned and filtered-out ones skipped): the
   * planner's path when a filter leaves few candidates. Costs one distance per listed node.
   */
  scanNodes(query: VectorInput, k: number, nodes: Uint32Array, filter?: NodeFilter): SearchResult {
    checkInt(k, 'k', 1, kMaxEf);
    const scratch = this.#loadQuery(query, this.size, k + 1, filter);
    const n = this.arena.wasm.scanNodes(this.address, scratch, k, this.#scratch.list(nodes), nodes.length);
    if (n < 0) throw capacityError('search', n);
    return this.#results(n);
  }

  /**
   * Tombstones node `id`: it keeps routing searches but is never returned again. Returns false when it was
   * already deleted.
   * @throws FEATHER_ERR_NOT_FOUND when the id was never inserted.
   */
  delete(id: number): boolean {
    // Reserved-but-unlinked nodes count: a forget may arrive while a parallel batch is still linking them.
    this.#checkId(id, this.reservedCount);
    if (this.arena.wasm.markDeleted(this.address, id) !== 1) return false;
    this.recycler.noteDeleted(id);
    return true;
  }

  /** True when `id` is published, not tombstoned and not a reused slot still being linked. */
  has(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) return false;
    return (this.arena.u32[(this.nodeAddress(id) + kNLevelFlags) >>> 2] & (kFlagDeleted | kFlagHidden)) === 0;
  }

  /** A copy of the stored vector, in input dimension order (normalised under cosine). */
  getVector(id: number): Float32Array {
    // Reserved nodes have their vectors already (a rebuild may copy them before they are linked).
    this.#checkId(id, this.reservedCount);
    let at = (this.arena.wasm.vectorAddress(this.address, id) >>> 0) >>> 2;
    if (this.storage === 'int8') {
      const staging = this.#scratch.staging();
      this.arena.wasm.dequantize(at << 2, this.dim, staging);
      at = staging >>> 2;
    }
    return this.#order.fromStorage(this.arena.f32.subarray(at, at + this.dim));
  }

  /**
   * `vector` in storage dimension order (a copy): what the kernels compare against. Identity unless the
   * index learned a dimension order from its first bulk load.
   */
  toStorageOrder(vector: VectorInput): Float32Array {
    return this.#order.toStorage(vector);
  }

  /** Namespace and entity tags of node `id`. */
  tagsOf(id: number): { namespace: number; entity: number } {
    const node = this.nodeAddress(id);
    return { namespace: this.arena.u32[(node + kNNamespace) >>> 2], entity: this.arena.u32[(node + kNEntity) >>> 2] };
  }

  /** The graph level of node `id`. */
  levelOf(id: number): number {
    this.#checkId(id);
    return this.arena.u32[(this.nodeAddress(id) + kNLevelFlags) >>> 2] & 0xff;
  }

  /** Bytes of node storage per published node: the level-0 block plus its share of upper links and chunk slack. */
  get strideBytes(): number {
    return this.arena.u32[(this.address + kHStride) >>> 2];
  }

  /** Geometry a reader needs to address nodes without calling into wasm. */
  get geometry(): IndexGeometry {
    return geometryOf(this.arena.u32, this.address);
  }

  /**
   * Byte address of node `id`'s block, computed here rather than by a wasm call: loaders and checks visit every
   * node, and the call was ~0.35 µs of a ~1 µs per-node budget. The chunk table is read each time (chunks are
   * added as the index grows; they never move).
   */
  nodeAddress(id: number): number {
    return nodeAddressOf(this.arena.u32, this.address, id);
  }

  /** The record row node `id` was tagged with. */
  rowOf(id: number): number {
    this.#checkId(id, this.reservedCount);
    return this.arena.u32[(this.nodeAddress(id) + kNRow) >>> 2];
  }

  #checkId(id: number, limit = this.size): void {
    if (!Number.isInteger(id) || id < 0 || id >= limit) {
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', `node ${describeValue(id)} does not exist: ids run from 0 to ${limit - 1}`, { id });
    }
  }

  /** Puts `query` (storage order) in a scratch with room for `nodes` and `heapCap`, and sets the filter; returns the scratch. */
  #loadQuery(query: VectorInput, nodes: number, heapCap: number, filter: NodeFilter | undefined): number {
    checkVector(query, this.dim, 'query');
    const scratch = this.#scratch.ensure(nodes + 1, heapCap);
    this.#order.write(query, 0, this.#scratch.queryWord);
    this.arena.wasm.prepareQuery(this.address, scratch);
    this.#scratch.setFilter(filter);
    return scratch;
  }

  #results(n: number): SearchResult {
    const { chunkShift, chunkTable, stride } = this.geometry;
    const u32 = this.arena.u32;
    const mask = (1 << chunkShift) - 1;
    return this.#scratch.results(n, (id) => u32[(chunkTable >>> 2) + (id >>> chunkShift)] + (id & mask) * stride);
  }
}
