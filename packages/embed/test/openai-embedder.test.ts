import { OpenAiEmbedder } from '@feather-db/embed';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, startFakeProvider, vectorOf, type FakeProvider, type Received } from './fake-provider.js';

const kFast = { baseDelayMs: 1, maxDelayMs: 20 };
let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** OpenAI's success shape: data rows with their index (returned in reverse, to check they are ordered by it). */
function embeddings(request: Received, dim: number): { status: number; body: unknown } {
  const input = (request.body as { input: string[] }).input;
  const data = input.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text, dim) })).reverse();
  return { status: 200, body: { object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 1, total_tokens: 1 } } };
}

describe('OpenAiEmbedder against a local server speaking the OpenAI shapes', () => {
  it('sends the documented request, in batches, and returns one vector per text in order', async () => {
    fake = await startFakeProvider((r) => embeddings(r, 8));
    const e = new OpenAiEmbedder({ apiKey: 'sk-test', baseUrl: fake.baseUrl, dimensions: 8, batchSize: 3, concurrency: 2 });
    expect(e.id).toBe('openai:text-embedding-3-small@8');
    expect(e.dim).toBe(8);
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'g'];
    const vectors = await e.embed(texts);
    expect(vectors.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    expect(vectors[3]).toEqual(Float32Array.from(vectorOf('dddd', 8)));
    expect(fake.received).toHaveLength(3);
    const first = fake.received.find((r) => (r.body as { input: string[] }).input[0] === 'a')!;
    expect(first.url).toBe('/embeddings');
    expect(first.headers.authorization).toBe('Bearer sk-test');
    expect(first.body).toEqual({ model: 'text-embedding-3-small', input: ['a', 'bb', 'ccc'], encoding_format: 'float', dimensions: 8 });
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('bounds the requests in flight across concurrent calls', async () => {
    fake = await startFakeProvider((r) => embeddings(r, 1536));
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, batchSize: 1, concurrency: 3 });
    await Promise.all([e.embed(['a', 'b', 'c', 'd']), e.embed(['e', 'f', 'g', 'h'])]);
    expect(fake.received).toHaveLength(8);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    expect(fake.maxInFlight).toBeGreaterThan(1);
  });

  it('retries 429 (honouring Retry-After) and 5xx with backoff, then succeeds', async () => {
    fake = await startFakeProvider((r, n) =>
      n === 0
        ? { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'Rate limit reached' } } }
        : n === 1
          ? { status: 503, body: { error: { message: 'overloaded' } } }
          : embeddings(r, 1536),
    );
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, ...kFast });
    const [v] = await e.embed(['hello']);
    expect(v).toHaveLength(1536);
    expect(fake.received).toHaveLength(3);
  });

  it('gives up after the retries with FEATHER_ERR_EMBEDDER naming the last failure', async () => {
    fake = await startFakeProvider(() => ({ status: 500, body: { error: { message: 'The server had an error' } } }));
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, retries: 2, ...kFast });
    expect(await errorOf(() => e.embed(['x']))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_EMBEDDER",
        "details": {
          "attempts": 3,
          "provider": "openai",
          "status": 500,
        },
        "message": "OpenAI answered 500: The server had an error on each of 3 attempts; check the provider's status and your rate limits, or raise retries/timeoutMs",
      }
    `);
    expect(fake.received).toHaveLength(3);
  });

  it('times out a request that never answers, and retries it', async () => {
    fake = await startFakeProvider((r, n) => (n === 0 ? 'hang' : embeddings(r, 1536)));
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, timeoutMs: 150, ...kFast });
    expect(await e.embed(['late'])).toHaveLength(1);
    expect(fake.received).toHaveLength(2);
    fake.script = () => 'hang';
    const error = await errorOf(() =>
      new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake!.baseUrl, timeoutMs: 100, retries: 1, ...kFast }).embed(['never']),
    );
    expect(error.code).toBe('FEATHER_ERR_EMBEDDER');
    expect(error.message).toBe(
      "OpenAI timed out after 100 ms on each of 2 attempts; check the provider's status and your rate limits, or raise retries/timeoutMs",
    );
  });

  it('a refused key fails at once with a clear error, never retried', async () => {
    fake = await startFakeProvider(() => ({
      status: 401,
      body: { error: { message: 'Incorrect API key provided: sk-bad.', type: 'invalid_request_error', code: 'invalid_api_key' } },
    }));
    const e = new OpenAiEmbedder({ apiKey: 'sk-bad', baseUrl: fake.baseUrl, ...kFast });
    expect(await errorOf(() => e.embed(['x']))).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_EMBEDDER",
        "details": {
          "provider": "openai",
          "reason": "bad-key",
          "status": 401,
        },
        "message": "OpenAI refused the API key (401: Incorrect API key provided: sk-bad.); set OPENAI_API_KEY (or options.apiKey) to a valid key",
      }
    `);
    expect(fake.received).toHaveLength(1);
  });

  it('answers that are not one well-formed vector per text are provider errors', async () => {
    fake = await startFakeProvider(() => ({ status: 200, body: { data: [{ index: 0, embedding: [1, 2] }] } }));
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, dimensions: 4 });
    expect((await errorOf(() => e.embed(['x']))).message).toBe(
      'openai:text-embedding-3-small@4 returned a vector of 2 dimensions instead of 4; the provider or model answered something unexpected',
    );
    expect((await errorOf(() => e.embed(['x', 'y']))).message).toMatch(/returned 1 vectors for 2 texts/);
  });

  it('needs a key: options.apiKey or OPENAI_API_KEY', async () => {
    const saved = process.env['OPENAI_API_KEY'];
    delete process.env['OPENAI_API_KEY'];
    try {
      expect(await errorOf(() => Promise.resolve(new OpenAiEmbedder()))).toMatchObject({
        code: 'FEATHER_ERR_EMBEDDER',
        message: 'OpenAI needs an API key: pass options.apiKey or set OPENAI_API_KEY',
      });
      process.env['OPENAI_API_KEY'] = 'from-env';
      fake = await startFakeProvider((r) => embeddings(r, 1536));
      await new OpenAiEmbedder({ baseUrl: fake.baseUrl }).embed(['x']);
      expect(fake.received[0].headers.authorization).toBe('Bearer from-env');
    } finally {
      if (saved === undefined) delete process.env['OPENAI_API_KEY'];
      else process.env['OPENAI_API_KEY'] = saved;
    }
  });

  it('an aborted signal rejects with FEATHER_ERR_ABORTED, also while waiting to retry', async () => {
    fake = await startFakeProvider(() => ({ status: 503 }));
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, baseDelayMs: 10_000, maxDelayMs: 10_000 });
    expect((await errorOf(() => e.embed(['x'], { signal: AbortSignal.abort() }))).code).toBe('FEATHER_ERR_ABORTED');
    const controller = new AbortController();
    const pending = e.embed(['x'], { signal: controller.signal });
    while (fake.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await errorOf(() => pending)).code).toBe('FEATHER_ERR_ABORTED');
    expect(fake.received).toHaveLength(1);
  });

  it('rejects bad options and bad texts with FEATHER_ERR_INVALID_ARGUMENT', async () => {
    expect((await errorOf(() => Promise.resolve(new OpenAiEmbedder({ apiKey: 'k', model: 'my-model' })))).message).toBe(
      'OpenAI model "my-model" has no known dimension: pass options.dimensions (known models: text-embedding-3-small, text-embedding-3-large, text-embedding-ada-002)',
    );
    expect((await errorOf(() => Promise.resolve(new OpenAiEmbedder({ apiKey: 'k', batchSize: 0 })))).message).toBe(
      'options.batchSize must be an integer in [1, 10000], got 0',
    );
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });
    expect((await errorOf(() => e.embed(['ok', '  ']))).message).toBe(
      'texts[1] must be a string with at least one non-space character, got "  "; drop empty texts before embedding',
    );
    expect((await errorOf(() => e.embed('text' as unknown as string[]))).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
  });
});
