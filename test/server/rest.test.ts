import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLocalEmbedder, json, localEmbedder, startTestServer, type TestServer } from './helpers.js';

const kNow = Date.UTC(2026, 0, 15);
const kDay = 86_400_000;
const kFacts = [
  { id: 'tea', text: 'I drink green tea every morning before work.', entity: 'food', attributes: { source: 'chat' } },
  { id: 'dog', text: 'My dog Biscuit is a golden retriever who loves the beach.', entity: 'pets', attributes: { source: 'chat' } },
  { id: 'flight', text: 'Booked a flight to Lisbon for the conference in March.', entity: 'travel', attributes: { source: 'email' } },
  { id: 'allergy', text: 'I am allergic to peanuts and shellfish.', entity: 'food', attributes: { source: 'doctor' } },
  { id: 'car', text: 'The car needs new winter tyres before December.', entity: 'chores', attributes: { source: 'chat' } },
];

let t: TestServer;
const ns = '/api/v1/namespaces/home';

beforeAll(async () => {
  t = await startTestServer();
  const { status, body } = await t.call('POST', `${ns}/memories:batch`, {
    memories: kFacts.map((f, i) => ({ ...f, timestamp: kNow - (10 - i) * kDay })),
  });
  expect(status).toBe(201);
  expect(body).toEqual({ ids: kFacts.map((f) => f.id) });
});
afterAll(async () => {
  await t.server.close();
  await closeLocalEmbedder();
});

describe('REST: memories', () => {
  it("POST memories embeds the text server-side; the vector is the local model's", async () => {
    const { status, body } = await t.call('POST', `${ns}/memories`, {
      id: 'plant',
      text: 'Water the basil plant on the balcony every two days.',
      entity: 'chores',
      importance: 2,
      timestamp: kNow,
    });
    expect(status).toBe(201);
    expect(body).toEqual({ id: 'plant' });
    const [expected] = await (await localEmbedder()).embed(['Water the basil plant on the balcony every two days.']);
    const stored = t.server.service.db.getVector('plant')!;
    expect(stored.reduce((s, x, i) => s + x * expected[i], 0)).toBeCloseTo(1, 5);
    // A vector instead of text; no id: the next integer.
    const vector = Array.from(expected);
    expect((await t.call('POST', `${ns}/memories`, { vector, text: 'same meaning, sent as a vector', timestamp: kNow })).body).toEqual({
      id: 0,
    });
    expect((await t.call('GET', `${ns}/memories/0`)).body.text).toBe('same meaning, sent as a vector');
  });

  it('text in, the expected memory out as the top hit (local embedder)', async () => {
    const cases: [string, string][] = [
      ['what should I not eat?', 'allergy'],
      ['tell me about my pet', 'dog'],
      ['when is my trip to Portugal?', 'flight'],
      ['what hot drink do I like?', 'tea'],
    ];
    for (const [query, id] of cases) {
      const { status, body } = await t.call('POST', `${ns}/search`, { query, k: 3, track: false });
      expect(status).toBe(200);
      expect(body.hits[0].id, query).toBe(id);
    }
  });

  it('search takes the embedded options and answers what db.search answers', async () => {
    const embedder = await localEmbedder();
    const [q] = await embedder.embed(['food and drink']);
    const options = { k: 3, entity: 'food', filter: { source: 'chat' }, halfLife: 7, timeWeight: 0.5, now: kNow, track: false };
    const rest = await t.call('POST', `${ns}/search`, { query: 'food and drink', ...options, ef: 64 });
    const embedded = await t.server.service.db.search(q, { ...options, ef: 64, namespace: 'home' });
    expect(rest.body.hits).toEqual(json(embedded));
    expect(rest.body.hits.map((h: { id: string }) => h.id)).toEqual(['tea']);
    const withVector = await t.call('POST', `${ns}/search`, { vector: Array.from(q), k: 1, includeVector: true, track: false });
    expect(withVector.body.hits[0].vector).toHaveLength(512);
  });

  it('GET, PATCH and DELETE one memory; list pages newest first', async () => {
    const got = await t.call('GET', `${ns}/memories/tea`);
    expect(got.body).toEqual(json(t.server.service.db.get('tea')));
    const patched = await t.call('PATCH', `${ns}/memories/tea`, { importance: 3, attributes: { source: 'chat', pinned: true } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'tea', importance: 3, attributes: { source: 'chat', pinned: true } });
    await t.call('POST', `${ns}/memories`, { id: 'gone', text: 'temporary note' });
    expect((await t.call('DELETE', `${ns}/memories/gone`)).body).toEqual({ forgotten: 1 });
    expect((await t.call('GET', `${ns}/memories/gone`)).status).toBe(404);
    const page1 = await t.call('GET', `${ns}/memories?limit=2&entity=food`);
    expect(page1.body.memories.map((m: { id: string }) => m.id)).toEqual(['allergy', 'tea']);
    expect(page1.body.next).toBeNull();
    const all = await t.call('GET', `${ns}/memories?limit=2&filter=${encodeURIComponent('{"source":"chat"}')}`);
    expect(all.body.memories).toHaveLength(2);
    const next = await t.call(
      'GET',
      `${ns}/memories?limit=2&before=${encodeURIComponent(all.body.next)}&filter=${encodeURIComponent('{"source":"chat"}')}`,
    );
    expect(next.body.next).toBeNull();
    expect([...all.body.memories, ...next.body.memories].map((m: { id: string }) => m.id)).toEqual(
      json(t.server.service.db.list({ namespace: 'home', filter: { source: 'chat' } }).memories).map((m) => m.id),
    );
    const older = await t.call('GET', `${ns}/memories?before=${kNow - 8 * kDay}`);
    expect(older.body.memories.map((m: { id: string }) => m.id)).toEqual(['dog', 'tea']);
  });

  it('links: add, read, unlink by type; context chain follows them', async () => {
    expect((await t.call('POST', `${ns}/memories/allergy/links`, { to: 'tea', type: 'affects', weight: 0.7 })).status).toBe(201);
    expect((await t.call('POST', `${ns}/memories/allergy/links`, { to: 'dog' })).status).toBe(201);
    const links = await t.call('GET', `${ns}/memories/allergy/links`);
    expect(links.body).toEqual(json(t.server.service.db.edges('allergy')));
    expect(links.body.outgoing).toHaveLength(2);
    const chain = await t.call('POST', `${ns}/context-chain`, { query: 'peanut allergy', k: 1, hops: 1, now: kNow, track: false });
    const [q] = await (await localEmbedder()).embed(['peanut allergy']);
    expect(chain.body).toEqual(
      json(await t.server.service.db.contextChain(q, { k: 1, hops: 1, now: kNow, track: false, namespace: 'home' })),
    );
    expect(chain.body.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['allergy', 'dog', 'tea']);
    expect((await t.call('DELETE', `${ns}/memories/allergy/links/tea?type=affects`)).body).toEqual({ removed: 1 });
    expect((await t.call('DELETE', `${ns}/memories/allergy/links/dog`)).body).toEqual({ removed: 1 });
    expect((await t.call('GET', `${ns}/memories/allergy/links`)).body).toEqual({ outgoing: [], incoming: [] });
  });

  it('integer ids in paths: digits mean the integer; a digits-only string id is refused at add', async () => {
    expect((await t.call('POST', `${ns}/memories`, { id: 42, text: 'forty-two' })).body).toEqual({ id: 42 });
    expect((await t.call('GET', `${ns}/memories/42`)).body.id).toBe(42);
    const refused = await t.call('POST', `${ns}/memories`, { id: '42', text: 'string forty-two' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe(
      'memories[0].id "42" is a string of digits, which a URL cannot tell from the integer 42: send the integer, or a string id with a non-digit',
    );
  });
});

describe('REST: namespaces and the store', () => {
  it('namespaces, counts, purge, entity delete, compact, save, stats, health', async () => {
    await t.call('POST', '/api/v1/namespaces/scratch/memories:batch', {
      memories: [
        { text: 'old thing', timestamp: kNow - 100 * kDay, entity: 'x' },
        { text: 'new thing', timestamp: kNow, entity: 'x' },
        { text: 'other thing', entity: 'y', timestamp: kNow },
      ],
    });
    const list = await t.call('GET', '/api/v1/namespaces');
    expect(list.body.namespaces).toEqual(
      t.server.service.db.listNamespaces().map((name) => ({ name, count: t.server.service.db.count({ namespace: name }) })),
    );
    expect((await t.call('GET', '/api/v1/namespaces/scratch')).body).toEqual({ name: 'scratch', count: 3 });
    expect((await t.call('POST', '/api/v1/namespaces/scratch/purge', { olderThanDays: 30, now: kNow })).body).toEqual({ forgotten: 1 });
    expect((await t.call('DELETE', '/api/v1/namespaces/scratch/entities/x')).body).toEqual({ forgotten: 1 });
    expect((await t.call('POST', '/api/v1/namespaces/scratch/purge', {})).body).toEqual({ forgotten: 1 });
    expect((await t.call('GET', '/api/v1/namespaces/scratch')).body).toEqual({ name: 'scratch', count: 0 });
    const graphs = (): { nodes: number; tombstones: number; freeNodes: number }[] => Object.values(t.server.service.db.stats().modalities);
    expect(graphs().some((g) => g.tombstones > 0)).toBe(true);
    // The three forgotten are few beside the store: repaired in place, their slots freed for later adds.
    expect((await t.call('POST', '/api/v1/compact')).body).toEqual({ ok: true });
    expect(graphs().map((g) => g.tombstones)).toEqual(graphs().map(() => 0));
    expect((await t.call('POST', '/api/v1/compact?rebuild=maybe')).status).toBe(400);
    expect((await t.call('POST', '/api/v1/compact?rebuild=true')).body).toEqual({ ok: true });
    expect(graphs().map((g) => [g.nodes, g.freeNodes])).toEqual(graphs().map(() => [t.server.service.db.count(), 0]));
    const saved = await t.call('POST', '/api/v1/save');
    expect(saved.status).toBe(200);
    expect(saved.body.bytes).toBeGreaterThan(0);
    const stats = await t.call('GET', '/api/v1/stats');
    expect(stats.body).toEqual({
      total_vectors: t.server.service.db.count(),
      namespaces: 1,
      file_size_mb: saved.body.bytes / 2 ** 20,
      load_time_ms: t.server.service.db.loadTimeMs,
    });
    const health = await t.call('GET', '/health', undefined, { key: null });
    expect(health).toEqual({ status: 200, body: { status: 'ok', version: '0.1.0', vectors: t.server.service.db.count(), dim: 512 } });
  });

  it('/metrics: latency histograms per route, memories, namespaces, WAL bytes, RSS', async () => {
    await t.call('POST', `${ns}/search`, { query: 'tea', k: 1, track: false });
    const { status, body } = await t.call('GET', '/metrics');
    expect(status).toBe(200);
    const text = body as string;
    expect(text).toMatch(
      /feather_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/namespaces\/:ns\/search",status="200"\} [1-9]/,
    );
    expect(text).toContain(`feather_vectors ${t.server.service.db.count()}`);
    expect(text).toContain('feather_namespaces 1');
    expect(text).toMatch(/feather_wal_bytes \d+/);
    expect(text).toMatch(/feather_process_resident_memory_bytes [1-9]\d+/);
  });
});

describe('REST: bad requests get a 4xx with { code, message, details } and change nothing', () => {
  it('malformed JSON, wrong types, unknown fields, missing text and vector, bad dims, oversize bodies', async () => {
    const db = t.server.service.db;
    const before = { count: db.count(), tea: db.get('tea') };
    const cases: { name: string; send: () => ReturnType<TestServer['call']>; status: number; code: string; message: string | RegExp }[] = [
      {
        name: 'malformed JSON',
        send: () => t.call('POST', `${ns}/memories`, undefined, { raw: '{"text": "unterminated' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /^the request body is not valid JSON/,
      },
      {
        name: 'not JSON at all',
        send: () => t.call('POST', `${ns}/memories`, undefined, { raw: 'text=hello', contentType: 'text/plain' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /send Content-Type: application\/json$/,
      },
      {
        name: 'wrong type',
        send: () => t.call('POST', `${ns}/memories`, { text: 'x', importance: 'high' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: "body/importance must be number; see /api/v1/openapi.json for the request's schema",
      },
      {
        name: 'unknown field',
        send: () => t.call('PATCH', `${ns}/memories/tea`, { importance: 1, colour: 'red' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message:
          "body must NOT have additional properties (colour is not a field of this request); see /api/v1/openapi.json for the request's schema",
      },
      {
        name: 'empty patch',
        send: () => t.call('PATCH', `${ns}/memories/tea`, {}),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /^body must NOT have fewer than 1 properties/,
      },
      {
        name: 'no text nor vector',
        send: () => t.call('POST', `${ns}/memories`, { entity: 'x' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: 'memories[0] needs a vector or a non-empty text to embed',
      },
      {
        name: 'query and vector',
        send: () => t.call('POST', `${ns}/search`, { query: 'a', vector: [1, 2] }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: 'give exactly one of query (text, embedded by the server) and vector',
      },
      {
        name: 'wrong dimension',
        send: () => t.call('POST', `${ns}/memories`, { vector: [0.1, 0.2, 0.3] }),
        status: 400,
        code: 'FEATHER_ERR_DIMENSION_MISMATCH',
        message: /512/,
      },
      {
        name: 'k out of range',
        send: () => t.call('POST', `${ns}/search`, { query: 'a', k: 0 }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: "body/k must be >= 1; see /api/v1/openapi.json for the request's schema",
      },
      {
        name: 'bad filter JSON',
        send: () => t.call('GET', `${ns}/memories?filter=oops`),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: 'query filter must be a JSON object like {"source":"chat"}, got "oops"',
      },
      {
        name: 'bad cursor',
        send: () => t.call('GET', `${ns}/memories?before=nope`),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /^options.before must be the next cursor/,
      },
      {
        name: 'oversize body',
        send: () =>
          t.call('POST', `${ns}/memories:batch`, { memories: Array.from({ length: 2000 }, () => ({ text: 'x'.repeat(10_000) })) }),
        status: 413,
        code: 'FEATHER_ERR_PAYLOAD_TOO_LARGE',
        message: 'the request body is larger than this server accepts; send fewer memories per request or raise --body-limit',
      },
      {
        name: 'unknown route',
        send: () => t.call('GET', '/api/v1/nothing-here'),
        status: 404,
        code: 'FEATHER_ERR_NOT_FOUND',
        message: 'no route GET /api/v1/nothing-here; the routes are in /api/v1/openapi.json',
      },
      {
        name: 'unknown memory',
        send: () => t.call('GET', `${ns}/memories/nobody`),
        status: 404,
        code: 'FEATHER_ERR_NOT_FOUND',
        message: 'memory "nobody" does not exist in namespace "home"',
      },
    ];
    for (const c of cases) {
      const { status, body } = await c.send();
      expect(status, c.name).toBe(c.status);
      expect(body.code, c.name).toBe(c.code);
      if (typeof c.message === 'string') expect(body.message, c.name).toBe(c.message);
      else expect(body.message, c.name).toMatch(c.message);
      expect(
        Object.keys(body).every((k) => ['code', 'message', 'details'].includes(k)),
        c.name,
      ).toBe(true);
    }
    expect(db.count()).toBe(before.count);
    expect(db.get('tea')).toEqual(before.tea);
    expect((await db.checkIntegrity()).ok).toBe(true);
  });
});
