// A tenant cannot reach another namespace's id by any route or tool: it answers like a missing id, and the
// other namespace's memories and edges are exactly as they were.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLocalEmbedder, json, startTestServer, type TestServer } from './helpers.js';
import { call, httpClient } from './mcp-client.js';

const kSecretText = 'The launch code for project Falcon is 7-4-1.';
let t: TestServer;
let mcp: Client;
let before: unknown;

/** Everything namespace b holds, as JSON: records, edges, count. */
function snapshotB(): unknown {
  const db = t.server.service.db;
  const ids = db.list({ namespace: 'b' }).memories.map((m) => m.id);
  return json({ count: db.count({ namespace: 'b' }), records: ids.map((id) => db.get(id)), edges: ids.map((id) => db.edges(id)) });
}

beforeAll(async () => {
  t = await startTestServer();
  await t.call('POST', '/api/v1/namespaces/b/memories:batch', {
    memories: [
      { id: 'secret', text: kSecretText, entity: 'ops', attributes: { level: 'top' } },
      { id: 'b2', text: 'Falcon launches on Friday.', entity: 'ops' },
    ],
  });
  await t.call('POST', '/api/v1/namespaces/b/memories/secret/links', { to: 'b2', type: 'schedules' });
  await t.call('POST', '/api/v1/namespaces/a/memories', { id: 'mine', text: 'My own note about launch codes and rockets.', entity: 'ops' });
  // search with track: false everywhere below; b's recall counts are part of what must not change.
  before = snapshotB();
  mcp = await httpClient(t.url, t.key);
});
afterAll(async () => {
  await mcp.close();
  await t.server.close();
  await closeLocalEmbedder();
});

const a = '/api/v1/namespaces/a';
const notFound = (id: string): { code: string; message: string; details: unknown } => ({
  code: 'FEATHER_ERR_NOT_FOUND',
  message: `memory ${JSON.stringify(id)} does not exist in namespace "a"`,
  details: { id, namespace: 'a' },
});

describe('tenant isolation', () => {
  it('REST: every route naming an id of namespace b from namespace a answers 404, as for a missing id', async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', `${a}/memories/secret`],
      ['PATCH', `${a}/memories/secret`, { text: 'overwritten' }],
      ['DELETE', `${a}/memories/secret`],
      ['GET', `${a}/memories/secret/links`],
      ['POST', `${a}/memories/secret/links`, { to: 'mine' }],
      ['POST', `${a}/memories/mine/links`, { to: 'secret' }],
      ['DELETE', `${a}/memories/secret/links/b2`],
      ['DELETE', `${a}/memories/mine/links/secret`],
      ['POST', `${a}/memories`, { id: 'secret', text: 'taken over' }],
      ['POST', `${a}/memories`, { id: 'secret', vector: Array.from({ length: 512 }, () => 0.1) }],
      [
        'POST',
        `${a}/memories:batch`,
        {
          memories: [
            { id: 'fresh', text: 'a new one' },
            { id: 'secret', text: 'taken over' },
          ],
        },
      ],
    ];
    for (const [method, path, body] of attempts) {
      const { status, body: answer } = await t.call(method, path, body);
      expect(status, `${method} ${path}`).toBe(404);
      expect(answer, `${method} ${path}`).toEqual(notFound('secret'));
    }
    // An edge made across namespaces in-process is not shown from a: its other end is b's.
    await t.server.service.db.link('secret', 'mine', { type: 'leaks' });
    expect((await t.call('GET', `${a}/memories/mine/links`)).body).toEqual({ outgoing: [], incoming: [] });
    expect(await call(mcp, 'feather_related', { namespace: 'a', id: 'mine' })).toEqual({ memories: [] });
    await t.server.service.db.unlink('secret', 'mine');
    // The same answer as for an id nobody has.
    expect((await t.call('GET', `${a}/memories/nobody`)).body).toEqual(notFound('nobody'));
    // The batch wrote nothing, not even its other memory.
    expect(t.server.service.db.get('fresh')).toBeUndefined();
    expect(snapshotB()).toEqual(before);
  });

  it("REST and MCP: while edges join a's memory to b's, a's chains, links and related never cross them", async () => {
    const db = t.server.service.db;
    // Made in-process (the service refuses to make them): an outgoing edge into b and an incoming one from b.
    await db.link('mine', 'secret', { type: 'leaks' });
    await db.link('b2', 'mine', { type: 'points_at' });
    const crossing = {
      outgoing: [{ from: 'mine', to: 'secret', type: 'leaks', weight: 1 }],
      incoming: [{ from: 'b2', to: 'mine', type: 'points_at', weight: 1 }],
    };
    /** Whatever of b shows in an answer: its ids, texts, edge types, namespace. */
    const leaks = (answer: unknown): string[] => {
      const text = JSON.stringify(answer);
      return ['"secret"', '"b2"', kSecretText, 'Falcon launches', 'leaks', 'points_at', '"namespace":"b"'].filter((s) => text.includes(s));
    };
    try {
      // The edges are walkable: without a namespace, the chain from mine reaches both of b's memories.
      const mineVector = db.getVector('mine')!;
      const unscoped = await db.contextChain(mineVector, { k: 1, hops: 2, track: false });
      expect(unscoped.nodes.map((n) => n.id).sort()).toEqual(['b2', 'mine', 'secret']);

      const byQuery = { query: kSecretText, k: 5, hops: 3, track: false };
      const rest = await t.call('POST', `${a}/context-chain`, byQuery);
      expect(rest.status).toBe(200);
      expect(rest.body.nodes.map((n: { id: string }) => n.id)).toEqual(['mine']);
      expect(rest.body.edges).toEqual([]);
      expect(leaks(rest.body)).toEqual([]);
      // By vector from mine itself (hop 1 would be b's), the same as the embedded call scoped to a.
      const byVector = await t.call('POST', `${a}/context-chain`, { vector: Array.from(mineVector), k: 1, hops: 2, track: false });
      expect(byVector.body).toEqual(json(await db.contextChain(mineVector, { k: 1, hops: 2, track: false, namespace: 'a' })));
      expect(byVector.body.nodes.map((n: { id: string }) => n.id)).toEqual(['mine']);
      expect(leaks(byVector.body)).toEqual([]);
      const mcpChain = await call(mcp, 'feather_context_chain', { namespace: 'a', ...byQuery });
      expect(mcpChain).toEqual(rest.body);
      expect(leaks(mcpChain)).toEqual([]);

      expect((await t.call('GET', `${a}/memories/mine/links`)).body).toEqual({ outgoing: [], incoming: [] });
      expect(await call(mcp, 'feather_related', { namespace: 'a', id: 'mine' })).toEqual({ memories: [] });
      // Nor can a unlink or re-weight the edge into b: b's id is missing from a, and the edge stays as it was.
      for (const [method, path, body] of [
        ['DELETE', `${a}/memories/mine/links/secret`],
        ['DELETE', `${a}/memories/mine/links/secret?type=leaks`],
        ['POST', `${a}/memories/mine/links`, { to: 'secret', type: 'leaks', weight: 5 }],
      ] as [string, string, unknown?][]) {
        const answer = await t.call(method, path, body);
        expect([answer.status, answer.body], `${method} ${path}`).toEqual([404, notFound('secret')]);
      }
      expect(await call(mcp, 'feather_link', { namespace: 'a', from: 'mine', to: 'secret', type: 'leaks', weight: 5 })).toEqual({
        error: notFound('secret'),
      });
      expect(db.edges('mine')).toEqual(crossing);
    } finally {
      await db.unlink('mine', 'secret');
      await db.unlink('b2', 'mine');
    }
    expect(db.edges('mine')).toEqual({ outgoing: [], incoming: [] });
    expect(snapshotB()).toEqual(before);
  });

  it("REST: searches, chains, listings, purges and entity deletes of a never see or touch b's memories", async () => {
    const search = await t.call('POST', `${a}/search`, { query: kSecretText, k: 10, track: false });
    expect(search.body.hits.map((h: { id: string }) => h.id)).toEqual(['mine']);
    const chain = await t.call('POST', `${a}/context-chain`, { query: kSecretText, k: 5, hops: 3, track: false });
    expect(chain.body.nodes.map((n: { namespace: string }) => n.namespace)).toEqual(['a']);
    expect((await t.call('GET', `${a}/memories`)).body.memories.map((m: { id: string }) => m.id)).toEqual(['mine']);
    expect((await t.call('GET', `${a}/memories?filter=${encodeURIComponent('{"level":"top"}')}`)).body.memories).toEqual([]);
    expect((await t.call('GET', `${a}`)).body).toEqual({ name: 'a', count: 1 });
    expect(snapshotB()).toEqual(before);
    expect((await t.call('DELETE', `${a}/entities/ops`)).body).toEqual({ forgotten: 1 });
    await t.call('POST', `${a}/memories`, { id: 'mine', text: 'My own note about launch codes and rockets.', entity: 'ops' });
    expect((await t.call('POST', `${a}/purge`, {})).body).toEqual({ forgotten: 1 });
    expect(snapshotB()).toEqual(before);
    await t.call('POST', `${a}/memories`, { id: 'mine', text: 'My own note about launch codes and rockets.', entity: 'ops' });
  });

  it('MCP: every tool naming an id of b from a fails as for a missing id; the others stay inside a', async () => {
    const attempts: [string, Record<string, unknown>][] = [
      ['feather_get', { id: 'secret' }],
      ['feather_update', { id: 'secret', importance: 9 }],
      ['feather_forget', { id: 'secret' }],
      ['feather_related', { id: 'secret' }],
      ['feather_link', { from: 'secret', to: 'mine' }],
      ['feather_link', { from: 'mine', to: 'secret' }],
      ['feather_add', { id: 'secret', text: 'taken over' }],
    ];
    for (const [tool, args] of attempts)
      expect(await call(mcp, tool, { namespace: 'a', ...args }), tool).toEqual({ error: notFound('secret') });
    const hits = await call(mcp, 'feather_search', { namespace: 'a', query: kSecretText, k: 10, track: false });
    expect(hits.hits.map((h: { id: string }) => h.id)).toEqual(['mine']);
    const chain = await call(mcp, 'feather_context_chain', { namespace: 'a', query: kSecretText, hops: 3, track: false });
    expect(chain.nodes.map((n: { id: string }) => n.id)).toEqual(['mine']);
    expect((await call(mcp, 'feather_timeline', { namespace: 'a' })).memories.map((m: { id: string }) => m.id)).toEqual(['mine']);
    expect(await call(mcp, 'feather_delete_entity', { namespace: 'a', entity: 'ops' })).toEqual({ forgotten: 1 });
    expect(await call(mcp, 'feather_purge', { namespace: 'a' })).toEqual({ forgotten: 0 });
    expect(snapshotB()).toEqual(before);
    // And b itself still reaches its own memory.
    expect((await call(mcp, 'feather_get', { namespace: 'b', id: 'secret' })).text).toBe(kSecretText);
  });
});
