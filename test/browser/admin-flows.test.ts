// The admin page end to end: Debian's chromium drives /admin/ of a real feather-serve over a seeded store.
// Every view is checked by axe-core and photographed; the key never shows up in a URL or a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  closeAdminSession,
  openAdminSession,
  openTab,
  openView,
  screenshot,
  seriousViolations,
  sidewaysOverflow,
  signIn,
  startServe,
  storedKeys,
  type ServeProcess,
  type Tab,
} from './harness.js';

let server: ServeProcess;
let browser: Browser;
let tab: Tab;
let page: Page;
const tabs: Tab[] = [];

beforeAll(async () => {
  ({ server, browser, tab } = await openAdminSession());
  tabs.push(tab);
  page = tab.page;
}, 120_000);
afterAll(() => closeAdminSession({ server, browser }));

/** axe-core finds nothing serious on the view as it is now; then a screenshot of it. */
async function checkView(name: string, on: Page = page): Promise<void> {
  expect(await seriousViolations(on), name).toEqual([]);
  await screenshot(on, name);
}

const rowIds = (on: Page = page): Promise<string[]> => on.locator('table tbody tr th[scope="row"] a').allTextContents();

describe('signing in', () => {
  it("a wrong key shows the server's error and nothing of the store", async () => {
    const wrong = await openTab(browser);
    tabs.push(wrong);
    await wrong.page.goto(`${server.url}/admin/`);
    await wrong.page.getByLabel('API key').fill('not-the-key-of-this-server-0123');
    await wrong.page.getByRole('button', { name: 'Sign in' }).click();
    const alert = wrong.page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('The server refused this key');
    expect(await alert.textContent()).toContain('FEATHER_ERR_UNAUTHORIZED');
    expect(await wrong.page.getByRole('navigation', { name: 'Views' }).count()).toBe(0);
    expect(await storedKeys(wrong.page)).toEqual({ session: 0, local: 0 });
    await checkView('login-wrong-key', wrong.page);
    await wrong.context.close();
  });

  it('a saved key the server no longer takes is dropped, and the page asks again', async () => {
    const stale = await openTab(browser);
    tabs.push(stale);
    await stale.page.goto(`${server.url}/admin/`);
    await stale.page.getByLabel('API key').waitFor();
    await stale.page.evaluate(`sessionStorage.setItem('feather-admin.api-key', 'an-old-key-of-this-server-0123')`);
    await stale.page.reload();
    await expect
      .poll(() => stale.page.getByRole('status').textContent())
      .toBe('The saved key was refused (it may have changed): enter the current one.');
    expect(await storedKeys(stale.page)).toEqual({ session: 0, local: 0 });
    await stale.context.close();
  });

  it("the right key opens the overview with the store's counts; the key is kept for this tab only", async () => {
    await signIn(page, server);
    await expect.poll(() => page.getByTestId('stat-vectors').textContent()).toBe('38');
    expect(await page.getByTestId('stat-namespaces').textContent()).toBe('3');
    expect(await page.getByTestId('stat-dim').textContent()).toBe('512');
    const stats = (await server.call('GET', '/api/v1/stats')).body;
    expect(stats.total_vectors).toBe(38);
    // The live chart: a point appears after two scrapes of /metrics.
    await page.locator('#chart-rate-caption').waitFor();
    expect(await page.locator('figure.chart svg path.series').count()).toBe(3);
    expect(await storedKeys(page)).toEqual({ session: 1, local: 0 });
    await checkView('overview');
  });
});

describe('the views', () => {
  it('Namespaces: sizes, sortable by name and by size', async () => {
    await openView(page, 'Namespaces');
    await page.locator('table').waitFor();
    expect(await rowIds()).toEqual(['bulk', 'home', 'work']);
    expect(await page.locator('tbody td.num').allTextContents()).toEqual(['30', '6', '2']);
    const byName = page.getByRole('button', { name: /^Namespace/ });
    await byName.click();
    expect(await rowIds()).toEqual(['bulk', 'home', 'work']);
    expect(await page.locator('th', { has: byName }).getAttribute('aria-sort')).toBe('ascending');
    await byName.click();
    expect(await rowIds()).toEqual(['work', 'home', 'bulk']);
    expect(await page.locator('th', { has: byName }).getAttribute('aria-sort')).toBe('descending');
    await checkView('namespaces');
  });

  it('Records: newest first, filtered by entity and attribute, paged', async () => {
    await page.getByRole('link', { name: 'home', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Records' }).waitFor();
    await expect.poll(() => rowIds()).toEqual(['vet', 'car', 'allergy', 'flight', 'dog', 'tea']);
    await checkView('records');
    await page.getByLabel('Entity').fill('food');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rowIds()).toEqual(['allergy', 'tea']);
    await page.getByLabel('Attributes').fill('source=doctor, severe=true');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rowIds()).toEqual(['allergy']);
    expect(page.url()).toContain('entity=food');
    await page.getByLabel('Attributes').fill('source=nowhere');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('.status.empty').textContent()).toBe('No memory of home matches these filters.');
    // A filter that is not key=value is refused in the form, with what to write instead.
    await page.getByLabel('Attributes').fill('source');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#filter-hint').textContent()).toContain('"source" is not key=value');
    // Paging: 30 memories at 25 a page.
    await page.goto(`${server.url}/admin/#/records?ns=bulk`);
    await expect.poll(async () => (await rowIds()).length).toBe(25);
    expect((await rowIds())[0]).toBe('b29');
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => rowIds()).toEqual(['b04', 'b03', 'b02', 'b01', 'b00']);
    expect(await page.getByRole('button', { name: 'Older →' }).getAttribute('aria-disabled')).toBe('true');
    await page.getByRole('button', { name: '← Newer' }).click();
    await expect.poll(async () => (await rowIds())[0]).toBe('b29');
  });

  it('Search: text in, the expected memory on top, with score, similarity and recency', async () => {
    await openView(page, 'Search');
    await page.getByLabel('Namespace').selectOption('home');
    await page.getByLabel('Text').fill('what should I not eat?');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const first = page.locator('table.results tbody tr').first();
    await expect.poll(() => first.locator('th a').textContent()).toBe('I am allergic to peanuts and shellfish.');
    expect(await page.locator('table.results tbody tr').count()).toBe(6);
    // The score is the similarity without time decay.
    const cells = async (): Promise<string[]> => first.locator('td.num').allTextContents();
    const [, score, similarity] = await cells();
    expect(score).toBe(similarity);
    // With time decay the recency column shows what went into the score (the memory is 3 days old).
    await page.getByLabel(/^Time decay/).check();
    await page.getByLabel('Half-life (days)').fill('3');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('#results-title + p').textContent()).toContain('recency halves every 3 days');
    const allergyRow = page.locator('table.results tbody tr', { hasText: 'allergic' });
    const recency = Number((await allergyRow.locator('td.num').nth(3).textContent())!.split(' · ')[0]);
    // Age 3 days, half-life 3 days, never recalled: 0.5 (give or take the seconds since seeding).
    expect(recency).toBeCloseTo(0.5, 2);
    await checkView('search');
  });

  it('Record detail: metadata, edges in and out; add and remove an edge; edit importance and attributes', async () => {
    await page.goto(`${server.url}/admin/#/records?ns=home`);
    await page.getByRole('link', { name: 'dog', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Memory dog' }).waitFor();
    const incoming = page.locator('section[aria-labelledby="edges-incoming"]');
    const outgoing = page.locator('section[aria-labelledby="edges-outgoing"]');
    await expect
      .poll(() => incoming.locator('tbody tr').allTextContents())
      .toEqual(['teamentions1Remove the mentions edge from tea', 'vetabout2Remove the about edge from vet']);
    expect(await outgoing.locator('.status.empty').textContent()).toBe('No edges from this memory.');
    expect(await page.locator('.memory-text').textContent()).toBe('My dog Biscuit is a golden retriever who loves the beach.');
    await checkView('record-detail');

    await page.getByLabel('To (id)').fill('flight');
    await page.getByLabel('Type', { exact: true }).fill('before');
    await page.getByRole('button', { name: 'Add edge' }).click();
    await expect.poll(() => outgoing.locator('tbody tr th').allTextContents()).toEqual(['flight']);
    expect((await server.call('GET', '/api/v1/namespaces/home/memories/dog/links')).body.outgoing).toEqual([
      { from: 'dog', to: 'flight', type: 'before', weight: 1 },
    ]);
    await outgoing.getByRole('button', { name: 'Remove the before edge to flight' }).click();
    await expect.poll(() => outgoing.locator('.status.empty').count()).toBe(1);
    expect((await server.call('GET', '/api/v1/namespaces/home/memories/dog/links')).body.outgoing).toEqual([]);
    // An edge to a memory that does not exist: the server's 404, and nothing changes.
    await page.getByLabel('To (id)').fill('nobody');
    await page.getByRole('button', { name: 'Add edge' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('memory "nobody" does not exist in namespace "home"');

    await page.getByLabel('Importance').fill('2.5');
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Key 2').fill('pinned');
    await page.getByLabel('Type 2').selectOption('boolean');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('form[aria-labelledby="edit-title"] .status.ok').textContent()).toBe('Saved.');
    const saved = (await server.call('GET', '/api/v1/namespaces/home/memories/dog')).body;
    expect(saved).toMatchObject({ importance: 2.5, attributes: { source: 'chat', pinned: true } });
    expect(await page.locator('dl.meta').textContent()).toContain('Importance2.5');
  });

  it('Graph: the context chain around the record, drawn as linked nodes', async () => {
    await page.getByRole('link', { name: 'Context graph around this memory' }).click();
    await page.getByRole('heading', { level: 2, name: 'Around memory dog' }).waitFor();
    const { body: dog } = await server.call('GET', '/api/v1/namespaces/home/memories/dog?includeVector=true');
    const { body: chain } = await server.call('POST', '/api/v1/namespaces/home/context-chain', {
      vector: dog.vector,
      k: 5,
      hops: 2,
      track: false,
    });
    const nodes = page.locator('figure.graph svg a.node');
    await expect.poll(() => nodes.count()).toBe(chain.nodes.length);
    const labels = await nodes.evaluateAll((links) => links.map((a) => a.getAttribute('aria-label') ?? ''));
    expect(labels.map((l) => l.split(':')[0]).sort()).toEqual(chain.nodes.map((n: { id: string }) => n.id).sort());
    // Both incoming edges of dog are drawn (tea and vet are seeds or reached over them).
    expect(await page.locator('figure.graph svg line').count()).toBeGreaterThanOrEqual(2);
    await checkView('graph');
    // A node is a link to its memory.
    await nodes.filter({ has: page.locator('title', { hasText: /^vet:/ }) }).click();
    await page.getByRole('heading', { level: 1, name: 'Memory vet' }).waitFor();
  });

  it('Maintenance: compact and save show that they run, then what they did', async () => {
    await openView(page, 'Maintenance');
    // Hold the compact request until the busy state has been seen, so the check cannot race the server.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/compact', async (route) => {
      await held;
      await route.continue();
    });
    const compact = page.getByRole('button', { name: /Compact/ });
    await compact.click();
    await expect.poll(() => compact.getAttribute('aria-busy')).toBe('true');
    expect(await compact.textContent()).toBe('Compacting…');
    await screenshot(page, 'maintenance-busy');
    release();
    await expect
      .poll(() => page.getByTestId('compact-result').textContent())
      .toMatch(/^Compacted: the indexes hold no forgotten memories \([\d.]+ m?s, finished /);
    expect(await compact.getAttribute('aria-busy')).toBe('false');
    await page.unroute('**/api/v1/compact');
    await page.getByRole('button', { name: 'Save now' }).click();
    await expect.poll(() => page.getByTestId('save-result').textContent()).toMatch(/^Saved [\d.]+ (KiB|MiB) in [\d.]+ m?s/);
    expect((await server.call('GET', '/api/v1/stats')).body.file_size_mb).toBeGreaterThan(0);
    await checkView('maintenance');
  });

  it('Namespaces: a purge needs the namespace typed, then forgets it', async () => {
    await openView(page, 'Namespaces');
    await page.getByRole('button', { name: 'Purge… work' }).click();
    const form = page.getByRole('form', { name: 'Purge namespace work' });
    const purge = form.getByRole('button', { name: /^Purge/ });
    expect(await purge.textContent()).toBe('Purge (type the name first)');
    await form.getByLabel(/to confirm/).fill('wor');
    await purge.click();
    expect((await server.call('GET', '/api/v1/namespaces/work')).body.count).toBe(2);
    await screenshot(page, 'namespaces-purge');
    await form.getByLabel(/to confirm/).fill('work');
    await purge.click();
    await expect.poll(() => page.locator('.status.ok').textContent()).toBe('Purged work: 2 memories forgotten.');
    expect((await server.call('GET', '/api/v1/namespaces/work')).body.count).toBe(0);
    await expect.poll(() => rowIds()).toEqual(['bulk', 'home']);
  });

  it('Record detail: forget asks first, then the memory is gone', async () => {
    await page.goto(`${server.url}/admin/#/records/home/car`);
    await page.getByRole('button', { name: 'Forget this memory…' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await server.call('GET', '/api/v1/namespaces/home/memories/car')).status).toBe(200);
    await page.getByRole('button', { name: 'Forget this memory…' }).click();
    await page.getByRole('button', { name: 'Forget it' }).click();
    await page.getByRole('heading', { level: 1, name: 'Records' }).waitFor();
    expect((await server.call('GET', '/api/v1/namespaces/home/memories/car')).status).toBe(404);
    await expect.poll(() => rowIds()).toEqual(['vet', 'allergy', 'flight', 'dog', 'tea']);
    // Its page now says so.
    await page.goto(`${server.url}/admin/#/records/home/car`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('memory "car" does not exist in namespace "home"');
    await checkView('record-missing');
  });

  it('fits a narrow window: no sideways scrolling of the page, every view reachable', async () => {
    const narrow = await openTab(browser, { width: 390, height: 800 });
    tabs.push(narrow);
    await signIn(narrow.page, server);
    for (const [name, hash, ready] of [
      ['overview', '#/', '[data-testid="stat-vectors"]'],
      ['namespaces', '#/namespaces', 'table'],
      ['records', '#/records?ns=home', 'table'],
      ['search', '#/search', 'form[role="search"]'],
      ['record-detail', '#/records/home/dog', 'table.edges'],
      ['graph', '#/graph?ns=home&id=dog', 'figure.graph'],
      ['maintenance', '#/maintenance', 'form.purge-form'],
    ] as const) {
      await narrow.page.goto(`${server.url}/admin/${hash}`);
      await narrow.page.locator(ready).first().waitFor();
      const overflow = await sidewaysOverflow(narrow.page);
      expect(overflow, name).toBeLessThanOrEqual(0);
      await screenshot(narrow.page, `narrow-${name}`);
    }
    expect(await seriousViolations(narrow.page)).toEqual([]);
    await narrow.context.close();
  });
});

describe('--dev (no auth)', () => {
  it('the page opens without asking for a key and says auth is off; an empty store says so', async () => {
    const dev = await startServe({ dev: true });
    try {
      const open = await openTab(browser);
      await open.page.goto(`${dev.url}/admin/`);
      await open.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await expect.poll(() => open.page.getByTestId('stat-vectors').textContent()).toBe('0');
      expect(await open.page.locator('.status.empty').textContent()).toMatch(/^This store holds no memories yet/);
      await open.page.goto(`${dev.url}/admin/#/records`);
      await expect.poll(() => open.page.locator('.status.empty').textContent()).toBe('The store holds no memories yet.');
      await screenshot(open.page, 'records-empty-store');
      await dev.call('POST', '/api/v1/namespaces/lab/memories', { id: 'v1', vector: [1, 0, 0, 0], text: 'a vector-only memory' });
      await open.page.goto(`${dev.url}/admin/#/`);
      await expect.poll(() => open.page.getByTestId('stat-vectors').textContent()).toBe('1');
      expect(await open.page.getByText('no auth (--dev)').count()).toBe(1);
      expect(await open.page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      expect(await storedKeys(open.page)).toEqual({ session: 0, local: 0 });
      await open.context.close();
    } finally {
      await dev.stop();
    }
  });
});

describe('the key', () => {
  it('never appears in a URL the page loaded or in a line feather-serve logged', async () => {
    await server.stop();
    const urls = tabs.flatMap((t) => t.urls);
    expect(urls.length).toBeGreaterThan(50);
    for (const url of urls) expect(url.includes(server.key), url).toBe(false);
    // The server did log (trace level: every request with its URL), and none of it holds the key.
    expect(server.logs.filter((l) => l.includes('/api/v1/namespaces/home/search')).length).toBeGreaterThan(0);
    expect(server.logs.filter((l) => l.includes(server.key))).toEqual([]);
    expect(tabs.flatMap((t) => t.errors)).toEqual([]);
  });
});
