// The contract between a store and whatever turns text into its vectors (packages/embed implements it).

/** Options of {@link Embedder.embed}. */
export interface EmbedOptions {
  /** Stops the call; it rejects with FEATHER_ERR_ABORTED. */
  signal?: AbortSignal;
}

/**
 * Turns texts into vectors for one store. `id` names the model (and its version) and is recorded in the file
 * as the store's `embeddingModel`, so a store is never searched with another model's vectors: open with
 * `{ embeddingModel: embedder.id, dim: embedder.dim }`.
 */
export interface Embedder {
  /** Stable model id, at most 64 UTF-8 bytes, e.g. `'local:use-lite-512'` or `'openai:text-embedding-3-small'`. */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dim: number;
  /**
   * One vector per text, in order. Implementations split large inputs into batches and bound how many run at
   * once; the caller may pass any number of texts.
   * @throws FEATHER_ERR_INVALID_ARGUMENT for texts it cannot embed, FEATHER_ERR_EMBEDDER for a provider failure,
   * FEATHER_ERR_ABORTED when `options.signal` aborts.
   */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Frees the model or connections. Idempotent. */
  close(): Promise<void>;
}
