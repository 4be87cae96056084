import { statSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { authorized, kTools, parseCli, resolveApiKey, restRoutes, startServer } from '@feather-db/serve';
import { tempStorePath } from '@feather-db/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLocalEmbedder, kMcpToolNames, localEmbedder, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
let doc: { paths: Record<string, Record<string, { operationId: string; security: unknown[] }>> };

beforeAll(async () => {
  t = await startTestServer();
  doc = (await t.call('GET', '/api/v1/openapi.json')).body;
});
afterAll(async () => {
  await t.server.close();
  await closeLocalEmbedder();
});

const concrete = (path: string): string => path.replace('{ns}', 'a').replace('{id}', 'x').replace('{to}', 'y').replace('{entity}', 'e');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('lists every route, and every route it lists is served', async () => {
    const listed = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const table = restRoutes(t.server.service, '0').map((r) => `${r.method} ${r.path}`);
    expect(listed.sort()).toEqual([...table, 'GET /api/v1/openapi.json', 'GET /metrics', 'POST /mcp'].sort());
    // Served: with the key, no listed route answers "no route" (404 with FEATHER_ERR_NOT_FOUND for the route).
    for (const entry of listed) {
      const [method, path] = entry.split(' ') as [string, string];
      if (method === 'POST' && path === '/mcp') continue;
      const { body } = await t.call(method, concrete(path), method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(String(body?.message ?? ''), entry).not.toMatch(/^no route/);
    }
  });
});

describe('auth', () => {
  it('every protected route answers 401 without a key and with a wrong one; /health needs none', async () => {
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => [m.toUpperCase(), path] as const),
    );
    let checked = 0;
    for (const [method, path] of routes) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      if (path === '/health') {
        expect((await t.call(method, path, body, { key: null })).status).toBe(200);
        continue;
      }
      for (const key of [null, 'wrong-key-of-enough-length', `${t.key}x`, t.key.slice(0, -1)]) {
        const { status, body: answer } = await t.call(method, concrete(path), body, { key });
        expect(status, `${method} ${path} with key ${String(key)}`).toBe(401);
        expect(answer.code).toBe('FEATHER_ERR_UNAUTHORIZED');
      }
      checked++;
    }
    expect(checked).toBe(routes.length - 1);
    expect(checked).toBeGreaterThanOrEqual(20);
    // Unknown routes under the API are not told apart from known ones without a key.
    expect((await t.call('GET', '/api/v1/secret-route', undefined, { key: null })).status).toBe(401);
    expect((await t.call('POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { key: 'Bearer-less' })).status).toBe(401);
  });

  it('authorized() accepts exactly "Bearer <key>"', () => {
    const key = 'k'.repeat(32);
    expect(authorized(`Bearer ${key}`, key)).toBe(true);
    for (const header of [undefined, '', key, `bearer ${key}`, `Bearer ${key}k`, `Bearer ${key.slice(1)}`, 'Bearer ', `Basic ${key}`])
      expect(authorized(header, key), String(header)).toBe(false);
  });

  it('with no key given, one is created once in a 0600 file beside the store and reused after', async () => {
    const path = tempStorePath('keyed.feather');
    const first = resolveApiKey(undefined, path);
    expect(first.created).toBe(true);
    expect(first.key.length).toBeGreaterThanOrEqual(32);
    expect(first.file).toBe(`${path}.key`);
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    expect(resolveApiKey(undefined, path)).toEqual({ ...first, created: false });
    expect(resolveApiKey('given-key-0123456789', path)).toEqual({ key: 'given-key-0123456789', created: false, file: undefined });
    expect(() => resolveApiKey('short', path)).toThrow(/at least 16 characters/);
    // The server uses the file's key on its next start.
    const server = await startServer({ path, port: 0, threads: 1, logLevel: 'silent', embedder: await localEmbedder() });
    try {
      expect(server.apiKey).toEqual({ ...first, created: false });
    } finally {
      await server.close();
    }
  });

  it('--dev turns auth off and refuses any host but loopback', async () => {
    await expect(startServer({ path: tempStorePath(), dev: true, host: '0.0.0.0', port: 0, embed: 'none', dim: 4 })).rejects.toMatchObject({
      code: 'FEATHER_ERR_INVALID_ARGUMENT',
      message: '--dev turns auth off and so binds 127.0.0.1 only, got --host 0.0.0.0; drop --dev to serve other hosts with a key',
    });
    const dev = await startTestServer({ dev: true, embed: 'none', dim: 4 });
    try {
      expect(dev.server.apiKey).toBeUndefined();
      expect((await dev.call('GET', '/api/v1/stats', undefined, { key: null })).status).toBe(200);
      // No embedder: text is refused, vectors work.
      expect((await dev.call('POST', '/api/v1/namespaces/a/memories', { text: 'hi' })).body.message).toBe(
        'memories has text but no vector, and this server has no embedder (--embed none): send a vector',
      );
      expect((await dev.call('POST', '/api/v1/namespaces/a/memories', { vector: [1, 0, 0, 0] })).status).toBe(201);
    } finally {
      await dev.server.close();
    }
  });
});

describe('options', () => {
  it('flags win over the environment, which wins over defaults', () => {
    const env = {
      FEATHER_PORT: '8000',
      FEATHER_HOST: '0.0.0.0',
      FEATHER_DIM: '384',
      FEATHER_API_KEY: 'env-key-0123456789',
      FEATHER_EMBED_PROVIDER: 'openai',
    };
    expect(parseCli(['store.feather', '--port', '9000', '--embed', 'none'], env)).toMatchObject({
      path: 'store.feather',
      port: 9000,
      host: '0.0.0.0',
      dim: 384,
      apiKey: 'env-key-0123456789',
      embed: 'none',
      dev: false,
      stdio: false,
    });
    expect(parseCli([], {})).toMatchObject({ path: 'memory.feather', dev: false });
    expect(() => parseCli(['--embed', 'magic'], {})).toThrow('--embed must be one of local, openai, gemini, none, got "magic"');
    expect(() => parseCli(['--port', 'http'], {})).toThrow('--port must be an integer in [0, 65535], got "http"');
    expect(() => parseCli(['--nope'], {})).toThrow(/--nope/);
  });

  it('a dim that disagrees with the embedder fails at start', async () => {
    await expect(
      startServer({ path: tempStorePath(), port: 0, dim: 384, embedder: await localEmbedder(), logLevel: 'silent' }),
    ).rejects.toMatchObject({
      code: 'FEATHER_ERR_DIMENSION_MISMATCH',
      message: "--dim 384 differs from the local:use-lite-512 embedder's 512 dimensions; drop --dim or pick another embedder",
    });
  });

  it('names 14 MCP tools, each with an object input schema and a description', () => {
    expect(kTools.map((tool) => tool.name)).toEqual(kMcpToolNames);
    expect(kMcpToolNames).toHaveLength(14);
    for (const tool of kTools) {
      expect((tool.input as unknown as { type: string }).type).toBe('object');
      expect(tool.description.length).toBeGreaterThan(40);
    }
  });
});
