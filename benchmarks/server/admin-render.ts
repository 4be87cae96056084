// The admin page's first render on loopback: Debian's chromium opens /admin/ of a feather-serve holding a
// store of 10,000 memories in 20 namespaces, signed in (the key already in the tab's sessionStorage), and we
// time from the start of the navigation until the Overview shows the store's memory count (its data fetched
// and drawn). Side by side in one run with the floor: chromium navigating to /health (one loopback request,
// no script). Cold: a fresh browser context each time (empty HTTP cache); warm: a reload in the same one.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:admin [-- --runs 25]
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { headlessChromium, tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { startServe } from '../lib/serve-child.js';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: { runs: { type: 'string', default: '25' }, memories: { type: 'string', default: '10000' } },
});
const runs = Number(args.runs);
const memories = Number(args.memories);
const log = (s: string): void => void console.error(`[admin] ${s}`);
const kKey = 'bench-admin-key-0123456789abcdef';
/** The local embedder's id and size: the server opens the store with it. */
const kModel = { id: 'local:use-lite-512', dim: 512 };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function p90(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.9 * s.length))];
}

/** A store of random unit vectors (what the page shows does not depend on what they mean). */
async function makeStore(path: string): Promise<void> {
  const db = await Feather.open(path, { dim: kModel.dim, embeddingModel: kModel.id, durability: 'none' });
  let seed = 42;
  const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32) * 2 - 1;
  const batch = 1000;
  for (let start = 0; start < memories; start += batch) {
    const rows = Math.min(batch, memories - start);
    const vectors = new Float32Array(rows * kModel.dim).map(random);
    const metas = Array.from({ length: rows }, (_, i) => ({
      namespace: `tenant-${(start + i) % 20}`,
      text: `memory ${start + i}`,
      entity: `topic-${(start + i) % 7}`,
    }));
    await db.addBatch(vectors, { metas });
  }
  await db.save();
  await db.close();
}

/** Records, in the page, when the Overview's memory count is first drawn (ms since the navigation started). */
const kWatch = `(() => {
  sessionStorage.setItem('feather-admin.api-key', ${JSON.stringify(kKey)});
  new MutationObserver((_, observer) => {
    const cell = document.querySelector('[data-testid="stat-vectors"]');
    if (cell && cell.textContent) { window.__renderedMs = performance.now(); observer.disconnect(); }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})()`;

interface Timing {
  renderedMs: number;
  fcpMs: number;
}

async function timeAdmin(context: BrowserContext, url: string, reload: boolean): Promise<Timing> {
  const page = context.pages()[0] ?? (await context.newPage());
  if (reload) await page.reload();
  else await page.goto(`${url}/admin/`);
  // A function, not a string: the page's CSP forbids evaluating strings inside it.
  await page.waitForFunction(() => (globalThis as { __renderedMs?: number }).__renderedMs !== undefined, undefined, { timeout: 30_000 });
  return page.evaluate<Timing>(
    `({ renderedMs: window.__renderedMs, fcpMs: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN })`,
  );
}

async function timeHealth(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/health`);
  const ms = await page.evaluate<number>(`performance.getEntriesByType('navigation')[0].loadEventEnd`);
  await context.close();
  return ms;
}

const dir = tempDir();
const path = join(dir, 'admin-bench.feather');
log(`building ${memories} memories (512-d) in ${path}`);
await makeStore(path);
const { child, url } = await startServe(path, { key: kKey });
const browser = await chromium.launch(headlessChromium());
try {
  // One untimed round so the server's and chromium's first-time costs (JIT, disk cache setup) are not in run 1.
  {
    const context = await browser.newContext();
    await context.addInitScript(kWatch);
    await timeAdmin(context, url, false);
    await context.close();
    await timeHealth(browser, url);
  }
  const cold: Timing[] = [];
  const warm: Timing[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(await timeHealth(browser, url));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(kWatch);
    cold.push(await timeAdmin(context, url, false));
    warm.push(await timeAdmin(context, url, true));
    await context.close();
  }
  const row = (name: string, values: number[]): string =>
    `| ${name} | ${median(values).toFixed(0)} | ${p90(values).toFixed(0)} | ${(median(values) / median(floor)).toFixed(1)}× |`;
  console.log(
    `admin first render on loopback: ${memories} memories in 20 namespaces, ${runs} runs, chromium ${browser.version()}, node ${process.version}`,
  );
  console.log('| navigation | median ms | p90 ms | vs /health |');
  console.log('|---|---:|---:|---:|');
  console.log(row('/health (floor: one request, no script)', floor));
  console.log(
    row(
      '/admin/ cold: first contentful paint',
      cold.map((t) => t.fcpMs),
    ),
  );
  console.log(
    row(
      '/admin/ cold: Overview counts drawn',
      cold.map((t) => t.renderedMs),
    ),
  );
  console.log(
    row(
      '/admin/ warm (reload): Overview counts drawn',
      warm.map((t) => t.renderedMs),
    ),
  );
} finally {
  await browser.close();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
