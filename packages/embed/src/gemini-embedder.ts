import { FeatherError } from 'feather-db';
import { HostedEmbedder, type HostedOptions, type HostedProvider } from './hosted-embedder.js';

/** Options of {@link GeminiEmbedder}. */
export interface GeminiEmbedderOptions extends HostedOptions {
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

const kGemini: HostedProvider = {
  info: {
    name: 'Gemini',
    id: 'gemini',
    keyEnv: 'GOOGLE_API_KEY',
    // Google answers a bad key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID, a revoked one with 403.
    isBadKey: (status, body) => status === 401 || status === 403 || JSON.stringify(body ?? '').includes('API_KEY_INVALID'),
  },
  keyEnv: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'],
  defaultModel: 'gemini-embedding-001',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  batchSize: 100,
  knownDims: Object.freeze({ 'gemini-embedding-001': 3072, 'text-embedding-004': 768 }),
  extraKeys: ['taskType'],
  endpoint: (baseUrl, model) => `${baseUrl}/models/${model}:batchEmbedContents`,
  // The key goes in a header, never the URL (URLs end up in logs).
  keyHeaders: (key) => ({ 'x-goog-api-key': key }),
};

/** Google's Gemini `batchEmbedContents`. Id `'gemini:<model>'`, `'gemini:<model>@<dimensions>'` when shortened. */
export class GeminiEmbedder extends HostedEmbedder {
  readonly #taskType: string | undefined;

  /** @throws FEATHER_ERR_INVALID_ARGUMENT for bad options, FEATHER_ERR_EMBEDDER when no key is given or set. */
  constructor(options?: GeminiEmbedderOptions) {
    super(options, kGemini);
    this.#taskType = options?.taskType;
  }

  protected async embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const requests = texts.map((text) => ({
      model: `models/${this.model}`,
      content: { parts: [{ text }] },
      ...(this.#taskType === undefined ? {} : { taskType: this.#taskType }),
      ...(this.dimensions === undefined ? {} : { outputDimensionality: this.dimensions }),
    }));
    const answer = await this.post({ requests }, signal);
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
}
