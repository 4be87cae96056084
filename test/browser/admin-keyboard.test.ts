// The admin page by keyboard alone: every step below is a key press (Tab, Shift+Tab, Enter, Space, typing);
// the test only reads where the focus is and what the page and the server then hold.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAdminSession, openAdminSession, screenshot, seriousViolations, storedKeys, type ServeProcess, type Tab } from './harness.js';

let server: ServeProcess;
let browser: Browser;
let tab: Tab;
let page: Page;

beforeAll(async () => {
  ({ server, browser, tab } = await openAdminSession());
  page = tab.page;
}, 120_000);
afterAll(() => closeAdminSession({ server, browser }));

/** The focused element as `tag:accessible text` (its aria-label, else its label, else its text). */
function focused(): Promise<string> {
  return page.evaluate(`(() => {
    const e = document.activeElement;
    if (e === null) return 'none';
    const text = e.getAttribute('aria-label') ?? e.labels?.[0]?.textContent ?? e.textContent ?? '';
    return e.tagName.toLowerCase() + ':' + text.replace(/\\s+/g, ' ').trim();
  })()`);
}

/** Presses Tab (or Shift+Tab) until the focused element matches, at most 60 times. */
async function tabTo(target: RegExp, direction: 'forward' | 'back' = 'forward'): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press(direction === 'forward' ? 'Tab' : 'Shift+Tab');
    const now = await focused();
    if (target.test(now)) return;
    seen.push(now);
  }
  throw new Error(`no focusable element matching ${String(target)} within 60 presses; focus went through: ${seen.join(' | ')}`);
}

/** Activates a navigation link: back to the bar (it comes before the view), then Enter. */
async function goTo(view: string): Promise<void> {
  await tabTo(new RegExp(`^a:${view}$`), 'back');
  await page.keyboard.press('Enter');
  await expect.poll(focused).toBe(`h1:${view}`);
}

describe('keyboard only', () => {
  it('signs in, remembering the key on this device', async () => {
    await page.goto(`${server.url}/admin/`);
    await expect.poll(focused).toBe('input:API key');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.type(server.key);
    await tabTo(/^input:Remember on this device/);
    await page.keyboard.press('Space');
    await tabTo(/^button:Sign in$/);
    await page.keyboard.press('Enter');
    // The view's heading takes the focus when it opens.
    await expect.poll(focused).toBe('h1:Overview');
    expect(await storedKeys(page)).toEqual({ session: 0, local: 1 });
  });

  it('sorts the namespaces', async () => {
    await goTo('Namespaces');
    await tabTo(/^button:Namespace/);
    await page.keyboard.press('Enter');
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Namespace');
    await page.keyboard.press('Enter');
    expect(await page.locator('tbody th[scope="row"] a').allTextContents()).toEqual(['work', 'home', 'bulk']);
  });

  it('searches, opens the top hit, adds and removes an edge', async () => {
    await goTo('Search');
    await tabTo(/^input:Text$/);
    await page.keyboard.type('what should I not eat?');
    // Enter in the text field submits the search (in the largest namespace unless another is picked).
    await tabTo(/^select:Namespace$/);
    await page.keyboard.press('End');
    expect(await page.locator('#search-ns').inputValue()).toBe('work');
    await page.keyboard.press('ArrowUp');
    expect(await page.locator('#search-ns').inputValue()).toBe('home');
    await tabTo(/^input:Text$/, 'back');
    await page.keyboard.press('Enter');
    await page.locator('table.results').waitFor();
    await tabTo(/^a:I am allergic to peanuts and shellfish\.$/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('h1:Memory allergy');

    await tabTo(/^input:To \(id\)$/);
    await page.keyboard.type('tea');
    await tabTo(/^input:Type$/);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('avoid_with');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await server.call('GET', '/api/v1/namespaces/home/memories/allergy/links')).body.outgoing)
      .toEqual([{ from: 'allergy', to: 'tea', type: 'avoid_with', weight: 1 }]);
    await tabTo(/^button:Remove the avoid_with edge to tea$/, 'back');
    await screenshot(page, 'keyboard-record-detail');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await server.call('GET', '/api/v1/namespaces/home/memories/allergy/links')).body.outgoing).toEqual([]);
  });

  it('draws the graph around a memory and follows a node to its record', async () => {
    await goTo('Graph');
    await tabTo(/^input:Memory id$/);
    await page.keyboard.type('tea');
    await page.keyboard.press('Enter');
    await page.locator('figure.graph').waitFor();
    // Tab reaches the nodes of the picture; Enter on one opens its memory.
    await tabTo(/^a:dog: My dog Biscuit/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('h1:Memory dog');
  });

  it('compacts, then signs out (the key leaves the browser)', async () => {
    await goTo('Maintenance');
    await tabTo(/^button:Compact now$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('compact-result').textContent()).toMatch(/^Compacted/);
    await tabTo(/^button:Sign out$/, 'back');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('input:API key');
    expect(await page.getByRole('status').textContent()).toBe('Signed out. The key was removed from this browser.');
    expect(await storedKeys(page)).toEqual({ session: 0, local: 0 });
    expect(await seriousViolations(page)).toEqual([]);
    expect(tab.errors).toEqual([]);
  });
});
