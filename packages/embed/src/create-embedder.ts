import { describeValue, FeatherError, type Embedder } from 'feather-db';
import { GeminiEmbedder, type GeminiEmbedderOptions } from './gemini-embedder.js';
import { LocalEmbedder, type LocalEmbedderOptions } from './local-embedder.js';
import { NoneEmbedder } from './none-embedder.js';
import { OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.js';

/** The providers {@link createEmbedder} knows. */
export const kEmbedProviders = ['local', 'openai', 'gemini', 'none'] as const;
export type EmbedProvider = (typeof kEmbedProviders)[number];

/** Options of {@link createEmbedder}, by provider. `none` needs the store's `dim`. */
export type CreateEmbedderOptions =
  | ({ provider: 'local' } & LocalEmbedderOptions)
  | ({ provider: 'openai' } & OpenAiEmbedderOptions)
  | ({ provider: 'gemini' } & GeminiEmbedderOptions)
  | { provider: 'none'; dim: number };

/**
 * An embedder by provider name (what `--embed` and `FEATHER_EMBED_PROVIDER` select). Keys default to the
 * environment (`OPENAI_API_KEY`, `GOOGLE_API_KEY`). The local model is loaded before this resolves.
 * @throws FEATHER_ERR_INVALID_ARGUMENT (unknown provider, bad options), FEATHER_ERR_EMBEDDER (no key, model load failure).
 */
export async function createEmbedder(options: CreateEmbedderOptions): Promise<Embedder> {
  switch (options.provider) {
    case 'local':
      return LocalEmbedder.create(withoutProvider(options));
    case 'openai':
      return new OpenAiEmbedder(withoutProvider(options));
    case 'gemini':
      return new GeminiEmbedder(withoutProvider(options));
    case 'none':
      return new NoneEmbedder(options.dim);
    default:
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `provider must be one of ${kEmbedProviders.join(', ')}, got ${describeValue((options as { provider?: unknown }).provider)}`,
        { path: 'provider' },
      );
  }
}

function withoutProvider<T extends { provider: string }>(options: T): Omit<T, 'provider'> {
  const rest: Partial<T> = { ...options };
  delete rest.provider;
  return rest as Omit<T, 'provider'>;
}
