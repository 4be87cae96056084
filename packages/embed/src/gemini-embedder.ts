import { FeatherError } from 'feather-db';
import { BatchedEmbedder, checkBatchOptions, type BatchOptions } from './batched-embedder.js';
import { checkHttpOptions, postJson, type HttpOptions, type ProviderInfo } from './http-json.js';
import { checkOptionsShape } from './options.js';
import { checkBaseUrl, providerModelId, requireKey, resolveDim } from './provider-options.js';

/** Options of {@link GeminiEmbedder}. */
export interface GeminiEmbedderOptions extends BatchOptions, HttpOptions {
  /** Default: `GOOGLE_API_KEY`, then `GEMINI_API_KEY`. */
  apiKey?: string;
  /** Default `'gemini-embedding-001'` (3072-d). */
  model?: string;
  /** `outputDimensionality`: a shorter vector; also the store's dim. Default: the model's full length. */
  dimensions?: number;
  /** e.g. `'RETRIEVAL_DOCUMENT'`, `'SEMANTIC_SIMILARITY'`. Default: none (the model's default). */
  taskType?: string;
  /** Default `'https://generativelanguage.googleapis.com/v1beta'`. */
  baseUrl?: string;
  /** Texts per request. Default 100 (the API's maximum). */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
}

const kProvider: ProviderInfo = {
  name: 'Gemini',
  id: 'gemini',
  keyEnv: 'GOOGLE_API_KEY',
  // Google answers a bad key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID, a revoked one with 403.
  isBadKey: (status, body) => status === 401 || status === 403 || JSON.stringify(body ?? '').includes('API_KEY_INVALID'),
};
const kKnownDims: Readonly<Record<string, number>> = Object.freeze({ 'gemini-embedding-001': 3072, 'text-embedding-004': 768 });
const kKeys = [
  'apiKey',
  'model',
  'dimensions',
  'taskType',
  'baseUrl',
  'batchSize',
  'concurrency',
  'timeoutMs',
  'retries',
  'baseDelayMs',
  'maxDelayMs',
] as const;

/** Google's Gemini `batchEmbedContents`. Id `'gemini:<model>'`, `'gemini:<model>@<dimensions>'` when shortened. */
export class GeminiEmbedder extends BatchedEmbedder {
  readonly id: string;
  readonly dim: number;
  readonly #key: string;
  readonly #model: string;
  readonly #dimensions: number | undefined;
  readonly #taskType: string | undefined;
  readonly #url: string;
  readonly #http: Required<HttpOptions>;

  /** @throws FEATHER_ERR_INVALID_ARGUMENT for bad options, FEATHER_ERR_EMBEDDER when no key is given or set. */
  constructor(options?: GeminiEmbedderOptions) {
    const o = checkOptionsShape<GeminiEmbedderOptions>(options, kKeys, 'options');
    super(checkBatchOptions(o, { batchSize: 100, concurrency: 4 }, 'options'));
    this.#model = o.model ?? 'gemini-embedding-001';
    this.dim = resolveDim(this.#model, o.dimensions, kKnownDims, 'Gemini');
    this.#dimensions = o.dimensions;
    this.#taskType = o.taskType;
    this.id = providerModelId('gemini', this.#model, o.dimensions);
    this.#url = `${checkBaseUrl(o.baseUrl, 'https://generativelanguage.googleapis.com/v1beta')}/models/${this.#model}:batchEmbedContents`;
    this.#http = checkHttpOptions(o, 'options');
    this.#key = requireKey(o.apiKey, ['GOOGLE_API_KEY', 'GEMINI_API_KEY'], 'Gemini');
  }

  protected async embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const requests = texts.map((text) => ({
      model: `models/${this.#model}`,
      content: { parts: [{ text }] },
      ...(this.#taskType === undefined ? {} : { taskType: this.#taskType }),
      ...(this.#dimensions === undefined ? {} : { outputDimensionality: this.#dimensions }),
    }));
    // The key goes in a header, never the URL (URLs end up in logs).
    const answer = await postJson(kProvider, this.#url, { 'x-goog-api-key': this.#key }, { requests }, this.#http, signal);
    const embeddings = (answer as { embeddings?: unknown }).embeddings;
    if (!Array.isArray(embeddings))
      throw new FeatherError('FEATHER_ERR_EMBEDDER', 'Gemini answered without an embeddings array', { provider: 'gemini' });
    return embeddings.map((e: unknown, i) => {
      const values = (e as { values?: unknown } | null)?.values;
      if (!Array.isArray(values))
        throw new FeatherError('FEATHER_ERR_EMBEDDER', `Gemini answered a malformed embedding at embeddings[${i}]`, { provider: 'gemini' });
      return Float32Array.from(values as number[]);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
