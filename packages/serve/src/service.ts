// The service's operations, once, for REST and MCP alike: text in (embedded here) or vectors, every id
// scoped to the namespace it is called in, results as plain JSON.
import { statSync } from 'node:fs';
import { FeatherError, type Embedder, type Feather, type MemoryId, type MemoryRecord } from 'feather-db';
import { IdLocks } from './id-locks.js';
import type { ChainInputT, MemoryInputT, PatchT, PurgeInputT, SearchInputT } from './schemas.js';

/** A search hit as JSON carries its vector (when asked) as numbers. */
type Json<T> = { [K in keyof T]: T[K] extends Float32Array | undefined ? number[] | undefined : T[K] };

export interface ListInput {
  entity?: string;
  before?: string | number;
  limit?: number;
  filter?: Record<string, string | number | boolean>;
}

/** What a memory input must carry: a vector, or text to embed. */
function needsText(input: { vector?: number[]; text?: string }): boolean {
  return input.vector === undefined;
}

export class FeatherService {
  readonly db: Feather;
  readonly embedder: Embedder | undefined;
  readonly #locks = new IdLocks();

  constructor(db: Feather, embedder: Embedder | undefined) {
    this.db = db;
    this.embedder = embedder;
  }

  // ---- tenant checks -------------------------------------------------------------------------------

  /**
   * The record of `id` when it lives in `namespace`. Another namespace's memory answers exactly like a
   * missing one (the same 404), so a tenant cannot even learn that an id is taken elsewhere.
   */
  owned(namespace: string, id: MemoryId): MemoryRecord {
    const record = this.db.get(id);
    if (record === undefined || record.namespace !== namespace) {
      throw new FeatherError(
        'FEATHER_ERR_NOT_FOUND',
        `memory ${JSON.stringify(id)} does not exist in namespace ${JSON.stringify(namespace)}`,
        { id, namespace },
      );
    }
    return record;
  }

  /** An id about to be written: free, or already this namespace's. */
  #claimable(namespace: string, id: MemoryId): void {
    if (this.db.get(id) !== undefined) this.owned(namespace, id);
  }

  // ---- embedding -----------------------------------------------------------------------------------

  async #embed(texts: string[], what: string): Promise<Float32Array[]> {
    if (this.embedder === undefined) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${what} has text but no vector, and this server has no embedder (--embed none): send a vector`,
        { path: what },
      );
    }
    return this.embedder.embed(texts);
  }

  async #queryVector(input: { query?: string; vector?: number[] }): Promise<Float32Array | number[]> {
    if ((input.query === undefined) === (input.vector === undefined)) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', 'give exactly one of query (text, embedded by the server) and vector', {
        path: 'query',
      });
    }
    return input.vector ?? (await this.#embed([input.query!], 'query'))[0]!;
  }

  // ---- memories ------------------------------------------------------------------------------------

  async add(namespace: string, input: MemoryInputT): Promise<{ id: MemoryId }> {
    const { ids } = await this.addBatch(namespace, [input]);
    return { id: ids[0]! };
  }

  /** Adds or updates memories of one namespace in one write; texts without vectors are embedded in one call. */
  async addBatch(namespace: string, inputs: MemoryInputT[]): Promise<{ ids: MemoryId[] }> {
    inputs.forEach((m, i) => {
      if (needsText(m) && (m.text === undefined || m.text.trim() === '')) {
        throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `memories[${i}] needs a vector or a non-empty text to embed`, {
          path: `memories[${i}]`,
        });
      }
    });
    const toEmbed = inputs.flatMap((m, i) => (needsText(m) ? [i] : []));
    const embedded =
      toEmbed.length === 0
        ? []
        : await this.#embed(
            toEmbed.map((i) => inputs[i]!.text!),
            'memories',
          );
    const vectors: (Float32Array | number[])[] = inputs.map((m) => m.vector ?? []);
    toEmbed.forEach((i, j) => (vectors[i] = embedded[j]!));
    const ids = inputs.flatMap((m) => (m.id === undefined ? [] : [m.id]));
    return this.#locks.run(ids, async () => {
      for (const id of ids) this.#claimable(namespace, id);
      const metas = inputs.map(({ id: _id, vector: _vector, ...fields }) => ({ ...fields, namespace }));
      if (inputs.length === 1) {
        const { id } = await this.db.add(vectors[0]!, { ...metas[0], ...(inputs[0]!.id === undefined ? {} : { id: inputs[0]!.id }) });
        return { ids: [id] };
      }
      const explicit = inputs.every((m) => m.id !== undefined);
      if (!explicit && ids.length > 0) {
        // Mixed explicit and automatic ids: one add each, in order (addBatch takes all ids or none).
        const out: MemoryId[] = [];
        for (let i = 0; i < inputs.length; i++)
          out.push((await this.db.add(vectors[i]!, { ...metas[i], ...(inputs[i]!.id === undefined ? {} : { id: inputs[i]!.id }) })).id);
        return { ids: out };
      }
      return this.db.addBatch(vectors, { metas, ...(explicit ? { ids } : {}) });
    });
  }

  get(namespace: string, id: MemoryId): MemoryRecord {
    return this.owned(namespace, id);
  }

  /** The memory and its stored vector (of the default modality) as numbers. */
  getWithVector(namespace: string, id: MemoryId): MemoryRecord & { vector: number[] } {
    const record = this.owned(namespace, id);
    return { ...record, vector: Array.from(this.db.getVector(id) ?? []) };
  }

  update(namespace: string, id: MemoryId, patch: PatchT): Promise<MemoryRecord> {
    return this.#locks.run([id], async () => {
      this.owned(namespace, id);
      return this.db.update(id, patch);
    });
  }

  forget(namespace: string, id: MemoryId): Promise<{ forgotten: number }> {
    return this.#locks.run([id], async () => {
      this.owned(namespace, id);
      return { forgotten: await this.db.forget(id) };
    });
  }

  list(namespace: string, input: ListInput): ReturnType<Feather['list']> {
    const before = typeof input.before === 'string' && /^\d+$/.test(input.before) ? Number(input.before) : input.before;
    return this.db.list({ namespace, ...input, ...(before === undefined ? {} : { before }) });
  }

  // ---- graph ---------------------------------------------------------------------------------------

  /** A memory's edges whose other end is in the same namespace (edges made across tenants in-process stay unseen). */
  related(namespace: string, id: MemoryId): ReturnType<Feather['edges']> {
    this.owned(namespace, id);
    const { outgoing, incoming } = this.db.edges(id);
    const here = (other: MemoryId): boolean => this.db.get(other)?.namespace === namespace;
    return { outgoing: outgoing.filter((e) => here(e.to)), incoming: incoming.filter((e) => here(e.from)) };
  }

  link(namespace: string, from: MemoryId, to: MemoryId, options: { type?: string; weight?: number }): Promise<{ ok: true }> {
    return this.#locks.run([from, to], async () => {
      this.owned(namespace, from);
      this.owned(namespace, to);
      await this.db.link(from, to, options);
      return { ok: true as const };
    });
  }

  unlink(namespace: string, from: MemoryId, to: MemoryId, options: { type?: string }): Promise<{ removed: number }> {
    return this.#locks.run([from, to], async () => {
      this.owned(namespace, from);
      this.owned(namespace, to);
      return { removed: await this.db.unlink(from, to, options) };
    });
  }

  // ---- search --------------------------------------------------------------------------------------

  async search(namespace: string, input: SearchInputT): Promise<{ hits: Json<Awaited<ReturnType<Feather['search']>>[number]>[] }> {
    const { query: _query, vector: _vector, ...options } = input;
    const hits = await this.db.search(await this.#queryVector(input), { ...options, namespace });
    return { hits: hits.map(({ vector, ...hit }) => (vector === undefined ? hit : { ...hit, vector: Array.from(vector) })) };
  }

  async contextChain(namespace: string, input: ChainInputT): Promise<Awaited<ReturnType<Feather['contextChain']>>> {
    const { query: _query, vector: _vector, ...options } = input;
    return this.db.contextChain(await this.#queryVector(input), { ...options, namespace });
  }

  // ---- maintenance ---------------------------------------------------------------------------------

  async purge(namespace: string, input: PurgeInputT): Promise<{ forgotten: number }> {
    return { forgotten: await this.db.purge({ namespace, ...input }) };
  }

  async deleteEntity(namespace: string, entity: string): Promise<{ forgotten: number }> {
    return { forgotten: await this.db.deleteByEntity({ namespace, entity }) };
  }

  namespaces(): { namespaces: { name: string; count: number }[] } {
    return { namespaces: this.db.listNamespaces().map((name) => ({ name, count: this.db.count({ namespace: name }) })) };
  }

  namespace(name: string): { name: string; count: number } {
    return { name, count: this.db.count({ namespace: name }) };
  }

  async compact(rebuild = false): Promise<{ ok: true }> {
    await this.db.compact({ rebuild });
    return { ok: true };
  }

  /** Store totals, as `GET /api/v1/stats` and `feather_stats` answer them. */
  stats(): { total_vectors: number; namespaces: number; file_size_mb: number; load_time_ms: number } {
    let bytes = 0;
    try {
      bytes = statSync(this.db.path).size;
    } catch {
      // Not saved yet: the writes so far are all in the WAL.
    }
    return {
      total_vectors: this.db.count(),
      namespaces: this.db.listNamespaces().length,
      file_size_mb: bytes / 2 ** 20,
      load_time_ms: this.db.loadTimeMs,
    };
  }

  save(): Promise<{ bytes: number; ms: number }> {
    return this.db.save();
  }
}
