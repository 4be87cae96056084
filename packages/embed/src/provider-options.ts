import { describeValue, FeatherError } from 'feather-db';

/** The API key from the options or the environment, or a clear error naming both. */
export function requireKey(given: unknown, env: readonly string[], provider: string): string {
  const key = given ?? env.map((name) => process.env[name]).find((v) => v !== undefined && v !== '');
  if (typeof key !== 'string' || key.length === 0) {
    throw new FeatherError('FEATHER_ERR_EMBEDDER', `${provider} needs an API key: pass options.apiKey or set ${env.join(' or ')}`, {
      provider,
      reason: 'missing-key',
    });
  }
  return key;
}

/** The vector length of `model`: `dimensions` when given, else the model's known default. */
export function resolveDim(model: string, dimensions: unknown, known: Readonly<Record<string, number>>, provider: string): number {
  if (dimensions !== undefined) {
    if (!Number.isInteger(dimensions) || (dimensions as number) < 1 || (dimensions as number) > 65_536) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `options.dimensions must be an integer in [1, 65536], got ${describeValue(dimensions)}`,
        { path: 'options.dimensions' },
      );
    }
    return dimensions as number;
  }
  const dim = known[model];
  if (dim === undefined) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${provider} model ${JSON.stringify(model)} has no known dimension: pass options.dimensions (known models: ${Object.keys(known).join(', ')})`,
      { path: 'options.dimensions' },
    );
  }
  return dim;
}

/** The id a store records: provider, model and, when the output is shortened, its length. At most 64 bytes. */
export function providerModelId(provider: string, model: string, dimensions: number | undefined): string {
  if (typeof model !== 'string' || model.length === 0 || !/^[\w.\-/:]+$/.test(model)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.model must be a model name like 'text-embedding-3-small', got ${describeValue(model)}`,
      { path: 'options.model' },
    );
  }
  const id = dimensions === undefined ? `${provider}:${model}` : `${provider}:${model}@${dimensions}`;
  if (Buffer.byteLength(id) > 64)
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `the model id ${JSON.stringify(id)} is longer than the 64 bytes a store records; use a shorter model name`,
      { path: 'options.model' },
    );
  return id;
}

export function checkBaseUrl(value: unknown, fallback: string): string {
  const url = value ?? fallback;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.baseUrl must be an http(s) URL, got ${describeValue(url)}`, {
      path: 'options.baseUrl',
    });
  }
  return url.replace(/\/+$/, '');
}
