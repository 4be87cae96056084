// What the hosted providers (OpenAI, Gemini) share: the same option keys, checked in the same order, a key
// sent in a header, and nothing to release on close. Each provider adds its request and answer shapes.
import { BatchedEmbedder, checkBatchOptions, type BatchOptions } from './batched-embedder.js';
import { checkHttpOptions, postJson, type CheckedHttpOptions, type HttpOptions, type ProviderInfo } from './http-json.js';
import { checkOptionsShape } from './options.js';
import { checkBaseUrl, providerModelId, requireKey, resolveDim } from './provider-options.js';

/** The options every hosted provider takes (each provider's options document its own defaults). */
export interface HostedOptions extends BatchOptions, HttpOptions {
  apiKey?: string;
  model?: string;
  dimensions?: number;
  baseUrl?: string;
}

/** A hosted provider: who it is, its defaults, and how it addresses a model and carries the key. */
export interface HostedProvider {
  info: ProviderInfo;
  /** Environment variables that may hold the key, in the order they are tried. */
  keyEnv: readonly string[];
  defaultModel: string;
  defaultBaseUrl: string;
  /** An environment variable that, when set and not empty, replaces defaultBaseUrl. */
  baseUrlEnv?: string;
  batchSize: number;
  knownDims: Readonly<Record<string, number>>;
  /** Option keys beyond HostedOptions'. */
  extraKeys: readonly string[];
  /** The endpoint of `model` under the (checked, slash-trimmed) base URL. */
  endpoint: (baseUrl: string, model: string) => string;
  /** The request headers that carry the key. */
  keyHeaders: (key: string) => Record<string, string>;
}

const kHostedKeys: readonly string[] = [
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
  'timers',
];

export abstract class HostedEmbedder extends BatchedEmbedder {
  readonly id: string;
  readonly dim: number;
  protected readonly model: string;
  /** The shortened output length asked for, if any. */
  protected readonly dimensions: number | undefined;
  readonly #provider: HostedProvider;
  readonly #key: string;
  readonly #url: string;
  readonly #http: CheckedHttpOptions;

  /** @throws FEATHER_ERR_INVALID_ARGUMENT for bad options, FEATHER_ERR_EMBEDDER when no key is given or set. */
  protected constructor(options: HostedOptions | undefined, provider: HostedProvider) {
    const o = checkOptionsShape<HostedOptions>(options, [...kHostedKeys, ...provider.extraKeys], 'options');
    super(checkBatchOptions(o, { batchSize: provider.batchSize, concurrency: 4 }, 'options'));
    this.#provider = provider;
    this.model = o.model ?? provider.defaultModel;
    this.dim = resolveDim(this.model, o.dimensions, provider.knownDims, provider.info.name);
    this.dimensions = o.dimensions;
    this.id = providerModelId(provider.info.id, this.model, o.dimensions);
    const envBaseUrl = provider.baseUrlEnv === undefined ? undefined : process.env[provider.baseUrlEnv] || undefined;
    this.#url = provider.endpoint(checkBaseUrl(o.baseUrl ?? envBaseUrl, provider.defaultBaseUrl), this.model);
    this.#http = checkHttpOptions(o, 'options');
    this.#key = requireKey(o.apiKey, provider.keyEnv, provider.info.name);
  }

  /** Posts `body` to the model's endpoint with the key, timeouts and retries; resolves to the parsed answer. */
  protected post(body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    return postJson(this.#provider.info, this.#url, this.#provider.keyHeaders(this.#key), body, this.#http, signal);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
