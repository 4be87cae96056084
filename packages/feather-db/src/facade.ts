import { Worker } from 'node:worker_threads';
import { checkInt, checkKnownKeys, checkVector, describeValue, FeatherError, HnswIndex, KernelArena, type Metric, type VectorInput } from '@feather-db/core';
import { kernelModule } from '@feather-db/kernels';
import { releaseProxy, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Piscina } from 'piscina';
import { resolveOpenOptions, type OpenOptions, type ResolvedOptions } from './options.js';
import type { InsertReply, PoolTask, ReaderInit, Reply, SearchReply, WriterApi } from './protocol.js';

/** One search hit, best first. */
export interface SearchHit {
  id: number;
  /** Ranking score; equals `similarity` until time-decay scoring arrives. */
  score: number;
  /** cosine: cos θ; ip: dot product; l2: 1 / (1 + squared distance). */
  similarity: number;
}

/** Options of {@link Feather.search}. */
export interface SearchOptions {
  /** Results wanted. Default 10. Fewer come back when fewer memories exist. */
  k?: number;
  /** Candidate list size; higher is slower and more exact. Default: the store's efSearch. */
  ef?: number;
}

const kSearchKeys = ['k', 'ef'] as const;
/** Nodes per insert task: small enough that `published` advances smoothly, large enough to amortise a task. */
const kInsertTaskSize = 128;
/** Rows validated per event-loop turn and sent to the writer per message in addBatch. */
const kBatchSliceRows = 8192;
/** Most searches packed into one pool task when they queue up. */
const kMaxSearchBatch = 32;
/** Pool tasks kept in flight per reader thread, so a worker always has the next task waiting. */
const kTasksPerThread = 2;

interface PendingSearch {
  query: Float32Array;
  k: number;
  ef: number;
  resolve: (value: { ids: Uint32Array; distances: Float32Array }) => void;
  reject: (error: unknown) => void;
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function unwrap<T>(reply: Reply<T>): T {
  if (!reply.ok) throw FeatherError.fromWire(reply.error);
  return reply.value;
}

function similarityOf(metric: Metric, distance: number): number {
  return metric === 'l2' ? 1 / (1 + distance) : 1 - distance;
}

/**
 * An open Feather store. The main thread only validates and routes: every write goes, in order, to the
 * single writer worker; every search runs in the reader pool against shared memory. Nothing here blocks
 * the event loop.
 */
export class Feather {
  readonly path: string;
  readonly dim: number;
  readonly metric: Metric;
  /** Reader-pool size (from `options.threads`, `FEATHER_LOAD_THREADS` or the core count). */
  readonly threads: number;
  readonly #index: HnswIndex;
  readonly #worker: Worker;
  readonly #writer: Remote<WriterApi>;
  readonly #pool: Piscina<PoolTask, SearchReply | InsertReply>;
  #closed: Promise<void> | undefined;
  /** Writes not yet acknowledged; close() lets them finish first. */
  readonly #inflight = new Set<Promise<unknown>>();
  /** Tail of the write order: each write reaches the writer only after the one called before it. */
  #writeOrder: Promise<unknown> = Promise.resolve();
  /** Searches waiting for a pool slot; packed into tasks by #pump. */
  #queue: PendingSearch[] = [];
  #searchTasks = 0;
  #failure: FeatherError | undefined;

  private constructor(path: string, o: ResolvedOptions, index: HnswIndex, worker: Worker, writer: Remote<WriterApi>, pool: Piscina<PoolTask, SearchReply | InsertReply>) {
    this.path = path;
    this.dim = o.dim;
    this.metric = o.metric;
    this.threads = o.threads;
    this.#index = index;
    this.#worker = worker;
    this.#writer = writer;
    this.#pool = pool;
    worker.on('error', (error) => {
      this.#failure = new FeatherError('FEATHER_ERR_INTERNAL', `The writer worker crashed: ${error.message}; reopen the store`, undefined, { cause: error });
    });
  }

  /**
   * Opens a store. Until the file format lands, a new path gives an empty in-memory store.
   * @throws FEATHER_ERR_INVALID_ARGUMENT for a bad path, unknown options or out-of-range values.
   */
  static async open(path: string, options: OpenOptions): Promise<Feather> {
    const o = resolveOpenOptions(path, options);
    const arena = KernelArena.create();
    const module = kernelModule();
    const worker = new Worker(new URL('./writer/writer.worker.js', import.meta.url), { workerData: { memory: arena.memory, module } });
    const writer = wrap<WriterApi>(nodeEndpoint(worker));
    try {
      const { address } = unwrap(await writer.init({ dim: o.dim, metric: o.metric, m: o.m, efConstruction: o.efConstruction, efSearch: o.efSearch }));
      const readerInit: ReaderInit = { memory: arena.memory, module, address, efSearch: o.efSearch };
      const pool = new Piscina<PoolTask, SearchReply | InsertReply>({
        filename: new URL('./readers/pool.worker.js', import.meta.url).href,
        minThreads: o.threads,
        maxThreads: o.threads,
        idleTimeout: Number.POSITIVE_INFINITY,
        workerData: readerInit,
      });
      return new Feather(path, o, HnswIndex.attach(arena, address, o.efSearch), worker, writer, pool);
    } catch (error) {
      writer[releaseProxy]();
      await worker.terminate();
      throw error;
    }
  }

  /**
   * Adds one memory; resolves with its id once searches can see it.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_CLOSED.
   */
  add(vector: VectorInput): Promise<{ id: number }> {
    return this.#track(this.#add(vector));
  }

  async #add(vector: VectorInput): Promise<{ id: number }> {
    this.#checkOpen();
    checkVector(vector, this.dim, 'vector');
    const copy = Float32Array.from(vector);
    const id = unwrap(await this.#inOrder<Reply<number>>(() => this.#writer.add(copy) as Promise<Reply<number>>));
    // Linked now, but visible only once every earlier write (a batch still building) is linked too.
    await this.#index.whenVisible(id);
    return { id };
  }

  /**
   * Adds many memories in one write; resolves with their ids, in input order, once all are visible.
   * Every row is validated before any is inserted. The writer reserves the ids and writes the vectors;
   * the reader pool then links them into the one shared graph in parallel (`threads` workers), while
   * searches keep running and see each node as soon as it and every node before it are linked.
   */
  addBatch(vectors: Float32Array | readonly VectorInput[]): Promise<{ ids: number[] }> {
    return this.#track(this.#addBatch(vectors));
  }

  async #addBatch(vectors: Float32Array | readonly VectorInput[]): Promise<{ ids: number[] }> {
    this.#checkOpen();
    const rows = this.#rowCount(vectors);
    const ids: number[] = [];
    const tasks: Promise<unknown>[] = [];
    await this.#inOrder(async () => {
      // Validate every row before inserting any, a slice per event-loop turn: a 300k-row batch must not
      // hold the main thread for the ~100 ms a single pass would take.
      for (let r = 0; r < rows; r += kBatchSliceRows) {
        this.#slice(vectors, r, Math.min(rows, r + kBatchSliceRows), true);
        await yieldToLoop();
      }
      // Then send it to the writer a slice at a time (bounded copies on this thread) and start linking each
      // slice on the pool as soon as it is reserved. Later writes may go to the writer once this is done.
      for (let r = 0; r < rows; r += kBatchSliceRows) {
        const { first, count } = unwrap(await this.#writer.reserveBatch(this.#slice(vectors, r, Math.min(rows, r + kBatchSliceRows), false)));
        for (let i = 0; i < count; i++) ids.push(first + i);
        for (let at = first; at < first + count; at += kInsertTaskSize) {
          const n = Math.min(kInsertTaskSize, first + count - at);
          tasks.push(this.#pool.run({ type: 'insert', first: at, count: n }).then((reply) => unwrap(reply as InsertReply)));
        }
      }
    });
    try {
      await Promise.all(tasks);
    } catch (error) {
      // Reserved nodes that were never linked would hold `published` back forever: the store cannot take
      // visible writes any more.
      this.#failure = new FeatherError('FEATHER_ERR_INTERNAL', `A parallel insert failed; reopen the store: ${(error as Error).message}`, undefined, { cause: error });
      throw error;
    }
    await this.#index.whenVisible(ids[ids.length - 1]!);
    return { ids };
  }

  /**
   * The k nearest memories to `query`, best first. Runs in the reader pool and never waits for writes.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT (bad k or ef, non-finite query).
   */
  async search(query: VectorInput, options: SearchOptions = {}): Promise<SearchHit[]> {
    this.#checkOpen();
    checkVector(query, this.dim, 'query');
    if (typeof options !== 'object' || options === null) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options must be an object like { k: 10 }, got ${describeValue(options)}`);
    }
    checkKnownKeys(options, kSearchKeys, 'options');
    const k = options.k ?? 10;
    checkInt(k, 'options.k', 1, 100_000);
    if (options.ef !== undefined) checkInt(options.ef, 'options.ef', 1, 100_000);
    const { ids, distances } = await new Promise<{ ids: Uint32Array; distances: Float32Array }>((resolve, reject) => {
      this.#queue.push({ query: Float32Array.from(query), k, ef: options.ef ?? 0, resolve, reject });
      this.#pump();
    });
    const hits: SearchHit[] = [];
    for (let i = 0; i < ids.length; i++) {
      const similarity = similarityOf(this.metric, distances[i]!);
      hits.push({ id: ids[i]!, score: similarity, similarity });
    }
    return hits;
  }

  /** Reader threads currently alive in the pool (equals `threads` once the pool has started them). */
  get readerThreads(): number {
    return this.#pool.threads.length;
  }

  /** The memory with this id (its stored vector; unit length under cosine), or undefined. Synchronous. */
  get(id: number): { id: number; vector: Float32Array } | undefined {
    this.#checkOpen();
    if (!this.#index.has(id)) return undefined;
    return { id, vector: this.#index.getVector(id) };
  }

  /** Live (not forgotten) memories. Synchronous: reads published shared state. */
  count(): number {
    this.#checkOpen();
    return this.#index.size - this.#index.deletedCount;
  }

  /**
   * Forgets memories: they are never returned again. Resolves with how many were forgotten.
   * @throws FEATHER_ERR_NOT_FOUND (and forgets nothing) when any id does not exist.
   */
  forget(idOrIds: number | readonly number[]): Promise<number> {
    return this.#track(this.#forget(idOrIds));
  }

  async #forget(idOrIds: number | readonly number[]): Promise<number> {
    this.#checkOpen();
    const list: unknown = typeof idOrIds === 'number' ? [idOrIds] : idOrIds;
    const ids: number[] = [];
    if (Array.isArray(list)) for (const id of list as unknown[]) if (typeof id === 'number' && Number.isInteger(id) && id >= 0) ids.push(id);
    if (!Array.isArray(list) || ids.length !== list.length) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `ids must be a non-negative integer or an array of them, got ${describeValue(idOrIds)}`);
    }
    if (ids.length === 0) return 0;
    return unwrap(await this.#inOrder<Reply<number>>(() => this.#writer.forget(ids) as Promise<Reply<number>>));
  }

  /** Ends the writer and every reader thread. Idempotent; a process that only opened and closed exits. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      this.#writer[releaseProxy]();
      await Promise.all([this.#pool.close({ force: false }), this.#worker.terminate()]);
    })();
    return this.#closed;
  }

  /**
   * Sends queued searches to the pool: one search per task while the pool has idle capacity (lowest
   * latency), several per task once searches queue up (one hop and one warm-up serve them all).
   */
  #pump(): void {
    const slots = this.threads * kTasksPerThread;
    while (this.#queue.length > 0 && this.#searchTasks < slots) {
      const take = Math.min(kMaxSearchBatch, Math.ceil(this.#queue.length / (slots - this.#searchTasks)));
      const batch = this.#queue.splice(0, take);
      const queries = new Float32Array(batch.length * this.dim);
      batch.forEach((p, i) => queries.set(p.query, i * this.dim));
      const task: PoolTask = { type: 'search', queries, ks: Uint32Array.from(batch, (p) => p.k), efs: Uint32Array.from(batch, (p) => p.ef) };
      this.#searchTasks++;
      this.#pool.run(task).then(
        (replies) => {
          this.#searchTasks--;
          (replies as SearchReply).forEach((reply, i) => {
            if (reply.ok) batch[i]!.resolve(reply.value);
            else batch[i]!.reject(FeatherError.fromWire(reply.error));
          });
          this.#pump();
        },
        (error: unknown) => {
          this.#searchTasks--;
          for (const p of batch) p.reject(error);
          this.#pump();
        },
      );
    }
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

  #checkOpen(): void {
    if (this.#closed !== undefined) throw new FeatherError('FEATHER_ERR_CLOSED', `the store ${this.path} is closed; open it again to use it`);
    if (this.#failure !== undefined) throw this.#failure;
  }

  #rowCount(vectors: Float32Array | readonly VectorInput[]): number {
    if (vectors instanceof Float32Array) {
      if (vectors.length === 0 || vectors.length % this.dim !== 0) {
        throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors must hold a positive multiple of ${this.dim} floats, got ${vectors.length}`);
      }
      return vectors.length / this.dim;
    }
    if (!Array.isArray(vectors) || vectors.length === 0) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `vectors must be a non-empty Float32Array (n × ${this.dim}) or array of vectors, got ${describeValue(vectors)}`);
    }
    return vectors.length;
  }

  /** Rows [from, to) as a new row-major Float32Array, or (check) just validates them. */
  #slice(vectors: Float32Array | readonly VectorInput[], from: number, to: number, check: boolean): Float32Array {
    if (vectors instanceof Float32Array) {
      if (check) for (let r = from; r < to; r++) checkVector(vectors.subarray(r * this.dim, (r + 1) * this.dim), this.dim, `vectors[${r}]`);
      return check ? vectors : vectors.slice(from * this.dim, to * this.dim);
    }
    const flat = new Float32Array(check ? 0 : (to - from) * this.dim);
    for (let r = from; r < to; r++) {
      const v = vectors[r];
      if (check) checkVector(v, this.dim, `vectors[${r}]`);
      else flat.set(v!, (r - from) * this.dim);
    }
    return flat;
  }
}
