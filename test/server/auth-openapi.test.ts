import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { authorized, kTools, parseCli, resolveApiKey, restRoutes, startServer } from '@feather-db/serve';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLocalEmbedder, kMcpToolNames, localEmbedder, startTestServer, type TestServer } from './helpers.js';
import { kServeBin } from './mcp-client.js';

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

interface Bin {
  /** What it wrote so far to stdout, and to stderr. */
  stdout: () => string;
  stderr: () => string;
  /** Its exit code once it ends. */
  exited: Promise<number | null>;
  /** Resolves once stdout matches (fails if the process ends first). */
  waitFor: (pattern: RegExp) => Promise<RegExpExecArray>;
  /** SIGTERM, then its exit code. */
  stop: () => Promise<number | null>;
}

/** The built feather-serve as a process of its own, with `env` as its whole environment. */
function runBin(args: string[], env: NodeJS.ProcessEnv): Bin {
  const child = spawn(process.execPath, [kServeBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitFor(pattern) {
      for (;;) {
        const match = pattern.exec(stdout);
        if (match !== null) return match;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`feather-serve exited before ${pattern}:\n${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** This process's environment without the variables that would choose feather-serve's key or embedder. */
function binEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['FEATHER_API_KEY', 'FEATHER_EMBED_PROVIDER', 'FEATHER_DIM', 'FEATHER_PORT', 'FEATHER_HOST'])
    if (!(name in extra)) delete env[name];
  return env;
}

/** Every file of a store's directory and its bytes. */
function filesBeside(path: string): Record<string, string> {
  const dir = dirname(path);
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
}

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

  it('feather-serve without a key creates one and prints it once; the next start prints none and takes it', async () => {
    const path = tempStorePath('printed.feather');
    const args = [path, '--embed', 'none', '--dim', '4', '--port', '0', '--threads', '1'];
    const first = runBin(args, binEnv());
    let key: string;
    try {
      await first.waitFor(/OpenAPI: /); // the banner's last line
      key = readFileSync(`${path}.key`, 'utf8').trim();
      expect(key.length).toBeGreaterThanOrEqual(32);
      expect(statSync(`${path}.key`).mode & 0o777).toBe(0o600);
      // Printed on the line that says where it is kept.
      const line = first
        .stdout()
        .split('\n')
        .find((l) => l.includes(key));
      expect(line, first.stdout()).toBeDefined();
      expect(line).toContain(`${path}.key`);
      const url = (await first.waitFor(/listening on (http:\/\/\S+)/))[1];
      expect((await fetch(`${url}/api/v1/stats`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${url}/api/v1/stats`)).status).toBe(401);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // Once in all it wrote (its request logs leave the key out).
    expect((first.stdout() + first.stderr()).split(key).length - 1).toBe(1);

    const second = runBin(args, binEnv());
    try {
      await second.waitFor(/OpenAPI: /);
      const url = (await second.waitFor(/listening on (http:\/\/\S+)/))[1];
      expect((await fetch(`${url}/api/v1/stats`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${url}/api/v1/stats`, { headers: { authorization: 'Bearer another-key-0123456789' } })).status).toBe(401);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(second.stdout() + second.stderr()).not.toContain(key);
    expect(readFileSync(`${path}.key`, 'utf8').trim()).toBe(key);
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

  it('feather-serve refuses a store made with another embedding model, names both, and leaves it as it was', async () => {
    // Made with OpenAI's model shortened to 512 dimensions: the local model's length, not its vectors.
    const path = tempStorePath('openai.feather');
    const made = await Feather.open(path, { dim: 512, embeddingModel: 'openai:text-embedding-3-small@512', threads: 1 });
    await made.add(
      Array.from({ length: 512 }, (_, i) => Math.cos(i)),
      { text: 'made elsewhere' },
    );
    await made.close();
    const before = filesBeside(path);
    const env = binEnv({ FEATHER_API_KEY: 'model-test-key-0123456789' });
    const local = runBin([path, '--embed', 'local', '--port', '0', '--threads', '1'], env);
    expect(await local.exited).toBe(1);
    expect(local.stderr()).toMatch(/FEATHER_ERR_DIMENSION_MISMATCH/);
    expect(local.stderr()).toContain("'openai:text-embedding-3-small@512'");
    expect(local.stderr()).toContain("'local:use-lite-512'");
    expect(local.stdout()).not.toMatch(/listening on/);
    expect(filesBeside(path)).toEqual(before);

    // And the other way: a store feather-serve made with the local model, started with OpenAI's (1,536-d).
    const mine = tempStorePath('local.feather');
    const server = await startServer({ path: mine, port: 0, threads: 1, logLevel: 'silent', embedder: await localEmbedder() });
    await server.service.add('a', { text: 'made with the local model' });
    await server.close();
    const mineBefore = filesBeside(mine);
    // The key would only be sent to embed a text: this start never gets that far.
    const openai = runBin([mine, '--embed', 'openai', '--port', '0', '--threads', '1'], { ...env, OPENAI_API_KEY: 'sk-never-sent' });
    expect(await openai.exited).toBe(1);
    expect(openai.stderr()).toMatch(/FEATHER_ERR_DIMENSION_MISMATCH/);
    expect(openai.stderr()).toMatch(/\b512\b[^]*\b1536\b/);
    expect(openai.stdout()).not.toMatch(/listening on/);
    expect(filesBeside(mine)).toEqual(mineBefore);
    // The store still opens with its own model.
    const reopened = await Feather.open(mine, { dim: 512, embeddingModel: 'local:use-lite-512', threads: 1, readOnly: true });
    expect(reopened.count()).toBe(1);
    await reopened.close();
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
