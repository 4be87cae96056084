import { FeatherError, HnswIndex, KernelArena, type WireError } from '@feather-db/core';
import type { IndexSpec, Reply, SharedInit, WriterApi } from '../protocol.js';

/** Runs `fn` and turns any thrown error into a wire reply (non-Feather errors become FEATHER_ERR_INTERNAL). */
export function toReply<T>(fn: () => T): Reply<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}

export function toWire(error: unknown): WireError {
  if (error instanceof FeatherError) return error.toWire();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'FEATHER_ERR_INTERNAL', message: `Unexpected error in a worker: ${message}` };
}

/**
 * The single writer: the only code that mutates the index. Its methods run one at a time on the writer
 * thread, in the order the facade called them; when a method returns, its effect is published.
 */
export class WriterService implements WriterApi {
  readonly #arena: KernelArena;
  #index: HnswIndex | undefined;

  constructor(init: SharedInit) {
    this.#arena = KernelArena.attach(init.memory, init.module);
  }

  init(spec: IndexSpec): Reply<{ address: number }> {
    return toReply(() => {
      this.#index = HnswIndex.create(this.#arena, spec);
      return { address: this.#index.address };
    });
  }

  add(vector: Float32Array): Reply<number> {
    return toReply(() => this.#require().add(vector));
  }

  reserveBatch(vectors: Float32Array): Reply<{ first: number; count: number }> {
    return toReply(() => {
      const index = this.#require();
      return { first: index.reserveMany(vectors), count: vectors.length / index.dim };
    });
  }

  forget(ids: number[]): Reply<number> {
    return toReply(() => {
      const index = this.#require();
      // Validate every id before deleting any, so a bad id leaves the store unchanged.
      for (const id of ids) {
        if (!index.has(id)) throw new FeatherError('FEATHER_ERR_NOT_FOUND', `memory ${id} does not exist (or was already forgotten)`, { id });
      }
      let n = 0;
      for (const id of ids) if (index.delete(id)) n++;
      return n;
    });
  }

  #require(): HnswIndex {
    if (this.#index === undefined) throw new FeatherError('FEATHER_ERR_INTERNAL', 'the writer was used before init');
    return this.#index;
  }
}
