// The hosted embedders' retry backoff, observed through the `timers` option: every wait the client asks for is
// recorded (and not waited), the jitter is drawn from a seeded generator and the clock is fixed, so each wait
// is known exactly without reading the wall clock.
import { OpenAiEmbedder, type HttpTimers } from '@feather-db/embed';
import { seededRandom, suiteSeed } from '@feather-db/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, startFakeProvider, vectorOf, type FakeProvider, type Received, type Script } from './fake-provider.js';

let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Wait {
  ms: number;
  /** Requests the server had received when the wait was asked for. */
  afterRequests: number;
}

/** Timers that record each requested wait and return at once. */
function recordingTimers(random: () => number, now?: () => number): { waits: Wait[]; timers: HttpTimers } {
  const waits: Wait[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push({ ms, afterRequests: fake!.received.length });
    return Promise.resolve();
  };
  return { waits, timers: { sleep, random, ...(now === undefined ? {} : { now }) } };
}

function embeddings(request: Received): { status: number; body: unknown } {
  const input = (request.body as { input: string[] }).input;
  return { status: 200, body: { data: input.map((text, index) => ({ index, embedding: vectorOf(text, 4) })) } };
}

/** Answers the scripted failures in order, then embeddings. */
function failThenSucceed(failures: { status: number; retryAfter?: string }[]): Script {
  return (request, n) => {
    const failure = failures[n];
    if (failure === undefined) return embeddings(request);
    return {
      status: failure.status,
      body: { error: { message: 'try later' } },
      ...(failure.retryAfter === undefined ? {} : { headers: { 'retry-after': failure.retryAfter } }),
    };
  };
}

const embedder = (options: ConstructorParameters<typeof OpenAiEmbedder>[0]): OpenAiEmbedder =>
  new OpenAiEmbedder({ apiKey: 'k', baseUrl: fake!.baseUrl, dimensions: 4, ...options });

describe('retry backoff of the hosted embedders (OpenAI and Gemini share it)', () => {
  it('waits between consecutive 429s and 5xx a backoff that doubles from baseDelayMs up to maxDelayMs (defaults 500 and 8,000)', async () => {
    fake = await startFakeProvider(failThenSucceed([429, 500, 502, 503, 504, 429].map((status) => ({ status }))));
    // A fixed jitter of one half shows the ceiling itself: half of 500, 1,000, 2,000, 4,000, 8,000, 8,000.
    const { waits, timers } = recordingTimers(() => 0.5);
    expect(await embedder({ retries: 6, timers }).embed(['x'])).toHaveLength(1);
    expect(fake.received).toHaveLength(7);
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 4000].map((ms, i) => ({ ms, afterRequests: i + 1 })));
  });

  it('each wait is a full-jitter draw: the random fraction of that retry’s ceiling, in [0, ceiling)', async () => {
    const random = seededRandom(suiteSeed('backoff jitter'));
    const draws: number[] = [];
    const { waits, timers } = recordingTimers(() => {
      const r = random();
      draws.push(r);
      return r;
    });
    fake = await startFakeProvider(failThenSucceed(Array.from({ length: 7 }, (_, i) => ({ status: i % 2 === 0 ? 429 : 503 }))));
    await embedder({ retries: 7, baseDelayMs: 100, maxDelayMs: 1500, timers }).embed(['x']);
    const ceilings = [100, 200, 400, 800, 1500, 1500, 1500];
    expect(draws).toHaveLength(7);
    expect(waits.map((w) => w.ms)).toEqual(ceilings.map((c, i) => draws[i] * c));
    waits.forEach((w, i) => {
      expect(w.ms).toBeGreaterThanOrEqual(0);
      expect(w.ms).toBeLessThan(ceilings[i]);
    });
  });

  it('honours Retry-After in seconds, on 429 and 5xx, when longer than the backoff; caps it at maxDelayMs; ignores an unreadable one', async () => {
    fake = await startFakeProvider(
      failThenSucceed([
        { status: 429, retryAfter: '2' }, // 2,000 > backoff 500
        { status: 503, retryAfter: '0.5' }, // 500 < backoff 1,000: the longer wins
        { status: 503, retryAfter: '3' }, // 3,000 > backoff 2,000
        { status: 429, retryAfter: '120' }, // capped at maxDelayMs
        { status: 429, retryAfter: 'soon' }, // unreadable: the backoff alone, 0.5 × 5,000
      ]),
    );
    const { waits, timers } = recordingTimers(() => 0.5);
    await embedder({ retries: 5, baseDelayMs: 1000, maxDelayMs: 5000, timers }).embed(['x']);
    expect(waits.map((w) => w.ms)).toEqual([2000, 1000, 3000, 5000, 2500]);
  });

  it('honours Retry-After as an HTTP date: the wait until then by the clock, none for a past date, capped at maxDelayMs', async () => {
    const now = Date.UTC(2025, 5, 1, 12, 0, 0);
    const at = (ms: number): string => new Date(now + ms).toUTCString();
    fake = await startFakeProvider(
      failThenSucceed([
        { status: 429, retryAfter: at(3000) },
        { status: 503, retryAfter: at(-60_000) }, // past: the backoff alone, 0.5 × 2,000
        { status: 429, retryAfter: at(3_600_000) },
      ]),
    );
    const { waits, timers } = recordingTimers(
      () => 0.5,
      () => now,
    );
    await embedder({ retries: 3, baseDelayMs: 1000, maxDelayMs: 5000, timers }).embed(['x']);
    expect(waits.map((w) => w.ms)).toEqual([3000, 1000, 5000]);
  });

  it('makes retries + 1 attempts with a wait between each, then fails naming the count', async () => {
    fake = await startFakeProvider(() => ({ status: 503, headers: { 'retry-after': '1' } }));
    const { waits, timers } = recordingTimers(() => 0);
    expect(await errorOf(() => embedder({ retries: 3, timers }).embed(['x']))).toMatchObject({
      code: 'FEATHER_ERR_EMBEDDER',
      details: { provider: 'openai', status: 503, attempts: 4 },
    });
    expect(fake.received).toHaveLength(4);
    expect(waits).toEqual([1, 2, 3].map((afterRequests) => ({ ms: 1000, afterRequests })));

    fake.received.length = 0;
    expect((await errorOf(() => embedder({ retries: 0, timers }).embed(['x']))).details).toMatchObject({ attempts: 1 });
    expect(fake.received).toHaveLength(1);
    expect(waits).toHaveLength(3);
  });

  it('backs off the same way when the server cannot be reached', async () => {
    fake = await startFakeProvider(() => ({ status: 200 }));
    const { baseUrl } = fake;
    await fake.close();
    const waits: number[] = [];
    const timers: HttpTimers = { random: () => 0.5, sleep: (ms) => Promise.resolve(void waits.push(ms)) };
    const e = new OpenAiEmbedder({ apiKey: 'k', baseUrl, retries: 2, baseDelayMs: 100, timers });
    expect((await errorOf(() => e.embed(['x']))).message).toBe(
      "OpenAI could not be reached (ECONNREFUSED) on each of 3 attempts; check the provider's status and your rate limits, or raise retries/timeoutMs",
    );
    expect(waits).toEqual([50, 100]);
  });

  it('rejects timers that are not an object of functions with FEATHER_ERR_INVALID_ARGUMENT', async () => {
    const make = (timers: unknown) => () => Promise.resolve(new OpenAiEmbedder({ apiKey: 'k', timers: timers as HttpTimers }));
    expect((await errorOf(make('fast'))).message).toBe('options.timers must be an object, got "fast"');
    expect((await errorOf(make({ sleep: 5 }))).message).toBe('options.timers.sleep must be a function, got 5');
    expect((await errorOf(make({ wait: () => undefined }))).message).toBe(
      'options.timers.wait is not an option; known: sleep, random, now',
    );
  });
});
