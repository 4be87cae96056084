import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { Feather, kErrors, type ErrorCode } from 'feather-db';
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

describe('REST: the OpenAPI document against the routes Fastify serves', () => {
  /** Served but not in the document, each for its reason. */
  const kUndocumented = [
    // The MCP endpoint is stateless: these answer 405 (POST /mcp is documented).
    'GET /mcp',
    'DELETE /mcp',
    // The admin page: static files without a key (its data calls use the documented routes).
    'GET /admin',
    'GET /admin/*',
  ];

  it('every route a running feather-serve serves is in /api/v1/openapi.json, but for the listed exceptions', async () => {
    // Every Fastify instance is published on this channel as it is created, before any route is added to it.
    const served: string[] = [];
    const onCreated = (message: unknown): void => {
      const { fastify } = message as {
        fastify: { addHook(name: 'onRoute', hook: (route: { method: string | string[]; url: string }) => void): void };
      };
      fastify.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) served.push(`${method} ${route.url}`);
      });
    };
    subscribe('fastify.initialization', onCreated);
    let s: TestServer;
    try {
      s = await startTestServer({ embed: 'none', dim: 4 });
    } finally {
      unsubscribe('fastify.initialization', onCreated);
    }
    try {
      const { status, body: doc } = await s.call('GET', '/api/v1/openapi.json');
      expect(status).toBe(200);
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      );
      // Fastify's form to OpenAPI's: `:name` -> `{name}`, a doubled `::` is a literal `:`.
      const openApiForm = (entry: string): string => {
        const [method, url] = entry.split(' ') as [string, string];
        return `${method} ${url
          .split('::')
          .map((part) => part.replace(/:(\w+)/g, '{$1}'))
          .join(':')}`;
      };
      const routes = served.map(openApiForm);
      // HEAD is Fastify's twin of each GET (exposeHeadRoutes): there is one for every GET and nothing else.
      const gets = routes.filter((r) => r.startsWith('GET '));
      expect(routes.filter((r) => r.startsWith('HEAD ')).sort()).toEqual(gets.map((r) => r.replace(/^GET /, 'HEAD ')).sort());
      const undocumented = routes.filter((r) => !r.startsWith('HEAD ') && !documented.includes(r));
      expect(undocumented.sort()).toEqual([...kUndocumented].sort());
      // Every served route under /api/v1 is documented (none of the exceptions is there), and everything documented is served.
      const api = routes.filter((r) => / \/api\/v1\//.test(r) && !r.startsWith('HEAD '));
      expect(api.filter((r) => !documented.includes(r))).toEqual([]);
      expect(documented.filter((r) => !routes.includes(r))).toEqual([]);
      // The routes were those of this server: Fastify answers each from its router.
      for (const entry of served) {
        const [method, url] = entry.split(' ') as [string, string];
        expect(s.server.app!.hasRoute({ method, url }), entry).toBe(true);
      }
    } finally {
      await s.server.close();
    }
  });
});

type Details = Record<string, unknown> | undefined;
/** The details of a request the schema refused: where, and Ajv's first error. */
const schemaDetails = (path: string, error: { path: string; message: string; keyword: string; params: object }): Details => ({
  path,
  errors: [error],
});
const unknownField = (where: string, name: string): Details =>
  schemaDetails(where, {
    path: where.replace(/^(body|querystring)/, ''),
    message: 'must NOT have additional properties',
    keyword: 'additionalProperties',
    params: { additionalProperty: name },
  });
const unknownFieldMessage = (where: string, name: string): string =>
  `${where} must NOT have additional properties (${name} is not a field of this request); see /api/v1/openapi.json for the request's schema`;

/** An error body is exactly `{ code, message, details? }` (ErrorBody: details optional, an object when there). */
function expectErrorBody(body: Record<string, unknown>, code: string, details: Details, name: string): void {
  expect(Object.keys(body).sort(), name).toEqual(details === undefined ? ['code', 'message'] : ['code', 'details', 'message']);
  expect(body['code'], name).toBe(code);
  expect(Object.keys(kErrors), name).toContain(code);
  expect(typeof body['message'] === 'string' && body['message'].length > 0, name).toBe(true);
  expect(body['details'], name).toEqual(details);
}

describe('REST: bad requests get a 4xx with { code, message, details } and change nothing', () => {
  it('malformed JSON, wrong types, unknown fields, missing text and vector, bad dims, oversize bodies', async () => {
    const db = t.server.service.db;
    const before = { count: db.count(), tea: db.get('tea') };
    const cases: {
      name: string;
      send: () => ReturnType<TestServer['call']>;
      status: number;
      code: ErrorCode;
      message: string | RegExp;
      details: Details;
    }[] = [
      {
        name: 'malformed JSON',
        send: () => t.call('POST', `${ns}/memories`, undefined, { raw: '{"text": "unterminated' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /^the request body is not valid JSON/,
        details: { path: 'body' },
      },
      {
        name: 'not JSON at all',
        send: () => t.call('POST', `${ns}/memories`, undefined, { raw: 'text=hello', contentType: 'text/plain' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /send Content-Type: application\/json$/,
        details: { path: 'body' },
      },
      {
        name: 'wrong type',
        send: () => t.call('POST', `${ns}/memories`, { text: 'x', importance: 'high' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: "body/importance must be number; see /api/v1/openapi.json for the request's schema",
        details: schemaDetails('body/importance', {
          path: '/importance',
          message: 'must be number',
          keyword: 'type',
          params: { type: 'number' },
        }),
      },
      {
        name: 'unknown field (PATCH)',
        send: () => t.call('PATCH', `${ns}/memories/tea`, { importance: 1, colour: 'red' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body', 'colour'),
        details: unknownField('body', 'colour'),
      },
      {
        name: 'unknown field (POST memories)',
        send: () => t.call('POST', `${ns}/memories`, { id: 'tea', text: 'overwritten', colour: 'red' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body', 'colour'),
        details: unknownField('body', 'colour'),
      },
      {
        name: 'unknown field (POST memories:batch, in a memory)',
        send: () =>
          t.call('POST', `${ns}/memories:batch`, { memories: [{ text: 'fine' }, { id: 'tea', text: 'overwritten', tags: ['x'] }] }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body/memories/1', 'tags'),
        details: unknownField('body/memories/1', 'tags'),
      },
      {
        name: 'unknown field (POST search)',
        send: () => t.call('POST', `${ns}/search`, { query: 'tea', limit: 3 }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body', 'limit'),
        details: unknownField('body', 'limit'),
      },
      {
        name: 'unknown field (POST context-chain)',
        send: () => t.call('POST', `${ns}/context-chain`, { query: 'tea', depth: 2 }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body', 'depth'),
        details: unknownField('body', 'depth'),
      },
      {
        name: 'unknown field (POST links)',
        send: () => t.call('POST', `${ns}/memories/tea/links`, { to: 'dog', label: 'x' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body', 'label'),
        details: unknownField('body', 'label'),
      },
      {
        name: 'unknown field (POST purge)',
        send: () => t.call('POST', `${ns}/purge`, { olderThan: 1 }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('body', 'olderThan'),
        details: unknownField('body', 'olderThan'),
      },
      {
        name: 'unknown query parameter',
        send: () => t.call('GET', `${ns}/memories?colour=red`),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: unknownFieldMessage('querystring', 'colour'),
        details: unknownField('querystring', 'colour'),
      },
      {
        name: 'empty patch',
        send: () => t.call('PATCH', `${ns}/memories/tea`, {}),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /^body must NOT have fewer than 1 properties/,
        details: schemaDetails('body', {
          path: '',
          message: 'must NOT have fewer than 1 properties',
          keyword: 'minProperties',
          params: { limit: 1 },
        }),
      },
      {
        name: 'no text nor vector',
        send: () => t.call('POST', `${ns}/memories`, { entity: 'x' }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: 'memories[0] needs a vector or a non-empty text to embed',
        details: { path: 'memories[0]' },
      },
      {
        name: 'query and vector',
        send: () => t.call('POST', `${ns}/search`, { query: 'a', vector: [1, 2] }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: 'give exactly one of query (text, embedded by the server) and vector',
        details: { path: 'query' },
      },
      {
        name: 'wrong dimension',
        send: () => t.call('POST', `${ns}/memories`, { vector: [0.1, 0.2, 0.3] }),
        status: 400,
        code: 'FEATHER_ERR_DIMENSION_MISMATCH',
        message: /512/,
        details: { path: 'vector', expected: 512, received: 3 },
      },
      {
        name: 'k out of range',
        send: () => t.call('POST', `${ns}/search`, { query: 'a', k: 0 }),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: "body/k must be >= 1; see /api/v1/openapi.json for the request's schema",
        details: schemaDetails('body/k', {
          path: '/k',
          message: 'must be >= 1',
          keyword: 'minimum',
          params: { comparison: '>=', limit: 1 },
        }),
      },
      {
        name: 'bad filter JSON',
        send: () => t.call('GET', `${ns}/memories?filter=oops`),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: 'query filter must be a JSON object like {"source":"chat"}, got "oops"',
        details: { path: 'querystring/filter' },
      },
      {
        name: 'bad cursor',
        send: () => t.call('GET', `${ns}/memories?before=nope`),
        status: 400,
        code: 'FEATHER_ERR_INVALID_ARGUMENT',
        message: /^options.before must be the next cursor/,
        details: { path: 'options.before' },
      },
      {
        name: 'oversize body',
        send: () =>
          t.call('POST', `${ns}/memories:batch`, { memories: Array.from({ length: 2000 }, () => ({ text: 'x'.repeat(10_000) })) }),
        status: 413,
        code: 'FEATHER_ERR_PAYLOAD_TOO_LARGE',
        message: 'the request body is larger than this server accepts; send fewer memories per request or raise --body-limit',
        details: { limit: 'body-limit' },
      },
      {
        name: 'unknown route',
        send: () => t.call('GET', '/api/v1/nothing-here'),
        status: 404,
        code: 'FEATHER_ERR_NOT_FOUND',
        message: 'no route GET /api/v1/nothing-here; the routes are in /api/v1/openapi.json',
        details: undefined,
      },
      {
        name: 'unknown memory',
        send: () => t.call('GET', `${ns}/memories/nobody`),
        status: 404,
        code: 'FEATHER_ERR_NOT_FOUND',
        message: 'memory "nobody" does not exist in namespace "home"',
        details: { id: 'nobody', namespace: 'home' },
      },
    ];
    for (const c of cases) {
      const { status, body } = await c.send();
      expect(status, c.name).toBe(c.status);
      // A caller's mistake: a 4xx, with a code of a caller's kind.
      expect(Math.floor(status / 100), c.name).toBe(4);
      expect(['usage', 'not_found'], c.name).toContain(kErrors[c.code].kind);
      expectErrorBody(body, c.code, c.details, c.name);
      if (typeof c.message === 'string') expect(body.message, c.name).toBe(c.message);
      else expect(body.message, c.name).toMatch(c.message);
    }
    expect(db.count()).toBe(before.count);
    expect(db.get('tea')).toEqual(before.tea);
    expect((await db.checkIntegrity()).ok).toBe(true);
  });
});

describe('REST: 5xx only for failures that are ours', () => {
  it("once the store's writer has died, writes answer 500 FEATHER_ERR_WORKER_EXITED; reads go on and caller mistakes stay 4xx", async () => {
    // feather-db's fault hook (read once, at open: docs/threading.md, "Fault injection"): the writer thread exits
    // on its second write.
    process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ writer: { at: 'writeMany', nth: 2, how: 'exit' } });
    let s: TestServer;
    try {
      s = await startTestServer({ embed: 'none', dim: 4 });
    } finally {
      delete process.env['FEATHER_INTERNAL_FAULTS'];
    }
    const path = s.server.service.db.path;
    const n = '/api/v1/namespaces/n';
    const kept = { id: 'kept', vector: [1, 0, 0, 0], entity: 'e', timestamp: kNow };
    let closed = false;
    try {
      expect(await s.call('POST', `${n}/memories`, kept)).toEqual({ status: 201, body: { id: 'kept' } });
      const writes: [string, string, unknown?][] = [
        ['POST', `${n}/memories`, { id: 'refused', vector: [0, 1, 0, 0], timestamp: kNow }],
        ['POST', `${n}/memories:batch`, { memories: [{ id: 'r1', vector: [0, 0, 1, 0], timestamp: kNow }] }],
        ['PATCH', `${n}/memories/kept`, { importance: 2 }],
        ['DELETE', `${n}/memories/kept`],
        ['POST', `${n}/purge`, { now: kNow }],
        ['DELETE', `${n}/entities/e`],
        ['POST', '/api/v1/save'],
      ];
      for (const [method, path, body] of writes) {
        const answer = await s.call(method, path, body);
        expect(answer.status, `${method} ${path}`).toBe(500);
        expectErrorBody(answer.body, 'FEATHER_ERR_WORKER_EXITED', { thread: 'writer' }, `${method} ${path}`);
        expect(answer.body.message, `${method} ${path}`).toMatch(/^The store's writer thread exited/);
        expect(kErrors[answer.body.code as ErrorCode].kind).toBe('internal');
      }
      // Reads answer from the shared memory and the mirror.
      expect((await s.call('GET', `${n}/memories/kept`)).body).toEqual(json(s.server.service.db.get('kept')));
      const hits = await s.call('POST', `${n}/search`, { vector: kept.vector, k: 1, track: false });
      expect([hits.status, hits.body.hits.map((h: { id: string }) => h.id)]).toEqual([200, ['kept']]);
      // The caller's mistakes are still the caller's (a write is refused with the fault before its vector is checked).
      const mistakes: [number, string, () => ReturnType<TestServer['call']>][] = [
        [400, 'FEATHER_ERR_INVALID_ARGUMENT', () => s.call('POST', `${n}/memories`, { vector: [1, 0, 0, 0], colour: 'red' })],
        [400, 'FEATHER_ERR_INVALID_ARGUMENT', () => s.call('GET', `${n}/memories?filter=oops`)],
        [400, 'FEATHER_ERR_DIMENSION_MISMATCH', () => s.call('POST', `${n}/search`, { vector: [1, 0], track: false })],
        [404, 'FEATHER_ERR_NOT_FOUND', () => s.call('GET', `${n}/memories/nobody`)],
        [401, 'FEATHER_ERR_UNAUTHORIZED', () => s.call('POST', `${n}/memories`, { vector: [1, 0, 0, 0] }, { key: null })],
      ];
      for (const [status, code, send] of mistakes) {
        const answer = await send();
        expect([answer.status, answer.body.code]).toEqual([status, code]);
      }
      // Closing settles with the fault; the acknowledged write is in the store, the refused ones are not.
      closed = true;
      expect(
        await s.server.close().then(
          () => 'closed',
          (error: { code?: string }) => error.code,
        ),
      ).toBe('FEATHER_ERR_WORKER_EXITED');
    } finally {
      if (!closed) await s.server.close().catch(() => undefined);
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
    const reopened = await Feather.open(path, { threads: 1 });
    try {
      expect(reopened.get('kept')).toMatchObject({ namespace: 'n', entity: 'e', importance: 1, timestamp: kNow });
      expect([reopened.count(), reopened.get('refused'), reopened.get('r1')]).toEqual([1, undefined, undefined]);
    } finally {
      await reopened.close();
    }
  });
});
