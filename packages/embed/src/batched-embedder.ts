import { describeValue, FeatherError, kMaxTextLength, type Embedder, type EmbedOptions } from 'feather-db';
import { Limiter, throwIfAborted } from './limiter.js';

/** How an embedder splits its input and how many batches it runs at once. */
export interface BatchOptions {
  /** Texts per provider request (or per model call). */
  batchSize?: number;
  /** Batches in flight at once, across every concurrent `embed` call of this embedder. */
  concurrency?: number;
}

/** Checks `embed`'s input: an array of strings, each with something to embed and within the text limit. */
export function checkTexts(texts: unknown): readonly string[] {
  if (!Array.isArray(texts))
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `texts must be an array of strings, got ${describeValue(texts)}`, {
      path: 'texts',
    });
  texts.forEach((text: unknown, i) => {
    const path = `texts[${i}]`;
    if (typeof text !== 'string' || text.trim().length === 0) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path} must be a string with at least one non-space character, got ${describeValue(text)}; drop empty texts before embedding`,
        { path },
      );
    }
    if (text.length > kMaxTextLength) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path} must be at most ${kMaxTextLength} characters, got ${text.length}; split the document into chunks`,
        { path },
      );
    }
  });
  return texts as readonly string[];
}

export function checkBatchOptions(o: BatchOptions, defaults: Required<BatchOptions>, path: string): Required<BatchOptions> {
  const out = { batchSize: o.batchSize ?? defaults.batchSize, concurrency: o.concurrency ?? defaults.concurrency };
  for (const [key, value] of Object.entries(out)) {
    if (!Number.isInteger(value) || value < 1 || value > 10_000) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path}.${key} must be an integer in [1, 10000], got ${describeValue(value)}`,
        { path: `${path}.${key}` },
      );
    }
  }
  return out;
}

/**
 * The shared half of every embedder: input checks, splitting into batches, the concurrency bound, abort, and
 * checking what the provider returned (one vector per text, `dim` finite numbers each). Subclasses implement
 * one batch.
 */
export abstract class BatchedEmbedder implements Embedder {
  abstract readonly id: string;
  abstract readonly dim: number;
  readonly #batchSize: number;
  readonly #limiter: Limiter;

  constructor(batch: Required<BatchOptions>) {
    this.#batchSize = batch.batchSize;
    this.#limiter = new Limiter(batch.concurrency);
  }

  /** Embeds one batch (at most batchSize texts, already checked). */
  protected abstract embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]>;

  abstract close(): Promise<void>;

  async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    const checked = checkTexts(texts);
    const signal = options?.signal;
    throwIfAborted(signal, 'embed');
    const batches: (readonly string[])[] = [];
    for (let i = 0; i < checked.length; i += this.#batchSize) batches.push(checked.slice(i, i + this.#batchSize));
    const results = await Promise.all(
      batches.map((batch) =>
        this.#limiter.run(
          async () => {
            // A batch that waited its turn does not start once its call was aborted.
            throwIfAborted(signal, 'embed');
            return this.#checkResult(await this.embedBatch(batch, signal), batch.length);
          },
          signal,
          'embed',
        ),
      ),
    );
    throwIfAborted(signal, 'embed');
    return results.flat();
  }

  #checkResult(vectors: Float32Array[], count: number): Float32Array[] {
    const bad = (why: string): FeatherError =>
      new FeatherError('FEATHER_ERR_EMBEDDER', `${this.id} returned ${why}; the provider or model answered something unexpected`, {
        provider: this.id,
      });
    if (vectors.length !== count) throw bad(`${vectors.length} vectors for ${count} texts`);
    for (const v of vectors) {
      if (v.length !== this.dim) throw bad(`a vector of ${v.length} dimensions instead of ${this.dim}`);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw bad('a vector holding NaN or Infinity');
    }
    return vectors;
  }
}
