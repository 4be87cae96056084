import { statSync } from 'node:fs';
import { tempStorePath } from '@feather-db/testkit';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Feather } from 'feather-db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLocalEmbedder, json, kMcpToolNames, localEmbedder, startTestServer, type TestServer } from './helpers.js';
import { call, httpClient, stdioClient } from './mcp-client.js';

const kNow = Date.UTC(2026, 2, 1);
const kDay = 86_400_000;
const kNs = 'agent-7';
const kMemories = [
  {
    id: 'tea',
    text: 'The user drinks green tea every morning.',
    entity: 'food',
    attributes: { source: 'chat' },
    timestamp: kNow - 3 * kDay,
  },
  {
    id: 'peanut',
    text: 'The user is allergic to peanuts.',
    entity: 'food',
    attributes: { source: 'doctor' },
    importance: 2,
    timestamp: kNow - 2 * kDay,
  },
  {
    id: 'lisbon',
    text: 'The user flies to Lisbon on March 20 for a conference.',
    entity: 'travel',
    attributes: { source: 'email' },
    timestamp: kNow - 1 * kDay,
  },
  { id: 'old', text: 'The user once owned a red bicycle.', entity: 'misc', timestamp: kNow - 400 * kDay },
];

/** A memory added without an id: the store gives it the next integer. */
const kAuto = { text: 'The user prefers an aisle seat on long flights.', entity: 'travel', timestamp: kNow };

/** What the tools can change in a store, as JSON: memories, edges, vectors, counts and graph shapes. */
function stateOf(store: Feather): unknown {
  const { memories } = store.list({ namespace: kNs, limit: 100 });
  return json({
    count: store.count(),
    namespaces: store.listNamespaces(),
    memories,
    edges: memories.map((m) => store.edges(m.id)),
    vectors: memories.map((m) => Array.from(store.getVector(m.id)!)),
    graphs: Object.values(store.stats().modalities).map(({ nodes, tombstones, freeNodes }) => ({ nodes, tombstones, freeNodes })),
  });
}

/**
 * Every tool, in an order where each one has something to act on. Returns each call's result by step name
 * (the comparison across transports). With `t` and `twin` (a store of the same dim, empty at the start), checks
 * each call against the embedded API: reads against `t`'s own store, and each mutating tool against the same
 * call on `twin` (same inputs, same vectors, same `now`): equal results, then equal stores.
 */
async function scenario(client: Client, t?: TestServer, twin?: Feather): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const db = t?.server.service.db;
  const vector = async (text: string): Promise<Float32Array> => (await (await localEmbedder()).embed([text]))[0];
  const sameStores = (step: string): void => {
    if (db !== undefined && twin !== undefined) expect(stateOf(db), step).toEqual(stateOf(twin));
  };
  for (const m of kMemories) {
    out[`add ${m.id}`] = await call(client, 'feather_add', { namespace: kNs, ...m });
    if (twin !== undefined) {
      const { id, text, ...fields } = m;
      expect(out[`add ${m.id}`], m.id).toEqual(await twin.add(await vector(text), { ...fields, text, id, namespace: kNs }));
    }
  }
  if (db !== undefined) for (const m of kMemories) expect(db.get(m.id), m.id).toMatchObject({ ...m, namespace: kNs });
  out['add auto'] = await call(client, 'feather_add', { namespace: kNs, ...kAuto });
  expect(out['add auto']).toEqual({ id: 0 });
  if (twin !== undefined) expect(out['add auto']).toEqual(await twin.add(await vector(kAuto.text), { ...kAuto, namespace: kNs }));
  sameStores('add');

  const search = { k: 2, entity: 'food', halfLife: 10, now: kNow, track: false };
  out['search'] = await call(client, 'feather_search', { namespace: kNs, query: 'what must the user avoid eating?', ...search });
  if (db !== undefined)
    expect(out['search']).toEqual({
      hits: json(await db.search(await vector('what must the user avoid eating?'), { ...search, namespace: kNs })),
    });
  expect((out['search'] as { hits: { id: string }[] }).hits[0].id).toBe('peanut');

  out['link'] = await call(client, 'feather_link', { namespace: kNs, from: 'peanut', to: 'tea', type: 'same_topic', weight: 0.5 });
  out['link 2'] = await call(client, 'feather_link', { namespace: kNs, from: 'lisbon', to: 'peanut' });
  // db.link resolves with nothing; the tool says ok. The edges are compared below.
  expect([out['link'], out['link 2']]).toEqual([{ ok: true }, { ok: true }]);
  if (twin !== undefined) {
    await twin.link('peanut', 'tea', { type: 'same_topic', weight: 0.5 });
    await twin.link('lisbon', 'peanut', {});
  }
  if (db !== undefined) expect(db.edges('peanut').outgoing).toEqual([{ from: 'peanut', to: 'tea', type: 'same_topic', weight: 0.5 }]);
  sameStores('link');

  out['related'] = await call(client, 'feather_related', { namespace: kNs, id: 'peanut' });
  if (db !== undefined) {
    expect(out['related']).toEqual({
      memories: [
        { direction: 'outgoing', type: 'same_topic', weight: 0.5, memory: json(db.get('tea')) },
        { direction: 'incoming', type: 'related_to', weight: 1, memory: json(db.get('lisbon')) },
      ],
    });
  }

  const chain = { k: 1, hops: 2, now: kNow, track: false };
  out['chain'] = await call(client, 'feather_context_chain', { namespace: kNs, query: 'peanut allergy', ...chain });
  if (db !== undefined)
    expect(out['chain']).toEqual(json(await db.contextChain(await vector('peanut allergy'), { ...chain, namespace: kNs })));

  out['get'] = await call(client, 'feather_get', { namespace: kNs, id: 'lisbon' });
  if (db !== undefined) expect(out['get']).toEqual(json(db.get('lisbon')));

  const patch = { importance: 3, attributes: { source: 'chat', confirmed: true } };
  out['update'] = await call(client, 'feather_update', { namespace: kNs, id: 'tea', ...patch });
  if (db !== undefined) expect(out['update']).toEqual(json(db.get('tea')));
  if (twin !== undefined) expect(out['update']).toEqual(json(await twin.update('tea', patch)));
  sameStores('update');

  out['timeline'] = await call(client, 'feather_timeline', { namespace: kNs, limit: 2 });
  out['timeline 2'] = await call(client, 'feather_timeline', {
    namespace: kNs,
    limit: 2,
    before: (out['timeline'] as { next: string }).next,
  });
  if (db !== undefined) {
    const first = db.list({ namespace: kNs, limit: 2 });
    expect(out['timeline']).toEqual(json(first));
    expect(out['timeline 2']).toEqual(json(db.list({ namespace: kNs, limit: 2, before: first.next! })));
  }

  out['namespaces'] = await call(client, 'feather_list_namespaces');
  if (db !== undefined)
    expect(out['namespaces']).toEqual({ namespaces: db.listNamespaces().map((name) => ({ name, count: db.count({ namespace: name }) })) });

  const stats = await call(client, 'feather_stats');
  out['stats'] = { total_vectors: stats.total_vectors, namespaces: stats.namespaces };
  expect(out['stats']).toEqual({ total_vectors: 5, namespaces: 1 });
  if (db !== undefined) {
    expect(stats).toEqual({
      total_vectors: db.count(),
      namespaces: db.listNamespaces().length,
      file_size_mb: statSync(db.path).size / 2 ** 20,
      load_time_ms: db.loadTimeMs,
    });
  }

  out['purge'] = await call(client, 'feather_purge', { namespace: kNs, olderThanDays: 100, now: kNow });
  expect(out['purge']).toEqual({ forgotten: 1 });
  if (db !== undefined) expect(db.get('old')).toBeUndefined();
  if (twin !== undefined) expect(out['purge']).toEqual({ forgotten: await twin.purge({ namespace: kNs, olderThanDays: 100, now: kNow }) });
  sameStores('purge');

  out['forget'] = await call(client, 'feather_forget', { namespace: kNs, id: 'lisbon' });
  out['forget auto'] = await call(client, 'feather_forget', { namespace: kNs, id: 0 });
  expect([out['forget'], out['forget auto']]).toEqual([{ forgotten: 1 }, { forgotten: 1 }]);
  if (db !== undefined) expect([db.get('lisbon'), db.get(0), db.edges('peanut').incoming]).toEqual([undefined, undefined, []]);
  if (twin !== undefined) {
    expect(out['forget']).toEqual({ forgotten: await twin.forget('lisbon') });
    expect(out['forget auto']).toEqual({ forgotten: await twin.forget(0) });
  }
  sameStores('forget');

  out['delete entity'] = await call(client, 'feather_delete_entity', { namespace: kNs, entity: 'food' });
  expect(out['delete entity']).toEqual({ forgotten: 2 });
  if (db !== undefined) expect(db.count({ namespace: kNs })).toBe(0);
  if (twin !== undefined)
    expect(out['delete entity']).toEqual({ forgotten: await twin.deleteByEntity({ namespace: kNs, entity: 'food' }) });
  sameStores('delete entity');

  const tombstones = (): number[] => Object.values(db!.stats().modalities).map((g) => g.tombstones);
  if (db !== undefined) expect(tombstones().some((n) => n > 0)).toBe(true);
  out['compact'] = await call(client, 'feather_compact');
  // db.compact resolves with nothing; the tool says ok. The graphs are compared below.
  expect(out['compact']).toEqual({ ok: true });
  if (db !== undefined) expect(tombstones().every((n) => n === 0)).toBe(true);
  if (twin !== undefined) await twin.compact({ rebuild: false });
  sameStores('compact');

  out['bad'] = await call(client, 'feather_search', { namespace: kNs, query: 'x', k: 'ten' });
  out['missing'] = await call(client, 'feather_get', { namespace: kNs, id: 'nobody' });
  return out;
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.server.close();
  await closeLocalEmbedder();
});

describe('MCP', () => {
  let viaHttp: Record<string, unknown>;

  it('over Streamable HTTP: lists every tool and each call answers what the embedded API answers', async () => {
    const client = await httpClient(t.url, t.key);
    // The twin: a store of the same dim that the embedded API is given the same calls as the tools.
    const twin = await Feather.open(tempStorePath('twin.feather'), { dim: t.server.service.db.dim, threads: 1 });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(kMcpToolNames);
      for (const tool of tools) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.description!.length).toBeGreaterThan(40);
      }
      expect(tools.find((tool) => tool.name === 'feather_search')!.inputSchema.required).toEqual(['namespace', 'query']);
      viaHttp = await scenario(client, t, twin);
      expect(viaHttp['bad']).toEqual({
        error: expect.objectContaining({
          code: 'FEATHER_ERR_INVALID_ARGUMENT',
          message: "arguments/k must be integer; see /api/v1/openapi.json for the request's schema",
        }),
      });
      expect(viaHttp['missing']).toEqual({
        error: {
          code: 'FEATHER_ERR_NOT_FOUND',
          message: 'memory "nobody" does not exist in namespace "agent-7"',
          details: { id: 'nobody', namespace: 'agent-7' },
        },
      });
      expect(await call(client, 'feather_fly')).toEqual({
        error: { code: 'FEATHER_ERR_NOT_FOUND', message: 'no tool "feather_fly"; tools/list names them', details: { tool: 'feather_fly' } },
      });
    } finally {
      await client.close();
      await twin.close();
    }
  });

  it('over stdio (the built feather-serve --stdio): the same tools give the same results', async () => {
    const path = tempStorePath('stdio.feather');
    const client = await stdioClient(path);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(kMcpToolNames);
      const viaStdio = await scenario(client);
      expect(viaStdio).toEqual(viaHttp);
    } finally {
      await client.close();
    }
  });
});
