// Feather.ingest: a source of rows streamed into addBatch with bounded memory. Reading, validating and
// embedding batch N+1 overlaps the storing (and parallel linking) of batches N and N-1; the source is not read
// further while two batches are in flight, so at most three batches of rows are held whatever its size.
import { describeValue, FeatherError, hasNoKeys, type ErrorCode, type MemoryId, type Metric } from '@feather-db/core';
import type { AddBatchOptions } from '../../api.js';
import type { BatchMeta } from '../input.js';
import type { IngestFailure, IngestOptions, IngestProgress, IngestSource, IngestSummary } from './ingest-api.js';
import { idKey, prepareRow, type PreparedRow, type RowLink } from './ingest-row.js';
import { resolveIngestOptions, type ResolvedIngestOptions } from './ingest-options.js';
import { PendingLinks } from './pending-links.js';

/** What ingest needs from the store (the facade passes itself and its vector spaces). */
export interface IngestTarget {
  readonly spaces: Readonly<Record<string, { dim: number; metric: Metric }>>;
  readonly embeddingModel: string | null;
  has(id: MemoryId): boolean;
  addBatch(vectors: Float32Array, options: AddBatchOptions): Promise<{ ids: MemoryId[] }>;
  link(from: MemoryId, to: MemoryId, options: { type: string; weight: number }): Promise<void>;
}

/** Batches stored (linked on the pool) while the next one is read. */
const kInFlightBatches = 2;
const kMaxReportedFailures = 1000;
const kNoMeta: BatchMeta = Object.freeze({});

interface BatchRow extends PreparedRow {
  /** The id was stored already (onExisting: 'upsert'). */
  replaces: boolean;
}

/** Streams `source` into the store; see Feather.ingest. */
export function ingest(target: IngestTarget, source: IngestSource, options: IngestOptions | undefined): Promise<IngestSummary> {
  const o = resolveIngestOptions(target, options);
  if (typeof source !== 'object' || source === null || !(Symbol.asyncIterator in source || Symbol.iterator in source)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `source must be an async iterable or iterable of rows (an async generator, an array, a Readable in object mode), got ${describeValue(source)}`,
    );
  }
  return new IngestRun(target, o).run(source);
}

class IngestRun {
  readonly #target: IngestTarget;
  readonly #o: ResolvedIngestOptions;
  readonly #started = performance.now();
  readonly #counts = { read: 0, inserted: 0, updated: 0, skipped: 0, failed: 0, embedded: 0 };
  readonly #failures: IngestFailure[] = [];
  readonly #links = { added: 0, failed: 0 };
  readonly #pending = new PendingLinks();
  /** Batches being stored, each with the ids it holds (a later row with one of them exists already). */
  readonly #inflight = new Map<Promise<void>, Set<string>>();
  /** The first error that stops the run (a write failed, the store closed). */
  #fatal: Error | undefined;

  constructor(target: IngestTarget, o: ResolvedIngestOptions) {
    this.#target = target;
    this.#o = o;
  }

  async run(source: IngestSource): Promise<IngestSummary> {
    this.#throwIfAborted();
    const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    let done = false;
    try {
      while (!done && this.#fatal === undefined) {
        const batch: BatchRow[] = [];
        const keys = new Set<string>();
        const skipped: PreparedRow[] = [];
        while (batch.length < this.#o.batchSize && this.#fatal === undefined) {
          this.#throwIfAborted();
          const next = await iterator.next();
          if (next.done === true) {
            done = true;
            break;
          }
          this.#take(next.value, ++this.#counts.read, batch, keys, skipped);
        }
        await this.#embed(batch, keys);
        while (this.#inflight.size >= kInFlightBatches) await Promise.race(this.#inflight.keys());
        if (this.#fatal !== undefined) break;
        if (batch.length > 0 || skipped.length > 0) {
          const storing = this.#store(batch, skipped);
          this.#inflight.set(storing, keys);
          void storing.then(() => this.#inflight.delete(storing));
        }
      }
      await Promise.all(this.#inflight.keys());
      if (this.#fatal !== undefined) throw this.#fatal;
      await this.#linkLeftovers();
    } catch (error) {
      await Promise.all(this.#inflight.keys());
      if (error instanceof FeatherError && error.code === 'FEATHER_ERR_ABORTED')
        throw new FeatherError(
          'FEATHER_ERR_ABORTED',
          `ingest aborted after ${this.#counts.read} rows; ${this.#counts.inserted + this.#counts.updated} stored stay (a re-run with the same source resumes)`,
          { ...this.#counts },
        );
      throw error;
    } finally {
      // Closes the source (a file stream, a generator) when the run stops early.
      if (!done) await Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
    const summary = { ...this.#progress(), failures: this.#failures, links: { ...this.#links } };
    this.#o.onProgress?.(this.#progress());
    return summary;
  }

  /** Validates a row and sorts it: into the batch, skipped (existing id), or failed. */
  #take(value: unknown, row: number, batch: BatchRow[], keys: Set<string>, skipped: PreparedRow[]): void {
    let prepared: PreparedRow;
    try {
      prepared = prepareRow(value, row, this.#o.rules);
    } catch (error) {
      const id = typeof value === 'object' && value !== null && 'id' in value ? value.id : undefined;
      this.#fail(row, typeof id === 'string' || typeof id === 'number' ? id : undefined, error);
      return;
    }
    let replaces = false;
    if (prepared.id !== undefined) {
      const key = idKey(prepared.id);
      if (keys.has(key) || this.#held(key) || this.#target.has(prepared.id)) {
        if (this.#o.onExisting === 'skip') {
          this.#counts.skipped++;
          // Its links still go in: a re-run after a crash between a row and its links completes them.
          if (prepared.links.length > 0) skipped.push(prepared);
          return;
        }
        if (this.#o.onExisting === 'error') {
          this.#fail(
            row,
            prepared.id,
            new FeatherError(
              'FEATHER_ERR_ALREADY_EXISTS',
              `row ${row}: memory ${JSON.stringify(prepared.id)} exists already; ingest with onExisting 'skip' or 'upsert' to keep or replace it`,
            ),
          );
          return;
        }
        replaces = true;
      }
      keys.add(key);
    }
    // Field by field: an object spread takes V8's slow path, once per row of a million-row import.
    batch.push({
      row: prepared.row,
      id: prepared.id,
      vectors: prepared.vectors,
      embedText: prepared.embedText,
      meta: prepared.meta,
      links: prepared.links,
      replaces,
    });
  }

  /** Whether a batch being stored holds `key` (no array per row: this runs for every row read). */
  #held(key: string): boolean {
    for (const held of this.#inflight.values()) if (held.has(key)) return true;
    return false;
  }

  /** Fills the main vector of text-only rows. A text the embedder refuses fails its row only. */
  async #embed(batch: BatchRow[], keys: Set<string>): Promise<void> {
    const embedder = this.#o.embedder;
    const rows = batch.filter((r) => r.embedText !== undefined);
    if (embedder === undefined || rows.length === 0) return;
    const signal = this.#o.signal;
    let vectors: (Float32Array | FeatherError)[];
    try {
      vectors = await embedder.embed(
        rows.map((r) => r.embedText!),
        { signal },
      );
    } catch (error) {
      if (!(error instanceof FeatherError) || error.code !== 'FEATHER_ERR_INVALID_ARGUMENT') throw error;
      // One text spoiled the call: embed them one by one to fail only the rows at fault.
      vectors = [];
      for (const r of rows) {
        try {
          vectors.push((await embedder.embed([r.embedText!], { signal }))[0]!);
        } catch (one) {
          if (!(one instanceof FeatherError) || one.code !== 'FEATHER_ERR_INVALID_ARGUMENT') throw one;
          vectors.push(one);
        }
      }
    }
    if (vectors.length !== rows.length)
      throw new FeatherError(
        'FEATHER_ERR_EMBEDDER',
        `embedder "${embedder.id}" returned ${vectors.length} vectors for ${rows.length} texts`,
        { provider: embedder.id },
      );
    const dim = this.#o.rules.spaces[this.#o.rules.modality]!.dim;
    const failed = new Set<BatchRow>();
    rows.forEach((r, i) => {
      const v = vectors[i]!;
      if (v instanceof FeatherError) {
        failed.add(r);
        this.#fail(r.row, r.id, new FeatherError(v.code, `row ${r.row}.text: ${v.message}`, v.details));
        return;
      }
      if (v.length !== dim)
        throw new FeatherError(
          'FEATHER_ERR_EMBEDDER',
          `embedder "${embedder.id}" returned a ${v.length}-dimensional vector, expected ${dim}`,
          { provider: embedder.id },
        );
      r.vectors.set(this.#o.rules.modality, v);
      this.#counts.embedded++;
    });
    if (failed.size === 0) return;
    for (const r of failed) if (r.id !== undefined) keys.delete(idKey(r.id));
    batch.splice(0, batch.length, ...batch.filter((r) => !failed.has(r)));
  }

  /** Stores a batch (one addBatch per modality it has vectors of), then its links. Never rejects: errors go to #fatal. */
  async #store(batch: BatchRow[], skipped: PreparedRow[]): Promise<void> {
    try {
      const ids = new Map<PreparedRow, MemoryId>();
      const modalities = [this.#o.rules.modality, ...new Set(batch.flatMap((r) => [...r.vectors.keys()]))];
      for (const modality of new Set(modalities)) {
        const part = batch.filter((r) => r.vectors.has(modality));
        // addBatch takes ids for every row or none: rows whose id is known first, then those the store numbers.
        const known = part.filter((r) => (r.id ?? ids.get(r)) !== undefined);
        const unknown = part.filter((r) => (r.id ?? ids.get(r)) === undefined);
        for (const group of [known, unknown]) {
          if (group.length === 0) continue;
          const dim = this.#o.rules.spaces[modality]!.dim;
          const flat = new Float32Array(group.length * dim);
          group.forEach((r, i) => flat.set(r.vectors.get(modality)!, i * dim));
          const metas = group.map((r) => (ids.has(r) ? kNoMeta : r.meta));
          const given = group === known ? group.map((r) => r.id ?? ids.get(r)!) : undefined;
          // Rows with no fields at all (a bare .npy) need no metas: addBatch then shares one fields object.
          const stored = await this.#target.addBatch(flat, { ids: given, metas: metas.every(hasNoKeys) ? undefined : metas, modality });
          group.forEach((r, i) => ids.set(r, stored.ids[i]!));
        }
      }
      for (const r of batch) this.#counts[r.replaces ? 'updated' : 'inserted']++;
      await this.#linkBatch(batch, skipped, ids);
    } catch (error) {
      this.#fatal ??= asError(error);
    }
    if (this.#fatal === undefined) this.#report(() => this.#o.onProgress?.(this.#progress()));
  }

  async #linkBatch(batch: readonly PreparedRow[], skipped: readonly PreparedRow[], ids: ReadonlyMap<PreparedRow, MemoryId>): Promise<void> {
    const links: Promise<void>[] = [];
    for (const r of [...batch, ...skipped].sort((a, b) => a.row - b.row)) {
      const from = r.id ?? ids.get(r)!;
      for (const l of r.links) {
        if (this.#target.has(l.to)) links.push(this.#link(from, l, r.row));
        else this.#pending.wait({ ...l, from, row: r.row });
      }
    }
    if (this.#pending.size > 0)
      for (const r of batch) for (const w of this.#pending.take(ids.get(r)!)) links.push(this.#link(w.from, w, w.row));
    await Promise.all(links);
  }

  /** Links whose target never came in the source: stored meanwhile by someone else, or failed. */
  async #linkLeftovers(): Promise<void> {
    const links: Promise<void>[] = [];
    for (const w of this.#pending.drain()) {
      if (this.#target.has(w.to)) links.push(this.#link(w.from, w, w.row));
      else
        this.#failLink(
          w.row,
          w.from,
          w,
          new FeatherError(
            'FEATHER_ERR_NOT_FOUND',
            `row ${w.row}: link to ${JSON.stringify(w.to)} not made: no memory has that id (it is not stored and no row of the source stored it)`,
            { to: w.to },
          ),
        );
    }
    await Promise.all(links);
    if (this.#fatal !== undefined) throw this.#fatal;
  }

  async #link(from: MemoryId, l: RowLink, row: number): Promise<void> {
    try {
      await this.#target.link(from, l.to, { type: l.type, weight: l.weight });
      this.#links.added++;
    } catch (error) {
      // Forgotten meanwhile by another caller: that link fails; anything else stops the run.
      if (error instanceof FeatherError && error.code === 'FEATHER_ERR_NOT_FOUND') this.#failLink(row, from, l, error);
      else this.#fatal ??= asError(error);
    }
  }

  #failLink(row: number, from: MemoryId, l: RowLink, error: FeatherError): void {
    this.#links.failed++;
    this.#record({ row, id: from, code: error.code, message: error.message, link: { to: l.to, type: l.type } });
  }

  #fail(row: number, id: MemoryId | undefined, error: unknown): void {
    this.#counts.failed++;
    const code: ErrorCode = error instanceof FeatherError ? error.code : 'FEATHER_ERR_INVALID_ARGUMENT';
    const message = error instanceof Error ? error.message : String(error);
    this.#record(id === undefined ? { row, code, message } : { row, id, code, message });
  }

  #record(failure: IngestFailure): void {
    if (this.#failures.length < kMaxReportedFailures) this.#failures.push(failure);
    this.#report(() => this.#o.onFailure?.(failure));
  }

  /** Runs a caller's callback; one that throws stops the run with its error. */
  #report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#fatal ??= asError(error);
    }
  }

  #progress(): IngestProgress {
    const elapsedMs = performance.now() - this.#started;
    return { ...this.#counts, rowsPerSecond: elapsedMs > 0 ? (this.#counts.read * 1000) / elapsedMs : 0, elapsedMs };
  }

  #throwIfAborted(): void {
    if (this.#o.signal?.aborted === true) throw new FeatherError('FEATHER_ERR_ABORTED', 'ingest aborted');
  }
}

function asError(error: unknown): Error {
  return error instanceof Error
    ? error
    : new FeatherError('FEATHER_ERR_INTERNAL', `ingest stopped on a non-Error value: ${describeValue(error)}`);
}
