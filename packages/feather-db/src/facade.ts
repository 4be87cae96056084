import {
  checkVector,
  decayedScore,
  describeValue,
  expandChain,
  FeatherError,
  HnswIndex,
  kDefaultDecay,
  KernelArena,
  nodeFileIo,
  GraphLoad,
  readModelSections,
  encode,
  MemoryModel,
  readGeneration,
  RowMap,
  SearchPlanner,
  StoreFileReader,
  similarityOf,
  type Attributes,
  type DecayOptions,
  type Edge,
  type MemoryId,
  type MemoryRecord,
  type Metric,
  type ModelOp,
  type UpsertItem,
  type VectorInput,
} from '@feather-db/core';
import { kernelModule } from '@feather-db/kernels';
import {
  checkAttributes,
  checkBoolean,
  checkEntity,
  checkFields,
  checkFraction,
  checkId,
  checkIds,
  checkK,
  checkName,
  checkNamespace,
  checkOptions,
  checkPatch,
  checkPositiveNumber,
  checkTime,
  kAllNamespaces,
  kFieldKeys,
  type MemoryFields,
} from './input.js';
import { kDefaultModality, resolveOpenOptions, type OpenOptions, type ResolvedOptions } from './options.js';
import type { OpenResult, Reply, StorageChange, WriteResult } from './protocol.js';
import { loadOnMainThread } from './open-load.js';
import { startReaderPool, type ReaderPool } from './readers/reader-pool.js';
import { faultsFromEnv } from './internal-faults.js';
import { StoreFault } from './store-fault.js';
import { WriterThread, type WriterCalls } from './writer/writer-thread.js';
import { toWire } from './writer/writer-service.js';
import { acquireLock } from './writer/lock.js';
import type { AddBatchOptions, AddOptions, ChainHit, ContextChain, ContextChainOptions, PurgeOptions, SearchHit, SearchOptions } from './api.js';
import { rowCount, snapshotMetas, snapshotRows } from './batch-rows.js';
import { checkStoredVector, storedVector } from './stored-vector.js';
import { checkWriteSize, kMaxWriteBytes, upsertBytes } from './write-size.js';
import { LinkQueue, SearchQueue } from './search-queue.js';
import { WriteQueue, type Sent } from './write-queue.js';

const kSearchKeys = ['k', 'ef', 'namespace', 'entity', 'filter', 'halfLife', 'timeWeight', 'modality', 'track', 'includeVector', 'now'] as const;
const kChainKeys = ['k', 'hops', 'namespace', 'modality', 'ef', 'track', 'now'] as const;
/** Rows validated per event-loop turn and sent to the writer per message in addBatch. */
const kBatchSliceRows = 8192;
const kMsPerDay = 86_400_000;

interface ResolvedSearch {
  modality: string;
  k: number;
  ef: number;
  namespace: string | undefined;
  entity: string | undefined;
  filter: Attributes | undefined;
  decay: DecayOptions | undefined;
  track: boolean;
  includeVector: boolean;
  /** The clock of this search (ms): ages for recency, and `lastRecalled` of the hits it tracks. */
  now: number;
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Failure reasons of a readOnly open that read the file while another process saved it: it opens again. */
const kRacedSave = new Set(['wal-ahead', 'raced-save']);

function unwrap<T>(reply: Reply<T>): T {
  if (!reply.ok) throw FeatherError.fromWire(reply.error);
  return reply.value;
}

/**
 * An open Feather store. The main thread validates and routes: every write goes, in call order, to the
 * single writer worker; every search runs in the reader pool against shared memory. The facade keeps a
 * mirror of the memory model, fed the same ops in the same order as the writer's, for synchronous reads
 * (`get`, `count`, `edges`), planning filtered searches and scoring results. Nothing here blocks the event loop.
 */
export class Feather {
  readonly path: string;
  readonly dim: number;
  readonly metric: Metric;
  /** The embedding model id recorded in the file (`options.embeddingModel` of the open that set it), or null. */
  readonly embeddingModel: string | null;
  /** Reader-pool size (from `options.threads`, `FEATHER_LOAD_THREADS` or the core count). */
  readonly threads: number;
  readonly #arena: KernelArena;
  readonly #model: MemoryModel;
  readonly #planner: SearchPlanner;
  /** Every modality's vector space, from the store. */
  readonly #spaces: Record<string, { dim: number; metric: Metric }> = {};
  readonly #efSearch: number;
  readonly #slots: Record<string, number>;
  readonly #handles = new Map<number, HnswIndex>();
  readonly #thread: WriterThread;
  readonly #writer: WriterCalls;
  readonly #pool: ReaderPool;
  /** Releases the cross-process writer lock (undefined for readOnly). */
  readonly #releaseLock: (() => void) | undefined;
  readonly #searches: SearchQueue;
  /** Resolved writes on their way to the writer (group commit) and the linking they started. */
  readonly #writes: WriteQueue;
  #closed: Promise<void> | undefined;
  /** Writes not yet acknowledged; close() lets them finish first. */
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #readOnly: boolean;
  #autoSaving = false;
  /** Milliseconds `open` took: file load, WAL replay and any graph rebuild. */
  loadTimeMs = 0;
  /** Tail of the write order: each write reaches the writer only after the one called before it. */
  #writeOrder: Promise<unknown> = Promise.resolve();
  /** The first fault that closed the store for writes (thread death, failed write or save), and its effects. */
  readonly #fault: StoreFault;

  private constructor(path: string, o: ResolvedOptions, opened: OpenResult, mirror: MemoryModel, arena: KernelArena, thread: WriterThread, pool: ReaderPool, fault: StoreFault, releaseLock: (() => void) | undefined) {
    this.#releaseLock = releaseLock;
    this.path = path;
    this.threads = o.threads;
    this.#arena = arena;
    this.#slots = opened.slots;
    this.#readOnly = o.readOnly;
    for (const m of opened.meta.modalities) this.#spaces[m.name] = { dim: m.dim, metric: m.metric };
    this.dim = this.#spaces[kDefaultModality]!.dim;
    this.metric = this.#spaces[kDefaultModality]!.metric;
    this.#efSearch = o.efSearchGiven ? o.efSearch : opened.meta.efSearch;
    this.embeddingModel = opened.meta.modelId === '' ? null : opened.meta.modelId;
    this.#model = mirror;
    this.#planner = new SearchPlanner(this.#model);
    this.#thread = thread;
    this.#writer = thread.calls;
    this.#pool = pool;
    this.#fault = fault;
    this.#searches = new SearchQueue(pool, o.threads);
    this.#writes = new WriteQueue(
      this.#writer,
      new LinkQueue(pool, o.threads),
      (failure) => this.#fault.fail(failure),
      (walBytes) => this.#maybeAutoSave(walBytes, o.autoSaveWalBytes),
    );
    // Once no write can start, locks a dead thread held in the shared memory are released (searches go on).
    fault.onFailed(() => this.#writes.linked(), () => Object.keys(this.#slots).map((name) => this.#current(name).index.address));
  }

  /**
   * Opens a store, creating it (an empty file and WAL) when `path` does not exist. An existing file is
   * verified and loaded straight into shared memory (persisted graphs are not rebuilt; graphs saved without
   * links are rebuilt in parallel on the pool), then its WAL is replayed. `loadTimeMs` reports how long it took.
   * @throws FEATHER_ERR_INVALID_ARGUMENT (bad options; no dim for a new store), FEATHER_ERR_DIMENSION_MISMATCH
   * (dim, metric or embedding model differ from the file's), FEATHER_ERR_LOCKED, FEATHER_ERR_CORRUPT,
   * FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO, FEATHER_ERR_NOT_FOUND (readOnly and no file).
   */
  static async open(path: string, options?: OpenOptions): Promise<Feather> {
    try {
      return await Feather.#open(path, options);
    } catch (error) {
      // A readOnly open that raced the writer's save read the old file and the new WAL: read both again.
      if (options?.readOnly === true && error instanceof FeatherError && kRacedSave.has(error.details?.['reason'] as string)) return Feather.#open(path, options);
      throw error;
    }
  }

  static async #open(path: string, options?: OpenOptions): Promise<Feather> {
    const started = performance.now();
    const o = resolveOpenOptions(path, options);
    // The lock first: nothing below may read the file while another process could be writing it.
    const releaseLock = o.readOnly ? undefined : acquireLock(path);
    let arena: KernelArena;
    let thread: WriterThread;
    let faults: ReturnType<typeof faultsFromEnv>;
    try {
      // INTERNAL, tests only: a fault plan in FEATHER_INTERNAL_FAULTS (internal-faults.ts); normally undefined.
      faults = faultsFromEnv();
      arena = KernelArena.create();
      // Watched from spawn (writer-thread.ts): a writer that fails to start rejects the open, typed.
      thread = new WriterThread({ memory: arena.memory, module: kernelModule(), faults });
    } catch (error) {
      releaseLock?.();
      throw error;
    }
    const init = { memory: arena.memory, module: kernelModule(), faults };
    const writer = thread.calls;
    const fault = new StoreFault(arena, path);
    void thread.died.catch((error: FeatherError) => fault.fail(error));
    let readers: ReaderPool | undefined;
    let db: Feather | undefined;
    const io = nodeFileIo();
    let file: StoreFileReader | undefined;
    try {
      // One descriptor for every thread: the writer reads the same file as this thread, even if another
      // process replaces it meanwhile (readOnly opens).
      file = io.exists(path) ? StoreFileReader.open(io, path) : undefined;
      // The load is planned here (graphs reserved in the shared memory, bulk sections cut into ~1 MiB tasks)
      // and shared by two cores: this thread reads the model's sections (COLUMNS into shared memory) and builds
      // its mirror with every check, the writer boots and builds its model from a copy of the same bytes, and
      // both then run tasks (copy into the shared memory, checksum, node checks) until none is left; the writer
      // then finishes the load (docs/format.md, "Opening").
      const load = file === undefined ? undefined : GraphLoad.plan(file, arena);
      const sections = file === undefined ? undefined : readModelSections(file, true);
      const spec = { path, modalities: o.modalities, m: o.m, efConstruction: o.efConstruction, efSearch: o.efSearch, modelId: o.embeddingModel, readOnly: o.readOnly, durability: o.durability, fd: file?.fd, load: load?.plan, columns: sections?.kind === 'columns' ? sections.records : undefined };
      const preparing = load === undefined ? undefined : writer.prepare(spec);
      let loaded: MemoryModel | undefined;
      try {
        loaded = file === undefined || load === undefined || sections === undefined ? undefined : await loadOnMainThread(file, io, load, sections);
      } catch (error) {
        // This thread's error first (it checked the model the writer copies); the writer stops before it is thrown.
        load?.abandon();
        await preparing?.catch(() => undefined);
        throw error;
      }
      if (preparing !== undefined) unwrap(await preparing);
      // The writer finishes the load (checksums against the index, totals, publication) and replays the WAL while
      // this thread starts the reader pool, whose threads then boot on a core the load no longer needs.
      const opening = writer.open(spec);
      readers = startReaderPool(o.threads, init, (error, broken) => fault.threadError(error, broken));
      const opened = unwrap(await opening);
      if ((sections?.commitSeq ?? null) !== opened.fileSeq) {
        // Only a readOnly open can see this (a writer holds the lock): another process saved in between.
        throw new FeatherError('FEATHER_ERR_IO', `${path} changed while it was being opened; open it again`, { path, reason: 'raced-save' });
      }
      const mirror = loaded ?? new MemoryModel();
      for (const op of opened.replayedOps) mirror.apply(op);
      db = new Feather(path, o, opened, mirror, arena, thread, readers, fault, releaseLock);
      await db.#finish(opened.pending);
      db.loadTimeMs = performance.now() - started;
      return db;
    } catch (error) {
      if (db !== undefined) {
        await db.close().catch(() => undefined);
      } else {
        await writer.close().catch(() => undefined);
        await Promise.all([readers?.close(true), thread.stop()]).catch(() => undefined);
        fault.closeLeftDescriptors(thread);
        releaseLock?.();
      }
      throw error;
    } finally {
      // Every thread that read through the descriptor is done with it by now.
      file?.close();
    }
  }

  // ---- writes ------------------------------------------------------------------------------------

  /**
   * Adds one memory (or updates it, when `options.id` exists: the vector of that modality and every field
   * given are replaced, the rest kept). Resolves with its id once searches can see it.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_CLOSED.
   */
  add(vector: VectorInput, options?: AddOptions): Promise<{ id: MemoryId }> {
    return this.#track(this.#add(vector, options));
  }

  async #add(vector: VectorInput, options: AddOptions | undefined): Promise<{ id: MemoryId }> {
    this.#checkWritable();
    const o = checkOptions<AddOptions>(options, [...kFieldKeys, 'id', 'modality'], 'options', "{ text: 'hello', namespace: 'user-1' }");
    const modality = this.#checkModality(o.modality, 'options.modality');
    const dim = this.#spaces[modality]!.dim;
    checkVector(vector, dim, 'vector');
    // Validated as stored: float32, and under cosine a direction the kernels can normalise.
    const copy = storedVector(vector, this.#spaces[modality]!.metric, 'vector');
    const id = o.id === undefined ? undefined : checkId(o.id, 'options.id');
    const fields = checkFields(o, 'options');
    checkWriteSize(upsertBytes(fields, dim), 'the memory');
    const ids = await this.#write(
      () => {
        const item: UpsertItem = { ...fields, id: id ?? this.#model.peekAutoId(), modality };
        return { op: { type: 'upsert', items: [item], now: Date.now() }, vectors: { [modality]: copy }, value: [item.id] };
      },
      false,
    );
    return { id: ids[0]! };
  }

  /**
   * Adds many memories in one write; resolves with their ids, in input order, once all are visible. Every
   * row is validated before any is stored. The writer reserves and tags the nodes; the reader pool links
   * them into the one shared graph in parallel while searches keep running.
   */
  addBatch(vectors: Float32Array | readonly VectorInput[], options?: AddBatchOptions): Promise<{ ids: MemoryId[] }> {
    return this.#track(this.#addBatch(vectors, options));
  }

  async #addBatch(vectors: Float32Array | readonly VectorInput[], options: AddBatchOptions | undefined): Promise<{ ids: MemoryId[] }> {
    this.#checkWritable();
    const o = checkOptions<AddBatchOptions>(options, ['ids', 'metas', 'namespace', 'modality'], 'options', "{ metas: [{ text: 'a' }], namespace: 'user-1' }");
    const modality = this.#checkModality(o.modality, 'options.modality');
    const dim = this.#spaces[modality]!.dim;
    const rows = rowCount(vectors, dim);
    const namespace = o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace');
    if (o.ids !== undefined && (!Array.isArray(o.ids) || o.ids.length !== rows)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.ids must be an array of ${rows} ids (one per row), got ${describeValue(o.ids)}`);
    }
    if (o.metas !== undefined && (!Array.isArray(o.metas) || o.metas.length !== rows)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.metas must be an array of ${rows} objects (one per row), got ${describeValue(o.metas)}`);
    }
    // A snapshot at the call: rows, ids and metas are copied now, so a caller that reuses its buffers while
    // the batch waits for its turn changes nothing that is validated or stored.
    const flat = snapshotRows(vectors, rows, dim);
    const ids = o.ids === undefined ? undefined : [...(o.ids as readonly unknown[])];
    const metas = o.metas === undefined ? undefined : snapshotMetas(o.metas as readonly unknown[]);
    return { ids: (await this.#writeSlices(() => this.#batchSlices(flat, ids, metas, rows, dim, modality, namespace), true)).flat() };
  }

  /**
   * Validates every row of the snapshot before any is stored, a slice per event-loop turn (a 300k-row batch
   * must not hold the main thread for the ~100 ms a single pass would take), and returns one upsert per
   * slice: at most kBatchSliceRows rows and kMaxWriteBytes bytes each (one WAL record). Runs in write order,
   * so the batch keeps its place among writes called before and after it.
   */
  async #batchSlices(flat: Float32Array, givenIds: unknown[] | undefined, metas: unknown[] | undefined, rows: number, dim: number, modality: string, namespace: string | undefined): Promise<(() => Prepared<MemoryId[]>)[]> {
    const metric = this.#spaces[modality]!.metric;
    const ids: (MemoryId | undefined)[] = new Array<MemoryId | undefined>(rows);
    const fields: ReturnType<typeof checkFields>[] = new Array<ReturnType<typeof checkFields>>(rows);
    const cuts: number[] = [0];
    let sliceBytes = 0;
    for (let from = 0; from < rows; from += kBatchSliceRows) {
      for (let r = from; r < Math.min(rows, from + kBatchSliceRows); r++) {
        checkStoredVector(flat.subarray(r * dim, (r + 1) * dim), metric, `vectors[${r}]`);
        ids[r] = givenIds === undefined ? undefined : checkId(givenIds[r], `options.ids[${r}]`);
        const meta = metas === undefined ? {} : checkOptions<MemoryFields>(metas[r], kFieldKeys, `options.metas[${r}]`, "{ text: 'a' }");
        fields[r] = { namespace, ...checkFields(meta, `options.metas[${r}]`) };
        if (fields[r]!.namespace === undefined) delete fields[r]!.namespace;
        const bytes = upsertBytes(fields[r]!, dim);
        checkWriteSize(bytes, `vectors[${r}] with options.metas[${r}]`);
        if (r - cuts[cuts.length - 1]! >= kBatchSliceRows || sliceBytes + bytes > kMaxWriteBytes) {
          cuts.push(r);
          sliceBytes = 0;
        }
        sliceBytes += bytes;
      }
      await yieldToLoop();
    }
    cuts.push(rows);
    const slices: (() => Prepared<MemoryId[]>)[] = [];
    for (let c = 0; c + 1 < cuts.length; c++) {
      const from = cuts[c]!;
      const to = cuts[c + 1]!;
      slices.push(() => {
        // Auto ids continue after every integer id in use, including this slice's explicit ones.
        let next = this.#model.peekAutoId();
        for (let r = from; r < to; r++) if (typeof ids[r] === 'number') next = Math.max(next, (ids[r] as number) + 1);
        const items: UpsertItem[] = [];
        for (let r = from; r < to; r++) items.push({ ...fields[r], id: ids[r] ?? next++, modality });
        return { op: { type: 'upsert', items, now: Date.now() }, vectors: { [modality]: flat.slice(from * dim, to * dim) }, value: items.map((i) => i.id) };
      });
    }
    return slices;
  }

  /**
   * Changes a memory's text, entity, importance or attributes (attributes are replaced as a whole).
   * Resolves with the updated memory.
   * @throws FEATHER_ERR_NOT_FOUND (and changes nothing) for an unknown id.
   */
  update(id: MemoryId, patch: { text?: string; entity?: string | null; importance?: number; attributes?: Attributes }): Promise<MemoryRecord> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        const checkedId = checkId(id, 'id');
        const checked = checkPatch(patch);
        // The record as this update left it, read right after it applied: a forget queued behind it cannot
        // make the update resolve undefined.
        return this.#write<MemoryRecord>(() => ({ op: { type: 'update', id: checkedId, patch: checked }, value: undefined, after: () => this.#model.record(this.#model.rowOf(checkedId)!)! }), false);
      })(),
    );
  }

  /**
   * Adds a typed, weighted edge from one memory to another (re-weights an existing edge of that type).
   * @throws FEATHER_ERR_NOT_FOUND for an unknown id, FEATHER_ERR_INVALID_ARGUMENT for a bad type or weight.
   */
  link(from: MemoryId, to: MemoryId, options?: { type?: string; weight?: number }): Promise<void> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        const a = checkId(from, 'from');
        const b = checkId(to, 'to');
        const o = checkOptions<{ type?: string; weight?: number }>(options, ['type', 'weight'], 'options', "{ type: 'caused_by', weight: 0.8 }");
        const edgeType = o.type === undefined ? 'related_to' : checkName(o.type, 'options.type', 'edge type');
        const weight = o.weight ?? 1;
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
          throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.weight must be a finite number >= 0, got ${describeValue(weight)}`);
        }
        await this.#write(() => ({ op: { type: 'link', from: a, to: b, edgeType, weight }, value: undefined }), false);
      })(),
    );
  }

  /**
   * Forgets memories (and their edges); resolves with how many were forgotten.
   * @throws FEATHER_ERR_NOT_FOUND (and forgets nothing) when any id does not exist.
   */
  forget(idOrIds: MemoryId | readonly MemoryId[]): Promise<number> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        const ids = checkIds(idOrIds, 'ids');
        return this.#forgetWhere(() => ids);
      })(),
    );
  }

  /**
   * Forgets every memory of `namespace` (`'*'`: all namespaces) that was neither created nor recalled within
   * the `olderThanDays` days before `now` (absent: every memory of the namespace). Resolves with the count.
   */
  purge(options: PurgeOptions): Promise<number> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        const o = checkOptions<Partial<PurgeOptions>>(options, ['namespace', 'olderThanDays', 'now'], 'options', "{ namespace: 'user-1', olderThanDays: 30 }");
        if (o.namespace === undefined) {
          throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', "options.namespace is required: name one, or pass '*' to purge every namespace");
        }
        const namespace = o.namespace === kAllNamespaces ? undefined : checkNamespace(o.namespace, 'options.namespace');
        const days = o.olderThanDays === undefined ? undefined : checkPositiveNumber(o.olderThanDays, 'options.olderThanDays');
        const now = o.now === undefined ? undefined : checkTime(o.now, 'options.now');
        return this.#forgetWhere(() => {
          // The clock is read when the purge reaches its turn in the write order, unless the caller fixed it.
          const cutoff = days === undefined ? Number.POSITIVE_INFINITY : (now ?? Date.now()) - days * kMsPerDay;
          const ids: MemoryId[] = [];
          for (const row of this.#model.liveRows()) {
            const r = this.#model.record(row)!;
            if (namespace !== undefined && r.namespace !== namespace) continue;
            if (r.timestamp < cutoff && (r.lastRecalled === null || r.lastRecalled < cutoff)) ids.push(r.id);
          }
          return ids;
        });
      })(),
    );
  }

  /** Forgets every memory of one entity in one namespace; resolves with the count. */
  deleteByEntity(options: { namespace: string; entity: string }): Promise<number> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        const o = checkOptions<{ namespace?: string; entity?: string }>(options, ['namespace', 'entity'], 'options', "{ namespace: 'user-1', entity: 'travel' }");
        const namespace = checkNamespace(o.namespace, 'options.namespace');
        const entity = checkName(o.entity, 'options.entity', 'entity');
        return this.#forgetWhere(() => {
          const ns = this.#model.namespaceId(namespace);
          const ent = this.#model.entityId(entity);
          if (ns === undefined || ent === undefined) return [];
          return [...this.#model.scopeRows(ns, ent)].map((row) => this.#model.record(row)!.id);
        });
      })(),
    );
  }

  /**
   * Rebuilds every modality's graph from its live memories only, in parallel on the reader pool, and swaps
   * it in atomically. Searches keep running on the old graph meanwhile; writes wait.
   */
  compact(): Promise<void> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        await this.#rebuild(Object.keys(this.#slots), undefined);
      })(),
    );
  }

  /**
   * Writes the whole store atomically (`<path>.tmp`, fsync, rename, fsync of the directory) and starts an
   * empty WAL: the file then holds every write acknowledged before the call. With `path`, writes a copy there
   * instead and keeps the store bound to its own file and WAL (a readOnly store can only do this).
   * `graph`: 'auto' (default) persists each graph unless more than 10% of its nodes are tombstones (then the
   * next open rebuilds it tight, in parallel); 'always' / 'never' force it.
   */
  save(path?: string, options?: { graph?: 'auto' | 'always' | 'never' }): Promise<{ bytes: number; ms: number }> {
    return this.#track(
      (async () => {
        this.#checkOpen();
        const target = path === undefined ? undefined : checkName(path, 'path', 'file');
        if (this.#readOnly && (target === undefined || target === this.path)) {
          throw new FeatherError('FEATHER_ERR_READ_ONLY', `${this.path} was opened readOnly: save it to another path, or reopen it writable`);
        }
        const o = checkOptions<{ graph?: 'auto' | 'always' | 'never' }>(options, ['graph'], 'options', "{ graph: 'auto' }");
        const graph = o.graph ?? 'auto';
        if (graph !== 'auto' && graph !== 'always' && graph !== 'never') throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.graph must be 'auto', 'always' or 'never', got ${describeValue(graph)}`);
        return this.#inOrder(async () => {
          if (this.#fault.failure !== undefined) throw this.#fault.failure;
          await this.#writes.drain();
          // Nodes still being linked would be saved half-linked: wait for every job first.
          await this.#writes.linked();
          const saved = unwrap(await this.#writer.save(target, graph));
          return { bytes: saved.bytes, ms: saved.ms };
        });
      })(),
    );
  }

  /**
   * Stores `modality`'s vectors as int8 with a per-vector scale (~3.5× less vector memory; recall@10 stays
   * >= 0.9 on the benchmark sets). Rebuilds that modality's graph like compact(). `maxAbs` clips values
   * beyond ±maxAbs first (default: no clipping; per-vector scales make a global bound unnecessary).
   */
  setInt8Ram(modality: string = kDefaultModality, options?: { maxAbs?: number }): Promise<void> {
    return this.#track(
      (async () => {
        this.#checkWritable();
        const name = this.#checkModality(modality, 'modality');
        const o = checkOptions<{ maxAbs?: number }>(options, ['maxAbs'], 'options', '{ maxAbs: 1 }');
        const maxAbs = o.maxAbs === undefined ? Number.POSITIVE_INFINITY : checkPositiveNumber(o.maxAbs, 'options.maxAbs');
        await this.#rebuild([name], { modality: name, storage: 'int8', maxAbs });
      })(),
    );
  }

  // ---- reads -------------------------------------------------------------------------------------

  /**
   * The nearest memories to `query`, best first, scoped and filtered as asked, re-ranked by the decayed
   * score when `halfLife` or `timeWeight` is set. Runs in the reader pool; never waits for writes.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT.
   */
  async search(query: VectorInput, options?: SearchOptions): Promise<SearchHit[]> {
    this.#checkOpen();
    const s = this.#resolveSearch(query, options);
    const hits = await this.#search(query, s);
    if (s.track && hits.length > 0) this.#touch(hits.map((h) => h.id), s.now);
    return hits;
  }

  /**
   * Vector-search seeds (hop 0) expanded breadth-first over outgoing and incoming edges up to `hops`; each
   * memory scored (seeds: similarity; hop h: parent score · 0.5 · edge weight · importance · stickiness) and
   * sorted by score. With `namespace`, neither the seeds nor the walk leave it.
   */
  async contextChain(query: VectorInput, options?: ContextChainOptions): Promise<ContextChain> {
    this.#checkOpen();
    const o = checkOptions<ContextChainOptions>(options, kChainKeys, 'options', '{ k: 5, hops: 2 }');
    const hops = o.hops ?? 2;
    if (typeof hops !== 'number' || !Number.isInteger(hops) || hops < 0 || hops > 16) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.hops must be an integer in [0, 16], got ${describeValue(hops)}`);
    }
    const s = this.#resolveSearch(query, { k: o.k ?? 5, ef: o.ef, namespace: o.namespace, modality: o.modality, track: o.track, now: o.now });
    const seeds = await this.#search(query, s);
    const chain = expandChain(this.#model, seeds.map((h) => ({ row: this.#model.rowOf(h.id)!, similarity: h.similarity })), hops, s.namespace);
    const nodes: ChainHit[] = chain.nodes.map((n) => ({ ...this.#model.record(n.row)!, hop: n.hop, score: n.score, similarity: n.similarity }));
    if (s.track && nodes.length > 0) this.#touch(nodes.map((n) => n.id), s.now);
    return { nodes, edges: chain.edges };
  }

  /** The memory with this id, or undefined. Synchronous. */
  get(id: MemoryId): MemoryRecord | undefined {
    this.#checkOpen();
    const row = this.#model.rowOf(checkId(id, 'id'));
    return row === undefined ? undefined : this.#model.record(row);
  }

  /** The stored vector of a memory in one modality (unit length under cosine), or undefined. Synchronous. */
  getVector(id: MemoryId, modality: string = kDefaultModality): Float32Array | undefined {
    this.#checkOpen();
    const row = this.#model.rowOf(checkId(id, 'id'));
    return row === undefined ? undefined : this.#vectorOf(row, this.#checkModality(modality, 'modality'));
  }

  /** The memory added last (optionally within a namespace), or undefined. Synchronous. */
  getLast(options?: { namespace?: string }): MemoryRecord | undefined {
    this.#checkOpen();
    const o = checkOptions<{ namespace?: string }>(options, ['namespace'], 'options', "{ namespace: 'user-1' }");
    const row = this.#model.lastRow(o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'));
    return row === undefined ? undefined : this.#model.record(row);
  }

  /** A memory's outgoing and incoming edges. @throws FEATHER_ERR_NOT_FOUND for an unknown id. */
  edges(id: MemoryId): { outgoing: Edge[]; incoming: Edge[] } {
    this.#checkOpen();
    const checked = checkId(id, 'id');
    const row = this.#model.rowOf(checked);
    if (row === undefined) throw new FeatherError('FEATHER_ERR_NOT_FOUND', `memory ${JSON.stringify(checked)} does not exist (never added, or forgotten)`, { id: checked });
    return this.#model.edgesOf(row);
  }

  /** Live memories, in one namespace or all. Synchronous. */
  count(options?: { namespace?: string }): number {
    this.#checkOpen();
    const o = checkOptions<{ namespace?: string }>(options, ['namespace'], 'options', "{ namespace: 'user-1' }");
    return this.#model.count(o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'));
  }

  /** Namespaces holding at least one memory, sorted. Synchronous. */
  listNamespaces(): string[] {
    this.#checkOpen();
    return this.#model.listNamespaces();
  }

  /** Memory use and graph state, for monitoring and benchmarks. */
  stats(): { memories: number; namespaces: number; memoryBytes: number; modalities: Record<string, { storage: 'float32' | 'int8'; nodes: number; tombstones: number; strideBytes: number }> } {
    this.#checkOpen();
    const modalities: Record<string, { storage: 'float32' | 'int8'; nodes: number; tombstones: number; strideBytes: number }> = {};
    for (const name of Object.keys(this.#slots)) {
      const index = this.#current(name).index;
      modalities[name] = { storage: index.storage, nodes: index.size, tombstones: index.deletedCount, strideBytes: index.strideBytes };
    }
    return { memories: this.#model.size, namespaces: this.#model.listNamespaces().length, memoryBytes: this.#arena.bytesUsed(), modalities };
  }

  /**
   * Waits for queued writes, then cross-checks the writer's model, row maps and graphs (every live memory
   * findable, every link valid) and that this thread's mirror equals the writer's model. For tests, crash
   * recovery checks and paranoid operators; cost grows with the store (a full pass over every node).
   */
  async checkIntegrity(): Promise<{ ok: boolean; problems: string[] }> {
    this.#checkOpen();
    return this.#inOrder(async () => {
      await this.#writes.drain();
      await this.#writes.linked();
      const { problems, snapshot } = unwrap(await this.#writer.verify());
      const mirror = encode(this.#model.toSnapshot());
      if (mirror.length !== snapshot.length || !mirror.every((b, i) => b === snapshot[i])) problems.push("the facade's mirror differs from the writer's model");
      return { ok: problems.length === 0, problems };
    });
  }

  /** Reader threads currently alive in the pool (equals `threads` once the pool has started them). */
  get readerThreads(): number {
    return this.#pool.threads;
  }

  /** Ends the writer and every reader thread after in-flight writes finish. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      await this.#inOrder(() => this.#writes.drain()).catch(() => undefined);
      // Rejects at once if the writer is dead; everything below runs either way, so close() always settles.
      const closed = await this.#writer.close().catch((error: unknown) => ({ ok: false as const, error: toWire(error) }));
      await Promise.all([this.#pool.close(false), this.#thread.stop()]);
      this.#fault.closeLeftDescriptors(this.#thread);
      this.#releaseLock?.();
      unwrap(closed);
    })();
    return this.#closed;
  }

  // ---- internals ---------------------------------------------------------------------------------

  #resolveSearch(query: VectorInput, options: SearchOptions | undefined): ResolvedSearch {
    const o = checkOptions<SearchOptions>(options, kSearchKeys, 'options', '{ k: 10 }');
    const modality = this.#checkModality(o.modality, 'options.modality');
    checkVector(query, this.#spaces[modality]!.dim, 'query');
    const k = o.k === undefined ? 10 : checkK(o.k, 'options.k');
    const ef = o.ef === undefined ? this.#efSearch : checkK(o.ef, 'options.ef');
    const decay =
      o.halfLife === undefined && o.timeWeight === undefined
        ? undefined
        : {
            halfLife: o.halfLife === undefined ? kDefaultDecay.halfLife : checkPositiveNumber(o.halfLife, 'options.halfLife'),
            timeWeight: o.timeWeight === undefined ? kDefaultDecay.timeWeight : checkFraction(o.timeWeight, 'options.timeWeight'),
          };
    return {
      modality,
      k,
      ef,
      namespace: o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace'),
      entity: o.entity === undefined ? undefined : (checkEntity(o.entity, 'options.entity') ?? undefined),
      filter: o.filter === undefined ? undefined : checkAttributes(o.filter, 'options.filter'),
      decay,
      track: o.track === undefined ? true : checkBoolean(o.track, 'options.track'),
      includeVector: o.includeVector === undefined ? false : checkBoolean(o.includeVector, 'options.includeVector'),
      now: o.now === undefined ? Date.now() : checkTime(o.now, 'options.now'),
    };
  }

  async #search(query: VectorInput, s: ResolvedSearch): Promise<SearchHit[]> {
    const spec = this.#spaces[s.modality]!;
    const plan = this.#planner.plan({ modality: s.modality, ef: Math.max(s.ef, s.k), namespace: s.namespace, entity: s.entity, filter: s.filter });
    if (plan.kind === 'empty') return [];
    // Decayed scoring re-ranks the whole candidate pool, not the top k by similarity.
    const want = s.decay === undefined ? s.k : Math.max(s.k, s.ef);
    const { rows, distances } = await this.#searches.run({ vector: storedVector(query, spec.metric, 'query'), slot: this.#slots[s.modality]!, k: want, ef: Math.max(s.ef, want), plan });
    const now = s.now;
    // Scored from the scoring fields alone; only the k kept become records (a record decodes its text).
    const scored: { row: number; score: number; similarity: number }[] = [];
    for (let i = 0; i < rows.length; i++) {
      // A row forgotten after the search started is skipped: results follow the acknowledged state.
      const fields = this.#model.scoringFields(rows[i]!);
      if (fields === undefined) continue;
      const similarity = similarityOf(spec.metric, distances[i]!);
      scored.push({ row: rows[i]!, score: s.decay === undefined ? similarity : decayedScore(similarity, fields, now, s.decay), similarity });
    }
    if (s.decay !== undefined) scored.sort((a, b) => b.score - a.score);
    if (scored.length > s.k) scored.length = s.k;
    const hits: SearchHit[] = scored.map(({ row, score, similarity }) => ({ ...this.#model.record(row)!, score, similarity }));
    if (s.includeVector) for (const hit of hits) hit.vector = this.#vectorOf(this.#model.rowOf(hit.id)!, s.modality);
    return hits;
  }

  /**
   * Bumps recall counts: in the mirror at once (a read after the search sees it), in the writer in write
   * order. Never awaited by the search that caused it.
   */
  #touch(ids: MemoryId[], at: number): void {
    if (this.#readOnly) return;
    const op: ModelOp = { type: 'touch', rows: ids.map((id) => this.#model.rowOf(id)!), at };
    this.#model.apply(op);
    this.#track(this.#write(() => ({ op, value: undefined, mirrored: true }), false)).catch(() => undefined);
  }

  #forgetWhere(select: () => MemoryId[]): Promise<number> {
    return this.#write(() => {
      const ids = select();
      return { op: { type: 'forget', ids }, value: new Set(ids.map((id) => this.#model.rowOf(id) ?? id)).size };
    }, false);
  }

  /** One write: prepared (reading the mirror) and applied in call order, then finished (linked, visible). */
  async #write<T>(prepare: () => Prepared<T>, parallel: boolean): Promise<T> {
    return (await this.#writeSlices(() => Promise.resolve([prepare]), parallel))[0]!;
  }

  /**
   * Applies prepared ops back to back in one turn of the write order (so nothing interleaves), each to the
   * mirror and then the writer, and resolves once their index work is done and visible. A prepare that throws
   * (an unknown id, say) changes nothing.
   */
  async #writeSlices<T>(validate: () => Promise<(() => Prepared<T>)[]>, parallel: boolean): Promise<T[]> {
    const { values, sent } = await this.#inOrder(async () => {
      const out: T[] = [];
      const results: Promise<Sent>[] = [];
      for (const prepare of await validate()) {
        // Not #checkOpen(): a write called before close() still runs; close() waits for it.
        if (this.#fault.failure !== undefined) throw this.#fault.failure;
        const { op, vectors, value, mirrored, after } = prepare();
        if (op.type === 'forget' && op.ids.length === 0) {
          out.push(value as T);
          continue;
        }
        if (mirrored !== true) this.#model.apply(op);
        results.push(this.#writes.send({ op, vectors: vectors ?? {}, parallel }));
        out.push(after === undefined ? (value as T) : after());
      }
      return { values: out, sent: results };
    });
    for (const result of await Promise.all(sent)) await this.#finish(result);
    return values;
  }

  /** Waits for a write's reserved nodes to be linked on the pool and published by every touched index. */
  async #finish(sent: Sent | WriteResult): Promise<void> {
    const { result, linking } = 'linking' in sent ? sent : { result: sent, linking: this.#writes.link(sent.jobs) };
    await linking;
    // A failed insert or a dead thread stops `published` short of these nodes: the fault ends the wait.
    for (const { index, node } of result.visible) await this.#fault.guard(this.#handle(index).whenVisible(node));
  }

  #rebuild(modalities: string[], change: StorageChange | undefined): Promise<void> {
    return this.#inOrder(async () => {
      if (this.#fault.failure !== undefined) throw this.#fault.failure;
      // Earlier batches may still be linking: let them finish so every vector is final before it is copied.
      await this.#writes.drain();
      await this.#writes.linked();
      const begun = unwrap(await this.#writer.beginRebuild(modalities, change));
      await this.#finish(begun);
      unwrap(await this.#writer.commitRebuild());
    });
  }

  #current(modality: string): { index: HnswIndex; rows: RowMap } {
    const generation = readGeneration(this.#arena, this.#slots[modality]!);
    return { index: this.#handle(generation.index), rows: RowMap.attach(this.#arena, generation.rowMap) };
  }

  #vectorOf(row: number, modality: string): Float32Array | undefined {
    const { index, rows } = this.#current(modality);
    const node = rows.get(row);
    return node < 0 ? undefined : index.getVector(node);
  }

  #handle(address: number): HnswIndex {
    let index = this.#handles.get(address);
    if (index === undefined) this.#handles.set(address, (index = HnswIndex.attach(this.#arena, address)));
    return index;
  }

  #checkModality(value: unknown, path: string): string {
    if (value === undefined) return kDefaultModality;
    if (typeof value !== 'string' || !(value in this.#spaces)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path} must be one of the store's modalities (${Object.keys(this.#spaces).join(', ')}), got ${describeValue(value)}; declare more with open({ modalities })`);
    }
    return value;
  }

  /** Runs `submit` after every write called earlier has been submitted, keeping call order at the writer. */
  #inOrder<T>(submit: () => Promise<T>): Promise<T> {
    const run = this.#writeOrder.then(submit);
    this.#writeOrder = run.catch(() => undefined);
    return run;
  }

  #track<T>(write: Promise<T>): Promise<T> {
    this.#inflight.add(write);
    const done = (): void => void this.#inflight.delete(write);
    write.then(done, done);
    return write;
  }

  /**
   * Folds the WAL into the file once it passes the threshold (one automatic save at a time, in write order).
   * A failed automatic save fails the store closed (see StoreFault).
   */
  #maybeAutoSave(walBytes: number, threshold: number): void {
    if (threshold === 0 || walBytes < threshold || this.#autoSaving || this.#closed !== undefined || this.#fault.failure !== undefined) return;
    this.#autoSaving = true;
    this.save()
      // Nobody awaits an automatic save: its failure fails the store closed instead of vanishing (writes are
      // refused with it; every acknowledged write is in the WAL, which the next open replays).
      .catch((error: unknown) => {
        if (error instanceof FeatherError && error.code !== 'FEATHER_ERR_CLOSED') this.#fault.fail(new FeatherError(error.code, `An automatic save failed: ${error.message}`, error.details, { cause: error }));
      })
      .finally(() => {
        this.#autoSaving = false;
      });
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#fault.failure !== undefined) throw this.#fault.failure;
    if (this.#readOnly) throw new FeatherError('FEATHER_ERR_READ_ONLY', `${this.path} was opened readOnly; open it without readOnly to change it (one writer process at a time)`, { path: this.path });
  }

  /** Reads go on after a fault (docs/threading.md, "When a thread dies"); writes and saves do not. */
  #checkOpen(): void {
    if (this.#closed !== undefined) throw new FeatherError('FEATHER_ERR_CLOSED', `the store ${this.path} is closed; open it again to use it`);
  }
}

interface Prepared<T> {
  op: ModelOp;
  /** Already applied to the mirror (recall tracking). */
  mirrored?: boolean;
  vectors?: Record<string, Float32Array>;
  /** What the write resolves with, or (`after`) computed right after the mirror applied the op. */
  value: T | undefined;
  after?: () => T;
}

