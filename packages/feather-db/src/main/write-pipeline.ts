// The way every write takes on the main thread: call order, in-flight tracking (close waits), the failure
// that ends the store, the one barrier before whole-store operations (save, rebuilds, checks), and
// automatic saves.
import { FeatherError, encode, type MemoryId, type MemoryModel, type ModelOp } from '@feather-db/core';
import type { StorageChange, WriteResult, WriterCalls } from '../protocol.js';
import { unwrap } from '../shared/replies.js';
import type { AttachCache } from '../shared/attach-cache.js';
import type { EpochPins } from './epoch-pins.js';
import { LinkQueue } from './link-queue.js';
import { Maintenance } from './maintenance.js';
import type { ResolvedMaintenance } from './maintenance-options.js';
import { RowRecycler } from './row-recycler.js';
import { kNoAbort, type AbortPoint } from './abort.js';
import { yieldToLoop } from './turns.js';
import type { ReaderPool } from './reader-pool.js';
import type { StoreFault } from './store-fault.js';
import { WriteQueue, type Sent } from './write-queue.js';

/** Ids a forget checks per event-loop turn (a lookup each). */
const kForgetCheckIds = 1024;
/**
 * Ids a forget applies per op (and WAL record), one op per event-loop turn. The mirror spends about a µs an id
 * (its scopes, attributes, edges, id index and texts): forgetting 50,000 of 100,000 ids, a turn of 1,024 ran
 * 0.6-1.4 ms at the median, 3-5 ms at p90 and 10-13 ms at most; of 256, 0.12 / 0.4 / 5-9 ms.
 */
const kForgetOpIds = 256;

/** One write, resolved against the mirror in its turn: the op, its vectors and what the caller gets. */
export interface Prepared<T> {
  op: ModelOp;
  /** Already applied to the mirror (a recall flush: main/recall-log.ts). */
  mirrored?: boolean;
  /** This write's own float32 copies: their buffers move to the writer when it is sent (write-queue.ts). */
  vectors?: Record<string, Float32Array>;
  /** What the write resolves with, unless `after` computes it right after the mirror applied the op. */
  value: T;
  after?: () => T;
}

export interface PipelineOptions {
  threads: number;
  /** Save by itself once the WAL holds this many bytes (0: never). */
  autoSaveWalBytes: number;
  /** The store's save, for automatic saves. */
  save(): Promise<unknown>;
  /** The readers' epoch pins (docs/adr/0008). */
  pins: EpochPins;
  /** When tombstones are repaired (options.maintenance). */
  maintenance: ResolvedMaintenance;
  /** The highest share of unrepaired tombstones among the graphs. */
  tombstoneRatio(): number;
  /** Searches are queued or running in the reader pool (background repairs give way to them). */
  searching(): boolean;
  /** The store's compact(), for a maintenance policy that rebuilds. */
  compact(): Promise<void>;
  /** The store's first fault (a thread's death, a failed write or save): it ends every later write. */
  fault: StoreFault;
}

/**
 * Writes keep their call order end to end: each is prepared (reading the mirror: ids resolved, existence
 * checked) and applied to the mirror in its turn, then queued for the writer (group commit), then linked and
 * published. A write's promise resolves once it is visible to searches.
 */
export class WritePipeline {
  readonly #writer: WriterCalls;
  readonly #model: MemoryModel;
  readonly #handles: AttachCache;
  readonly #writes: WriteQueue;
  readonly #options: PipelineOptions;
  readonly #rows: RowRecycler;
  readonly #maintenance: Maintenance;
  /** Writes not yet acknowledged; settle() lets them finish first. */
  readonly #inflight = new Set<Promise<unknown>>();
  /** Tail of the write order: each write reaches the writer only after the one called before it. */
  #order: Promise<unknown> = Promise.resolve();
  readonly #fault: StoreFault;
  #settling = false;
  #autoSaving = false;

  constructor(writer: WriterCalls, pool: ReaderPool, model: MemoryModel, handles: AttachCache, options: PipelineOptions) {
    this.#writer = writer;
    this.#fault = options.fault;
    this.#model = model;
    this.#handles = handles;
    this.#options = options;
    this.#writes = new WriteQueue(
      writer,
      new LinkQueue(pool, options.threads, options.pins),
      (failure) => this.fail(failure),
      (walBytes) => this.#maybeAutoSave(walBytes),
    );
    this.#rows = new RowRecycler(model, options.pins, (run) => this.inOrder(run));
    this.#maintenance = new Maintenance({
      writer,
      writes: this.#writes,
      pool,
      pins: options.pins,
      threads: options.threads,
      policy: options.maintenance,
      tombstoneRatio: () => options.tombstoneRatio(),
      // Background repairs give way to searches and to the linking of writes' nodes.
      foreground: () => options.searching() || this.#writes.linking,
      inOrder: (run) => this.inOrder(run),
      track: (work) => this.track(work),
      compact: () => options.compact(),
      fail: (failure) => this.fail(failure),
    });
  }

  /** Forgotten record rows free for reuse now (stats). */
  get freeRows(): number {
    return this.#rows.available;
  }

  /** What closed the store for writes (the writer and the mirror no longer agree, or a thread died), if anything did. */
  get failure(): FeatherError | undefined {
    return this.#fault.failure;
  }

  /** Closes the store for writes: every later write throws `failure` (the first one reported stands). */
  fail(failure: FeatherError): void {
    this.#fault.fail(failure);
  }

  /** Counts `write` as in flight until it settles. */
  track<T>(write: Promise<T>): Promise<T> {
    this.#inflight.add(write);
    const done = (): void => void this.#inflight.delete(write);
    write.then(done, done);
    return write;
  }

  /** Runs `submit` after every write called earlier has been submitted, keeping call order at the writer. */
  inOrder<T>(submit: () => Promise<T>): Promise<T> {
    const run = this.#order.then(submit);
    this.#order = run.catch(() => undefined);
    return run;
  }

  /** One write: prepared (reading the mirror) and applied in call order, then finished (linked, visible). */
  async write<T>(prepare: () => Prepared<T>, parallel: boolean): Promise<T> {
    return (await this.writeSlices(() => Promise.resolve([prepare]), parallel))[0]!;
  }

  /**
   * Applies prepared ops in one turn of the write order (no other write interleaves), each to the mirror and
   * then the writer, one per event-loop turn (a batch's slices never hold the main thread together), and
   * resolves once their index work is done and visible. A prepare that throws (an unknown id, say) changes
   * nothing of its own.
   */
  async writeSlices<T>(validate: () => Promise<(() => Prepared<T>)[]>, parallel: boolean): Promise<T[]> {
    const { values, sent } = await this.inOrder(async () => {
      const out: T[] = [];
      const results: Promise<Sent>[] = [];
      const slices = await validate();
      for (const [i, prepare] of slices.entries()) {
        // Later writes wait behind this one in the chain; searches and reads run between its slices, and a
        // slice is prepared only once the writer has room for it (WriteQueue.room).
        if (i > 0) await Promise.all([yieldToLoop(), this.#writes.room()]);
        // Not a closed check: a write called before close() still runs; close() waits for it.
        if (this.failure !== undefined) throw this.failure;
        const { op, vectors, value, mirrored, after } = prepare();
        if (op.type === 'forget' && op.ids.length === 0) {
          out.push(value);
          continue;
        }
        if (op.type === 'upsert') {
          // The insert path: tombstones past the policy's fraction are repaired (and their slots freed) first.
          if (vectors !== undefined && Object.keys(vectors).length > 0) await this.#maintenance.beforeInsert();
          this.#rows.assign(op, this.#model);
        }
        const freed = op.type === 'forget' ? [...new Set(op.ids.map((id) => this.#model.rowOf(id)!))] : undefined;
        if (mirrored !== true) this.#model.apply(op);
        const sent = this.#writes.send({ op, vectors: vectors ?? {}, parallel });
        // Applied by the writer: the rows' nodes are tombstoned; the rows are reused once no read can name them.
        if (freed !== undefined)
          sent.then(
            () => this.#rows.forgotten(freed),
            () => undefined,
          );
        // Awaited below once every slice is sent; a fault that stops a later slice first throws from here
        // instead, and these then settle with that fault unobserved, not as unhandled rejections.
        sent.catch(() => undefined);
        results.push(sent);
        out.push(after === undefined ? value : after());
      }
      return { values: out, sent: results };
    });
    for (const result of await Promise.all(sent)) await this.finish(result);
    this.#maintenance.afterWrite();
    return values;
  }

  /** Waits for a write's reserved nodes to be linked on the pool and published by every touched index. */
  async finish(sent: Sent | WriteResult): Promise<void> {
    const { result, linking } = 'linking' in sent ? sent : { result: sent, linking: this.#writes.link(sent.jobs) };
    await linking;
    // A failed insert or a dead thread stops `published` short of these nodes: the fault ends the wait.
    for (const { index, node } of result.visible) await this.#fault.guard(this.#handles.index(index).whenVisible(node));
  }

  /** Resolves once every linking job started so far has finished (the fault's lock recovery waits for it). */
  linked(): Promise<void> {
    return this.#writes.linked();
  }

  /**
   * Runs `run` in write order once every earlier write is applied by the writer and every node it reserved
   * is linked: save, rebuilds and integrity checks must never see a half-linked node.
   */
  exclusive<T>(run: () => Promise<T>): Promise<T> {
    return this.inOrder(async () => {
      await this.#writes.drain();
      await this.#writes.linked();
      return run();
    });
  }

  /**
   * Forgets the ids `select` picks from the mirror when the write reaches its turn; resolves with the count.
   * Every id is checked first, kForgetCheckIds per event-loop turn (an unknown one rejects with
   * FEATHER_ERR_NOT_FOUND and nothing is forgotten); then the distinct ids go as one forget op per
   * kForgetOpIds, each applied in a turn of its own, in write order (one op of 6,000 ids held the loop
   * 45-95 ms on a slow host, applying it to the mirror). A crash keeps each such op whole or drops it whole.
   */
  async forget(select: () => MemoryId[] | Promise<MemoryId[]>): Promise<number> {
    const counts = await this.writeSlices(async () => {
      const ids = [...new Set(await select())];
      for (let from = 0; from < ids.length; from += kForgetCheckIds) {
        if (from > 0) await yieldToLoop();
        for (let i = from; i < Math.min(ids.length, from + kForgetCheckIds); i++) this.#model.requireRow(ids[i]!);
      }
      const slices: (() => Prepared<number>)[] = [];
      for (let from = 0; from === 0 || from < ids.length; from += kForgetOpIds) {
        const part = ids.slice(from, from + kForgetOpIds);
        slices.push(() => ({ op: { type: 'forget', ids: part }, value: part.length }));
      }
      return slices;
    }, false);
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Rebuilds `modalities`' graphs (optionally into another storage) on the pool and swaps them in. */
  rebuild(modalities: string[], change: StorageChange | undefined, abort: AbortPoint = kNoAbort): Promise<void> {
    abort.check();
    return this.exclusive(async () => {
      if (this.failure !== undefined) throw this.failure;
      // Begun, a rebuild runs to its commit: an abort before this point changes nothing.
      abort.commit();
      await this.#rebuildNow(modalities, change);
    });
  }

  /**
   * compact(): in write order, rebuilds the modalities `choose` names then, and repairs the tombstones of the
   * others in place (Maintenance.repair: later writes go on meanwhile, and later adds reuse the freed slots).
   * An abort that comes before the rebuild begins (without one, before the repair begins) changes nothing.
   */
  async compact(choose: () => string[], abort: AbortPoint = kNoAbort): Promise<void> {
    abort.check();
    let begun = false;
    await this.exclusive(async () => {
      if (this.failure !== undefined) throw this.failure;
      const modalities = choose();
      if (modalities.length === 0) return;
      abort.commit();
      begun = true;
      await this.#rebuildNow(modalities, undefined);
    });
    await this.#maintenance.repair(begun ? kNoAbort : abort);
  }

  async #rebuildNow(modalities: string[], change: StorageChange | undefined): Promise<void> {
    const begun = unwrap(await this.#writer.beginRebuild(modalities, change));
    await this.finish(begun);
    unwrap(await this.#writer.commitRebuild());
  }

  /** Has the writer save the store (to `target`, default its own file) once every earlier write is in. */
  save(target: string | undefined, graph: 'auto' | 'always' | 'never'): Promise<{ bytes: number; ms: number }> {
    return this.exclusive(async () => {
      // A store closed for writes saves nothing: its files hold every acknowledged write already.
      if (this.failure !== undefined) throw this.failure;
      const saved = unwrap(await this.#writer.save(target, graph));
      return { bytes: saved.bytes, ms: saved.ms };
    });
  }

  /** The writer's integrity check (model, row maps, graphs), plus: the mirror must equal the writer's model. */
  verify(): Promise<{ ok: boolean; problems: string[] }> {
    return this.exclusive(async () => {
      const { problems, snapshot } = unwrap(await this.#writer.verify());
      const mirror = encode(this.#model.toSnapshot());
      if (mirror.length !== snapshot.length || !mirror.every((b, i) => b === snapshot[i]))
        problems.push("the facade's mirror differs from the writer's model");
      return { ok: problems.length === 0, problems };
    });
  }

  /** For close(): lets every write already called finish, then flushes the queue to the writer. */
  async settle(): Promise<void> {
    this.#settling = true;
    this.#maintenance.stop();
    await Promise.allSettled([...this.#inflight]);
    await this.inOrder(() => this.#writes.drain()).catch(() => undefined);
  }

  /**
   * Folds the WAL into the file once it passes the threshold (one automatic save at a time, in write order).
   * A failed automatic save fails the store closed (see StoreFault).
   */
  #maybeAutoSave(walBytes: number): void {
    const threshold = this.#options.autoSaveWalBytes;
    if (threshold === 0 || walBytes < threshold || this.#autoSaving || this.#settling || this.failure !== undefined) return;
    this.#autoSaving = true;
    this.#options
      .save()
      // Nobody awaits an automatic save: its failure fails the store closed instead of vanishing (writes are
      // refused with it; every acknowledged write is in the WAL, which the next open replays).
      .catch((error: unknown) => {
        if (error instanceof FeatherError && error.code !== 'FEATHER_ERR_CLOSED')
          this.fail(new FeatherError(error.code, `An automatic save failed: ${error.message}`, error.details, { cause: error }));
      })
      .finally(() => {
        this.#autoSaving = false;
      });
  }
}
