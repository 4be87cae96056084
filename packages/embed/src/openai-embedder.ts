import { FeatherError } from 'feather-db';
import { HostedEmbedder, type HostedOptions, type HostedProvider } from './hosted-embedder.js';

/** Options of {@link OpenAiEmbedder}. */
export interface OpenAiEmbedderOptions extends HostedOptions {
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

const kOpenAi: HostedProvider = {
  info: { name: 'OpenAI', id: 'openai', keyEnv: 'OPENAI_API_KEY', isBadKey: (status) => status === 401 || status === 403 },
  keyEnv: ['OPENAI_API_KEY'],
  defaultModel: 'text-embedding-3-small',
  defaultBaseUrl: 'https://api.openai.com/v1',
  baseUrlEnv: 'OPENAI_BASE_URL',
  batchSize: 128,
  knownDims: Object.freeze({ 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072, 'text-embedding-ada-002': 1536 }),
  extraKeys: [],
  endpoint: (baseUrl) => `${baseUrl}/embeddings`,
  keyHeaders: (key) => ({ authorization: `Bearer ${key}` }),
};

/** OpenAI's `/v1/embeddings` (or a compatible server). Id `'openai:<model>'`, `'openai:<model>@<dimensions>'` when shortened. */
export class OpenAiEmbedder extends HostedEmbedder {
  /** @throws FEATHER_ERR_INVALID_ARGUMENT for bad options, FEATHER_ERR_EMBEDDER when no key is given or set. */
  constructor(options?: OpenAiEmbedderOptions) {
    super(options, kOpenAi);
  }

  protected async embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const body = {
      model: this.model,
      input: texts,
      encoding_format: 'float',
      ...(this.dimensions === undefined ? {} : { dimensions: this.dimensions }),
    };
    const answer = await this.post(body, signal);
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
}
