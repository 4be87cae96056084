import { FeatherError, isOpenRace, type Attributes, type MemoryId, type MemoryRecord, type VectorInput } from '@feather-db/core';
import type { AddBatchOptions, AddOptions, ContextChain, ContextChainOptions, PurgeOptions, SearchHit, SearchOptions } from './api.js';
import { batchSlices, checkBatch } from './main/batch-input.js';
import { checkEntityScope, checkPurge, entityIds, staleIds } from './main/forget-selection.js';
import { checkBoolean, checkIds, checkName, checkOptions, checkPositiveNumber, checkSaveGraph } from './main/input.js';
import { openStore, shutDown, type StoreHandles } from './main/open.js';
import { abortable, checkSignal, throwIfAborted } from './main/abort.js';
import { resolveChain, resolveSearch, resolveSearchMany } from './main/search-options.js';
import { chainFrom } from './main/search-results.js';
import { countEdges, prepareAdd, linkOp, unlinkOp, updateOp } from './main/write-ops.js';
import { WritePipeline } from './main/write-pipeline.js';
import { StoreReads } from './store-reads.js';
import { RecallLog } from './main/recall-log.js';
import { kDefaultModality, resolveOpenOptions, type OpenOptions } from './options.js';
import { unwrap } from './shared/replies.js';
import { ingest } from './main/ingest/ingest.js';
import { exportRows } from './main/ingest/export-rows.js';
import type { ExportOptions, ExportRow, IngestOptions, IngestSource, IngestSummary } from './main/ingest/ingest-api.js';

/**
 * An open Feather store. The main thread validates and routes: every write goes, in call order, to the
 * single writer worker (main/write-pipeline.ts); every search runs in the reader pool against shared memory
 * (main/search-queue.ts) and is ranked here (main/search-results.ts). The facade keeps a mirror of the memory
 * model, fed the same ops in the same order as the writer's, for synchronous reads (`get`, `count`, `edges`:
 * store-reads.ts), planning filtered searches and scoring results. Nothing here blocks the event loop.
 */
export class Feather extends StoreReads {
  /** Milliseconds `open` took: file load, WAL replay and any graph rebuild. */
  loadTimeMs = 0;
  readonly #writes: WritePipeline;
  readonly #recall: RecallLog;
  readonly #readOnly: boolean;

  private constructor(h: StoreHandles) {
    super(h);
    const o = h.options;
    this.#readOnly = o.readOnly;
    this.#writes = new WritePipeline(h.writer, h.readers, this.model, this.attached, {
      threads: o.threads,
      autoSaveWalBytes: o.autoSaveWalBytes,
      save: () => this.save(),
      fault: h.fault,
      pins: this.pins,
      maintenance: o.maintenance,
      tombstoneRatio: () => this.reads.tombstoneRatio(),
      searching: () => this.reads.searching,
      // The policy's compactAt asks for a rebuild (a repair is what repairAt runs).
      compact: () => this.compact({ rebuild: true }),
    });
    this.#recall = new RecallLog(
      this.model,
      { write: (prepare) => this.#writes.track(this.#writes.write(prepare, false)) },
      o.recallFlushMs,
    );
    // Once no write can start, locks a dead thread held in the shared memory are released (searches go on).
    h.fault.onFailed(
      () => this.#writes.linked(),
      () => this.reads.indexAddresses(),
    );
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
      if (options?.readOnly === true && isOpenRace(error)) return Feather.#open(path, options);
      throw error;
    }
  }

  static async #open(path: string, options?: OpenOptions): Promise<Feather> {
    const started = performance.now();
    const handles = await openStore(path, resolveOpenOptions(path, options));
    const db = new Feather(handles);
    try {
      await db.#writes.finish(handles.opened.pending);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    db.loadTimeMs = performance.now() - started;
    return db;
  }

  /**
   * Adds one memory (or updates it, when `options.id` exists: the vector of that modality and every field
   * given are replaced, the rest kept). Resolves with its id once searches can see it.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_CLOSED.
   */
  add(vector: VectorInput, options?: AddOptions): Promise<{ id: MemoryId }> {
    return this.#writing(async () => {
      // Linked by the writer when it comes alone, on the pool when other upserts queued with it (StoreEngine.writeMany)
      // — but not while searches run: link tasks would hold the pool's threads and queue the searches behind them
      // (16 searches and 64 adds in flight: 1,200 searches/s at a 13 ms p50 against 7,500 at 1.4 ms).
      const ids = await this.#writes.write(prepareAdd(this.spaces, this.model, vector, options), !this.reads.searching);
      return { id: ids[0]! };
    });
  }

  /**
   * Adds many memories in one write; resolves with their ids, in input order, once all are visible. Every
   * row is validated before any is stored. An id given twice is one memory: its rows apply in order (the later vector; the later row's fields over the earlier's). The rows, ids and metas are read a slice per event-loop turn
   * (main/batch-input.ts), so the caller keeps them unchanged until the promise settles. The writer reserves and tags the nodes; the reader pool links
   * them into the one shared graph in parallel while searches keep running.
   */
  addBatch(vectors: Float32Array | readonly VectorInput[], options?: AddBatchOptions): Promise<{ ids: MemoryId[] }> {
    return this.#writing(async () => {
      const batch = checkBatch(this.spaces, vectors, options);
      return abortable(batch.signal, 'addBatch', async (point) => ({
        ids: (await this.#writes.writeSlices(() => batchSlices(this.model, this.spaces, batch, point), true)).flat(),
      }));
    });
  }

  /**
   * Streams rows into the store in batches (addBatch, linked in parallel) with bounded memory whatever the
   * source's size: rows with only `text` are embedded by `options.embedder`, rows without an id get a stable one
   * (`<sourceName>:<row>`) so a re-run resumes (`onExisting`: 'skip' by default), a bad row is reported with its
   * position and reason while the rest go in, and rows' `links` become edges. Resolves with the counts.
   * @throws FEATHER_ERR_INVALID_ARGUMENT (bad options or source), FEATHER_ERR_DIMENSION_MISMATCH (embedder),
   * FEATHER_ERR_ABORTED (rows stored before it stay; `details` count them), FEATHER_ERR_READ_ONLY, and any error
   * of a write, which stops the run.
   */
  async ingest(source: IngestSource, options?: IngestOptions): Promise<IngestSummary> {
    this.#checkWritable();
    const target = { spaces: this.spaces.toRecord(), embeddingModel: this.embeddingModel, has: (id: MemoryId) => this.model.has(id) };
    return ingest({ ...target, addBatch: (v, o) => this.addBatch(v, o), link: (a, b, o) => this.link(a, b, o) }, source, options);
  }

  /**
   * Every memory (or one namespace's) as an ingest row, oldest first, with its outgoing edges as `links` and,
   * with `vectors: true`, its vectors: `db2.ingest(db.export({ vectors: true }))` restores them. Streams: rows
   * are read from the store as they are consumed; memories added after the export started are not included.
   */
  export(options?: ExportOptions): AsyncGenerator<ExportRow, void, undefined> {
    this.checkOpen();
    const source = { model: this.model, mainModality: kDefaultModality, checkOpen: () => this.checkOpen() };
    return exportRows({ ...source, vectorOf: (row, m) => this.reads.vectorOf(row, m) }, options);
  }

  /**
   * Changes a memory's text, entity, importance or attributes (attributes are replaced as a whole).
   * Resolves with the memory as this update left it (read right after it applied: a forget called after it
   * cannot make it resolve undefined).
   * @throws FEATHER_ERR_NOT_FOUND (and changes nothing) for an unknown id.
   */
  update(
    id: MemoryId,
    patch: { text?: string; entity?: string | null; importance?: number; attributes?: Attributes },
  ): Promise<MemoryRecord> {
    return this.#writing(async () => {
      const op = updateOp(id, patch);
      const after = (): MemoryRecord | undefined => this.model.record(this.model.rowOf(op.id)!);
      return (await this.#writes.write(() => ({ op, value: undefined, after }), false))!;
    });
  }

  /**
   * Adds a typed, weighted edge from one memory to another (re-weights an existing edge of that type).
   * @throws FEATHER_ERR_NOT_FOUND for an unknown id, FEATHER_ERR_INVALID_ARGUMENT for a bad type or weight.
   */
  link(from: MemoryId, to: MemoryId, options?: { type?: string; weight?: number }): Promise<void> {
    return this.#writing(async () => {
      const op = linkOp(from, to, options);
      await this.#writes.write(() => ({ op, value: undefined }), false);
    });
  }

  /**
   * Removes the edges from one memory to another: of `options.type` only, or of every type. Resolves with how
   * many were removed (0 when there were none).
   * @throws FEATHER_ERR_NOT_FOUND (and removes nothing) for an unknown id, FEATHER_ERR_INVALID_ARGUMENT for a bad type.
   */
  unlink(from: MemoryId, to: MemoryId, options?: { type?: string }): Promise<number> {
    return this.#writing(async () => {
      const op = unlinkOp(from, to, options);
      return this.#writes.write(() => ({ op, value: countEdges(this.model, op) }), false);
    });
  }

  /**
   * Forgets memories (and their edges); resolves with how many were forgotten.
   * @throws FEATHER_ERR_NOT_FOUND (and forgets nothing) when any id does not exist.
   */
  forget(idOrIds: MemoryId | readonly MemoryId[]): Promise<number> {
    return this.#writing(async () => {
      const ids = checkIds(idOrIds, 'ids');
      return this.#writes.forget(() => ids);
    });
  }

  /**
   * Forgets every memory of `namespace` (`'*'`: all namespaces) that was neither created nor recalled within
   * the `olderThanDays` days before `now` (absent: every memory of the namespace). Resolves with the count.
   */
  purge(options: PurgeOptions): Promise<number> {
    return this.#writing(async () => {
      const { namespace, days, now } = checkPurge(options);
      // The clock is read when the purge reaches its turn in the write order, unless the caller fixed it.
      return this.#writes.forget(() => staleIds(this.model, namespace, days, now ?? Date.now()));
    });
  }

  /** Forgets every memory of one entity in one namespace; resolves with the count. */
  deleteByEntity(options: { namespace: string; entity: string }): Promise<number> {
    return this.#writing(async () => {
      const { namespace, entity } = checkEntityScope(options);
      return this.#writes.forget(() => entityIds(this.model, namespace, entity));
    });
  }

  /**
   * Drops every tombstone from the graphs, by the cheaper of two ways per modality (or `rebuild: true`, a
   * rebuild of every one): while fewer than half of a graph's linked nodes are tombstones, they are repaired
   * in place (their neighbours re-linked on the pool, their slots freed for later adds: no new memory);
   * otherwise the graph is rebuilt from its live memories in parallel and swapped in atomically (the old one's
   * memory is reused once no search holds it). Searches keep running throughout; writes wait for a rebuild,
   * not for a repair. `options.signal` aborts it until its work begins (behind earlier writes): it rejects with
   * FEATHER_ERR_ABORTED and nothing changes; once begun it completes.
   */
  compact(options?: { signal?: AbortSignal; rebuild?: boolean }): Promise<void> {
    return this.#writing(async () => {
      const o = checkOptions<{ signal?: AbortSignal; rebuild?: boolean }>(options, ['signal', 'rebuild'], 'options', '{ rebuild: true }');
      const signal = checkSignal(o.signal, 'options.signal');
      const all = o.rebuild === undefined ? false : checkBoolean(o.rebuild, 'options.rebuild');
      await abortable(signal, 'compact', (point) => this.#writes.compact(() => this.reads.toRebuild(all), point));
    });
  }

  /**
   * Writes the whole store atomically (`<path>.tmp`, fsync, rename, fsync of the directory) and starts an
   * empty WAL: the file then holds every write acknowledged before the call. With `path`, writes a copy there
   * instead and keeps the store bound to its own file and WAL (a readOnly store can only do this).
   * `graph`: 'auto' (default) persists each graph unless more than 10% of its nodes are tombstones (then the
   * next open rebuilds it tight, in parallel); 'always' / 'never' force it.
   */
  save(path?: string, options?: { graph?: 'auto' | 'always' | 'never' }): Promise<{ bytes: number; ms: number }> {
    return this.#writes.track(
      (async () => {
        this.checkOpen();
        const target = path === undefined ? undefined : checkName(path, 'path', 'file');
        if (this.#readOnly && (target === undefined || target === this.path)) {
          throw new FeatherError(
            'FEATHER_ERR_READ_ONLY',
            `${this.path} was opened readOnly: save it to another path, or reopen it writable`,
          );
        }
        const graph = checkSaveGraph(options);
        return this.#writes.save(target, graph);
      })(),
    );
  }

  /**
   * Stores `modality`'s vectors as int8 with a per-vector scale (~3.5× less vector memory; recall@10 stays
   * >= 0.9 on the benchmark sets). Rebuilds that modality's graph like compact(). `maxAbs` clips values
   * beyond ±maxAbs first (default: no clipping; per-vector scales make a global bound unnecessary).
   */
  setInt8Ram(modality: string = kDefaultModality, options?: { maxAbs?: number }): Promise<void> {
    return this.#writing(async () => {
      const name = this.spaces.check(modality, 'modality');
      const maxAbs = checkOptions<{ maxAbs?: number }>(options, ['maxAbs'], 'options', '{ maxAbs: 1 }').maxAbs;
      await this.#writes.rebuild([name], {
        modality: name,
        storage: 'int8',
        maxAbs: maxAbs === undefined ? Number.POSITIVE_INFINITY : checkPositiveNumber(maxAbs, 'options.maxAbs'),
      });
    });
  }

  /**
   * The nearest memories to `query`, best first, scoped and filtered as asked, re-ranked by the decayed
   * score when `halfLife` or `timeWeight` is set. A small search runs on the calling thread while the reader
   * pool is idle (within a per-turn time budget that keeps the event loop responsive); the rest run in the
   * pool. Never waits for writes. With `track` (default), the hits' recall counts are bumped in place.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_ABORTED (`signal`).
   */
  async search(query: VectorInput, options?: SearchOptions): Promise<SearchHit[]> {
    this.checkOpen();
    const { s, vector } = resolveSearch(this.spaces, this.efSearch, query, options);
    // Pinned until the hits are bumped: no row they name is reused before (docs/adr/0008).
    return this.pins.holding(() =>
      this.reads.run(vector, s).then(({ hits, rows }) => {
        this.spaces.releaseQuery(vector);
        // Aborted before the call settled: it rejects and bumps nothing, even when the search itself had finished.
        throwIfAborted(s.signal, 'search');
        if (s.track) this.#touch(rows, s.now);
        return hits;
      }),
    );
  }

  /**
   * One result list per query, in order, as if `search(query, options)` were called for each in turn: the
   * same hits, and with `track` the same recall counts afterwards (each list's hits are bumped in query order,
   * once every query has answered). Queries are packed into pool tasks across every reader thread (a few small
   * ones run on the calling thread while the pool is idle). `queries`: a Float32Array of n·dim numbers, or an
   * array of vectors.
   * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT (naming the first bad query),
   * FEATHER_ERR_ABORTED (`signal`; no recall count is bumped then).
   */
  async searchMany(queries: Float32Array | readonly VectorInput[], options?: SearchOptions): Promise<SearchHit[][]> {
    this.checkOpen();
    const { vectors, s } = resolveSearchMany(this.spaces, this.efSearch, queries, options);
    return this.pins.holding(async () => {
      const lists = await this.reads.runMany(vectors, s);
      for (const vector of vectors) this.spaces.releaseQuery(vector);
      throwIfAborted(s.signal, 'searchMany');
      if (s.track) for (const { rows } of lists) this.#touch(rows, s.now);
      return lists.map((list) => list.hits);
    });
  }

  /**
   * Vector-search seeds (hop 0) expanded breadth-first over outgoing and incoming edges up to `hops`; each
   * memory scored (seeds: similarity; hop h: parent score · 0.5 · edge weight · importance · stickiness) and
   * sorted by score. With `namespace`, neither the seeds nor the walk leave it.
   */
  async contextChain(query: VectorInput, options?: ContextChainOptions): Promise<ContextChain> {
    this.checkOpen();
    const { search: s, vector, hops } = resolveChain(this.spaces, this.efSearch, query, options);
    return this.pins.holding(async () => {
      const seeds = await this.reads.run(vector, s);
      this.spaces.releaseQuery(vector);
      const { nodes, edges, rows } = chainFrom(this.model, seeds, hops, s.namespace);
      if (s.track) this.#touch(rows, s.now);
      return { nodes, edges };
    });
  }

  /**
   * Waits for queued writes, then cross-checks the writer's model, row maps and graphs (every live memory
   * findable, every link valid) and that this thread's mirror equals the writer's model. For tests, crash
   * recovery checks and paranoid operators; cost grows with the store (a full pass over every node).
   */
  async checkIntegrity(): Promise<{ ok: boolean; problems: string[] }> {
    this.checkOpen();
    return this.#writes.verify();
  }

  /** Ends the writer and every reader thread after in-flight writes finish. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.#readOnly) await this.#recall.close().catch(() => undefined);
      await this.#writes.settle();
      unwrap(await shutDown(this.handles, false));
    })();
    return this.closing;
  }

  protected get freeRows(): number {
    return this.#writes.freeRows;
  }

  /** Recall tracking of a search's hits: in shared memory at once, logged in batches (readOnly stores do not track). */
  #touch(rows: number[], at: number): void {
    if (!this.#readOnly) this.#recall.bump(rows, at);
  }

  /**
   * Runs a write call on a writable store, counted in flight until it settles (close waits for it); its
   * checks reject the promise, never throw.
   */
  #writing<T>(call: () => Promise<T>): Promise<T> {
    return this.#writes.track(
      (async () => {
        this.#checkWritable();
        return call();
      })(),
    );
  }

  #checkWritable(): void {
    this.checkOpen();
    if (this.#writes.failure !== undefined) throw this.#writes.failure;
    if (this.#readOnly)
      throw new FeatherError(
        'FEATHER_ERR_READ_ONLY',
        `${this.path} was opened readOnly; open it without readOnly to change it (one writer process at a time)`,
        { path: this.path },
      );
  }
}
