import { GeminiEmbedder } from '@feather-db/embed';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, startFakeProvider, vectorOf, type FakeProvider, type Received } from './fake-provider.js';

const kFast = { baseDelayMs: 1, maxDelayMs: 20 };
let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface GeminiRequest {
  requests: { model: string; content: { parts: { text: string }[] }; outputDimensionality?: number; taskType?: string }[];
}

function embeddings(request: Received, dim: number): { status: number; body: unknown } {
  const { requests } = request.body as GeminiRequest;
  return { status: 200, body: { embeddings: requests.map((r) => ({ values: vectorOf(r.content.parts[0].text, dim) })) } };
}

describe('GeminiEmbedder against a local server speaking the Gemini shapes', () => {
  it('sends batchEmbedContents with the key in a header, in batches, and keeps the order', async () => {
    fake = await startFakeProvider((r) => embeddings(r, 16));
    const e = new GeminiEmbedder({ apiKey: 'g-key', baseUrl: fake.baseUrl, dimensions: 16, taskType: 'RETRIEVAL_DOCUMENT', batchSize: 2 });
    expect(e.id).toBe('gemini:gemini-embedding-001@16');
    const texts = ['one', 'three', 'eleven', 'x', 'seventy'];
    const vectors = await e.embed(texts);
    expect(vectors.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    expect(fake.received).toHaveLength(3);
    const first = fake.received.find((r) => (r.body as GeminiRequest).requests[0].content.parts[0].text === 'one')!;
    expect(first.url).toBe('/models/gemini-embedding-001:batchEmbedContents');
    expect(first.headers['x-goog-api-key']).toBe('g-key');
    expect(first.body).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'one' }] },
          taskType: 'RETRIEVAL_DOCUMENT',
          outputDimensionality: 16,
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'three' }] },
          taskType: 'RETRIEVAL_DOCUMENT',
          outputDimensionality: 16,
        },
      ],
    });
  });

  it('retries 429 and 5xx, then succeeds; gives up with FEATHER_ERR_EMBEDDER', async () => {
    fake = await startFakeProvider((r, n) =>
      n < 2
        ? {
            status: n === 0 ? 429 : 500,
            body: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } },
          }
        : embeddings(r, 768),
    );
    const e = new GeminiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, model: 'text-embedding-004', ...kFast });
    expect(e.dim).toBe(768);
    expect((await e.embed(['hi']))[0]).toHaveLength(768);
    expect(fake.received).toHaveLength(3);
    fake.script = () => ({ status: 503, body: { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } } });
    const error = await errorOf(() => new GeminiEmbedder({ apiKey: 'k', baseUrl: fake!.baseUrl, retries: 1, ...kFast }).embed(['hi']));
    expect(error).toMatchObject({ code: 'FEATHER_ERR_EMBEDDER', details: { provider: 'gemini', status: 503, attempts: 2 } });
    expect(error.message).toBe(
      "Gemini answered 503: The model is overloaded. on each of 2 attempts; check the provider's status and your rate limits, or raise retries/timeoutMs",
    );
  });

  it('bounds the requests in flight across concurrent calls', async () => {
    // The first three requests are held until the third arrives, so three are in flight at once; a fourth
    // before one of them is answered would break the bound.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake = await startFakeProvider(async (r, n) => {
      if (n === 2) release();
      if (n < 3) await gate;
      return embeddings(r, 768);
    });
    const e = new GeminiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, model: 'text-embedding-004', batchSize: 1, concurrency: 3 });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'ggggggg', 'hhhhhhhh'];
    const [first, second] = await Promise.all([e.embed(texts.slice(0, 4)), e.embed(texts.slice(4))]);
    expect([...first, ...second].map((v) => v[0])).toEqual(texts.map((t) => t.length));
    expect(fake.received).toHaveLength(8);
    expect(fake.maxInFlight).toBe(3);
  });

  it('times out a request that never answers, and retries it', async () => {
    fake = await startFakeProvider((r, n) => (n === 0 ? 'hang' : embeddings(r, 3072)));
    const e = new GeminiEmbedder({ apiKey: 'k', baseUrl: fake.baseUrl, timeoutMs: 150, ...kFast });
    const [v] = await e.embed(['late']);
    expect(v).toEqual(Float32Array.from(vectorOf('late', 3072)));
    expect(fake.received).toHaveLength(2);
    expect(fake.received[1].body).toEqual(fake.received[0].body);
  });

  it('times out a request that never answers', async () => {
    fake = await startFakeProvider(() => 'hang');
    const error = await errorOf(() => new GeminiEmbedder({ apiKey: 'k', baseUrl: fake!.baseUrl, timeoutMs: 100, retries: 0 }).embed(['x']));
    expect(error.message).toBe(
      "Gemini timed out after 100 ms on each of 1 attempts; check the provider's status and your rate limits, or raise retries/timeoutMs",
    );
  });

  it("Google's 400 API_KEY_INVALID is a refused key: a clear error, never retried", async () => {
    fake = await startFakeProvider(() => ({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
        },
      },
    }));
    const error = await errorOf(() => new GeminiEmbedder({ apiKey: 'bad', baseUrl: fake!.baseUrl, ...kFast }).embed(['x']));
    expect(error).toMatchInlineSnapshot(`
      {
        "code": "FEATHER_ERR_EMBEDDER",
        "details": {
          "provider": "gemini",
          "reason": "bad-key",
          "status": 400,
        },
        "message": "Gemini refused the API key (400: API key not valid. Please pass a valid API key.); set GOOGLE_API_KEY (or options.apiKey) to a valid key",
      }
    `);
    expect(fake.received).toHaveLength(1);
    fake.script = () => ({
      status: 400,
      body: { error: { code: 400, message: 'Request payload size exceeds the limit', status: 'INVALID_ARGUMENT' } },
    });
    expect((await errorOf(() => new GeminiEmbedder({ apiKey: 'k', baseUrl: fake!.baseUrl }).embed(['x']))).message).toBe(
      'Gemini rejected the request (400: Request payload size exceeds the limit)',
    );
  });

  it('needs a key: options.apiKey, else GOOGLE_API_KEY, else GEMINI_API_KEY', async () => {
    const names = ['GOOGLE_API_KEY', 'GEMINI_API_KEY'] as const;
    const saved = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    try {
      expect(await errorOf(() => Promise.resolve(new GeminiEmbedder()))).toMatchObject({
        code: 'FEATHER_ERR_EMBEDDER',
        message: 'Gemini needs an API key: pass options.apiKey or set GOOGLE_API_KEY or GEMINI_API_KEY',
      });
      fake = await startFakeProvider((r) => embeddings(r, 3072));
      process.env['GOOGLE_API_KEY'] = 'google-from-env';
      process.env['GEMINI_API_KEY'] = 'gemini-from-env';
      await new GeminiEmbedder({ baseUrl: fake.baseUrl }).embed(['x']);
      expect(fake.received[0].headers['x-goog-api-key']).toBe('google-from-env');
      delete process.env['GOOGLE_API_KEY'];
      await new GeminiEmbedder({ baseUrl: fake.baseUrl }).embed(['x']);
      expect(fake.received[1].headers['x-goog-api-key']).toBe('gemini-from-env');
      await new GeminiEmbedder({ apiKey: 'given', baseUrl: fake.baseUrl }).embed(['x']);
      expect(fake.received[2].headers['x-goog-api-key']).toBe('given');
    } finally {
      names.forEach((name, i) => {
        const value = saved[i];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
    }
  });
});
