import { FeatherError } from 'feather-db';
import { BatchedEmbedder, checkBatchOptions, type BatchOptions } from './batched-embedder.js';
import { checkHttpOptions, postJson, type HttpOptions, type ProviderInfo } from './http-json.js';
import { checkOptionsShape } from './options.js';
import { checkBaseUrl, providerModelId, requireKey, resolveDim } from './provider-options.js';

/** Options of {@link OpenAiEmbedder}. */
export interface OpenAiEmbedderOptions extends BatchOptions, HttpOptions {
  /** Default: `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Default `'text-embedding-3-small'` (1536-d). */
  model?: string;
  /** Shorter output (text-embedding-3 models); also the store's dim. Default: the model's full length. */
  dimensions?: number;
  /** Default `OPENAI_BASE_URL`, else `'https://api.openai.com/v1'`; any server speaking the same `/embeddings` shape works. */
  baseUrl?: string;
  /** Texts per request. Default 128 (the API takes up to 2048). */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
}

const kProvider: ProviderInfo = {
  name: 'OpenAI',
  id: 'openai',
  keyEnv: 'OPENAI_API_KEY',
  isBadKey: (status) => status === 401 || status === 403,
};
const kKnownDims: Readonly<Record<string, number>> = Object.freeze({
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
});
const kKeys = [
  'apiKey',
  'model',
  'dimensions',
  'baseUrl',
  'batchSize',
  'concurrency',
  'timeoutMs',
  'retries',
  'baseDelayMs',
  'maxDelayMs',
] as const;

/** OpenAI's `/v1/embeddings` (or a compatible server). Id `'openai:<model>'`, `'openai:<model>@<dimensions>'` when shortened. */
export class OpenAiEmbedder extends BatchedEmbedder {
  readonly id: string;
  readonly dim: number;
  readonly #key: string;
  readonly #model: string;
  readonly #dimensions: number | undefined;
  readonly #url: string;
  readonly #http: Required<HttpOptions>;

  /** @throws FEATHER_ERR_INVALID_ARGUMENT for bad options, FEATHER_ERR_EMBEDDER when no key is given or set. */
  constructor(options?: OpenAiEmbedderOptions) {
    const o = checkOptionsShape<OpenAiEmbedderOptions>(options, kKeys, 'options');
    super(checkBatchOptions(o, { batchSize: 128, concurrency: 4 }, 'options'));
    this.#model = o.model ?? 'text-embedding-3-small';
    this.dim = resolveDim(this.#model, o.dimensions, kKnownDims, 'OpenAI');
    this.#dimensions = o.dimensions;
    this.id = providerModelId('openai', this.#model, o.dimensions);
    this.#url = `${checkBaseUrl(o.baseUrl ?? (process.env['OPENAI_BASE_URL'] || undefined), 'https://api.openai.com/v1')}/embeddings`;
    this.#http = checkHttpOptions(o, 'options');
    this.#key = requireKey(o.apiKey, ['OPENAI_API_KEY'], 'OpenAI');
  }

  protected async embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const body = {
      model: this.#model,
      input: texts,
      encoding_format: 'float',
      ...(this.#dimensions === undefined ? {} : { dimensions: this.#dimensions }),
    };
    const answer = await postJson(kProvider, this.#url, { authorization: `Bearer ${this.#key}` }, body, this.#http, signal);
    const data = (answer as { data?: unknown }).data;
    if (!Array.isArray(data))
      throw new FeatherError(
        'FEATHER_ERR_EMBEDDER',
        'OpenAI answered without a data array; is baseUrl an OpenAI-compatible /v1 endpoint?',
        { provider: 'openai' },
      );
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    data.forEach((item: unknown, i) => {
      const { embedding, index } = (item ?? {}) as { embedding?: unknown; index?: unknown };
      // Rows come with their index; order by it rather than trusting the array order.
      const at = typeof index === 'number' ? index : i;
      if (!Array.isArray(embedding) || at < 0 || at >= texts.length)
        throw new FeatherError('FEATHER_ERR_EMBEDDER', `OpenAI answered a malformed embedding at data[${i}]`, { provider: 'openai' });
      vectors[at] = Float32Array.from(embedding as number[]);
    });
    return vectors.filter((v) => v !== undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
