// feather-serve hosts the built admin page at /admin/ without a key (its data calls carry one), with headers
// that keep it to its own origin; and GET memory can return the stored vector the page chains around.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, FeatherService } from '@feather-db/serve';
import { tempDir, tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kKey = 'admin-hosting-key-0123456789';
let db: Feather;
let service: FeatherService;

beforeAll(async () => {
  db = await Feather.open(tempStorePath('admin.feather'), { dim: 4, threads: 1 });
  service = new FeatherService(db, undefined);
  await db.add([1, 0, 0, 0], { id: 'a', namespace: 'home', text: 'first' });
  await db.add([0, 1, 0, 0], { id: 'b', namespace: 'work', text: 'second' });
});
afterAll(async () => {
  await db.close();
});

/** A built page: index.html and one hashed asset, as Vite lays them out. */
function fakeBuild(): { root: string; asset: string } {
  const root = tempDir();
  mkdirSync(join(root, 'assets'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><title>admin</title><script type="module" src="./assets/index-abc123.js"></script>',
  );
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  return { root, asset: 'assets/index-abc123.js' };
}

describe('/admin/', () => {
  it('serves the page and its assets without a key; the API behind it still needs one', async () => {
    const { root, asset } = fakeBuild();
    const app = createApp({ service, apiKey: kKey, version: '0', admin: root });
    const redirect = await app.inject({ method: 'GET', url: '/admin' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers['location']).toBe('/admin/');
    const page = await app.inject({ method: 'GET', url: '/admin/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toBe(readFileSync(join(root, 'index.html'), 'utf8'));
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await app.inject({ method: 'GET', url: `/admin/${asset}` });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ method: 'GET', url: '/api/v1/stats' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/stats', headers: { authorization: `Bearer ${kKey}` } })).statusCode).toBe(200);
    // A file that is not there, and a way out of the folder, are plain 404s.
    const missing = await app.inject({ method: 'GET', url: '/admin/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'FEATHER_ERR_NOT_FOUND' });
    const escape = await app.inject({ method: 'GET', url: '/admin/..%2f..%2fpackage.json' });
    expect(escape.statusCode).toBeGreaterThanOrEqual(400);
    expect(escape.body).not.toContain('"name"');
    await app.close();
  });

  it('without a built page, /admin/ says how to build it; admin: false serves no /admin/ at all', async () => {
    const empty = tempDir();
    expect(readdirSync(empty)).toEqual([]);
    const unbuilt = createApp({ service, apiKey: kKey, version: '0', admin: empty });
    const answer = await unbuilt.inject({ method: 'GET', url: '/admin/' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({
      code: 'FEATHER_ERR_NOT_FOUND',
      message: expect.stringContaining('the admin page is not built') as unknown,
    });
    await unbuilt.close();
    const none = createApp({ service, apiKey: kKey, version: '0', admin: false });
    const off = await none.inject({ method: 'GET', url: '/admin/' });
    expect(off.statusCode).toBe(401);
    await none.close();
  });

  it('the default is the page @feather-db/admin built (pnpm build ran before the tests)', async () => {
    const app = createApp({ service, apiKey: kKey, version: '0' });
    const page = await app.inject({ method: 'GET', url: '/admin/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="app"></div>');
    const src = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(src).toBeDefined();
    expect((await app.inject({ method: 'GET', url: `/admin/${src}` })).statusCode).toBe(200);
    await app.close();
  });
});

describe('GET memory ?includeVector=true', () => {
  it("returns the stored vector; without it, none; another namespace's id stays a 404", async () => {
    const app = createApp({ service, apiKey: kKey, version: '0', admin: false });
    const get = (url: string): Promise<{ statusCode: number; json: () => Record<string, unknown> }> =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${kKey}` } });
    const withVector = await get('/api/v1/namespaces/home/memories/a?includeVector=true');
    expect(withVector.statusCode).toBe(200);
    expect(withVector.json()).toEqual({ ...JSON.parse(JSON.stringify(db.get('a'))), vector: Array.from(db.getVector('a')!) });
    expect(withVector.json()['vector']).toEqual([1, 0, 0, 0]);
    expect((await get('/api/v1/namespaces/home/memories/a')).json()).not.toHaveProperty('vector');
    expect((await get('/api/v1/namespaces/home/memories/a?includeVector=false')).json()).not.toHaveProperty('vector');
    expect((await get('/api/v1/namespaces/home/memories/b?includeVector=true')).statusCode).toBe(404);
    const bad = await get('/api/v1/namespaces/home/memories/a?includeVector=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    await app.close();
  });
});
