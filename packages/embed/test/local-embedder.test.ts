import { createRequire } from 'node:module';
import { createEmbedder, kLocalModelId, LocalEmbedder } from '@feather-db/embed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from './fake-provider.js';

let local: LocalEmbedder;
beforeAll(async () => {
  local = await LocalEmbedder.create({ batchSize: 4 });
});
afterAll(() => local.close());

const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i], 0);

describe('LocalEmbedder (Universal Sentence Encoder lite, offline, on its own thread)', () => {
  it('embeds texts as 512-d unit vectors that place similar meanings close', async () => {
    expect(local.id).toBe(kLocalModelId);
    expect(local.dim).toBe(512);
    const [cat, kitten, market] = await local.embed([
      'The cat sleeps on the sofa.',
      'A kitten is napping on the couch.',
      'Stock prices fell sharply on Wall Street today.',
    ]);
    for (const v of [cat, kitten, market]) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    expect(cos(cat, kitten)).toBeGreaterThan(cos(cat, market) + 0.2);
  });

  it('batching does not change a vector: 10 texts in batches of 4 match each embedded alone', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `memory number ${i}: the user prefers ${['tea', 'coffee', 'water'][i % 3]}`);
    const together = await local.embed(texts);
    expect(together).toHaveLength(10);
    // Equal up to float rounding (the model's sums run in another order for another batch shape).
    for (const i of [0, 5, 9]) expect(cos(together[i], (await local.embed([texts[i]]))[0])).toBeCloseTo(1, 5);
  });

  it('runs the model on its own thread: this thread never loads it, and its event loop turns while a batch is embedded', async () => {
    // The model library is CommonJS: loaded on this thread (by require or import) it would be in this
    // thread's module cache; a worker thread has its own.
    const loadedHere = (): string[] => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@energetic-ai'));
    const order: string[] = [];
    const pending = local.embed(['The cat sleeps on the sofa.', 'A kitten is napping on the couch.', 'Stock prices fell.']).then(() => {
      order.push('embedded');
    });
    // Run on this thread, the model's synchronous kernels would finish the batch before an immediate queued now.
    setImmediate(() => order.push('immediate'));
    await pending;
    expect(order).toEqual(['immediate', 'embedded']);
    expect(loadedHere()).toEqual([]);
  });

  it('concurrent calls all answer, each with its own texts', async () => {
    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const results = await Promise.all(words.map((t) => local.embed([t, `${t} again`])));
    expect(results.map((r) => r.length)).toEqual([2, 2, 2, 2]);
    const alone = await local.embed(words);
    for (let i = 0; i < words.length; i++) expect(cos(results[i][0], alone[i])).toBeCloseTo(1, 5);
  });

  it('rejects empty texts with FEATHER_ERR_INVALID_ARGUMENT and an aborted call with FEATHER_ERR_ABORTED', async () => {
    expect(await errorOf(() => local.embed(['fine', '']))).toMatchObject({
      code: 'FEATHER_ERR_INVALID_ARGUMENT',
      message: 'texts[1] must be a string with at least one non-space character, got ""; drop empty texts before embedding',
    });
    expect((await errorOf(() => local.embed(['x'], { signal: AbortSignal.abort() }))).code).toBe('FEATHER_ERR_ABORTED');
    expect(await local.embed([])).toEqual([]);
  });

  it('createEmbedder builds each provider; none refuses text; a closed embedder refuses calls', async () => {
    const e = await createEmbedder({ provider: 'local', concurrency: 1 });
    expect(e.id).toBe('local:use-lite-512');
    await e.close();
    expect((await errorOf(() => e.embed(['x']))).code).toBe('FEATHER_ERR_CLOSED');
    const none = await createEmbedder({ provider: 'none', dim: 3 });
    expect(none.dim).toBe(3);
    expect(await errorOf(() => none.embed(['x']))).toMatchObject({
      code: 'FEATHER_ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/^this store has no embedder/) as unknown,
    });
    expect((await createEmbedder({ provider: 'openai', apiKey: 'k', dimensions: 64 })).id).toBe('openai:text-embedding-3-small@64');
    expect((await createEmbedder({ provider: 'gemini', apiKey: 'k' })).dim).toBe(3072);
    expect((await errorOf(() => createEmbedder({ provider: 'mystery' } as never))).message).toBe(
      'provider must be one of local, openai, gemini, none, got "mystery"',
    );
  });
});
