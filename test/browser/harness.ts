// Shared by the admin page's browser tests: a real feather-serve (the built bin, as users run it) on
// 127.0.0.1 over a seeded temp store, Debian's chromium through playwright-core, axe-core, screenshots.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headlessChromium, tempDir } from '@feather-db/testkit';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const kChromium = headlessChromium().executablePath;
const kServeBin = join(dirname(require.resolve('@feather-db/serve')), 'bin', 'feather-serve.js');
/** Screenshots of every view, for people to look at (git-ignored). */
const kScreenshotDir = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

export interface ServeProcess {
  url: string;
  key: string;
  /** Every line feather-serve wrote to stdout and stderr so far (pino JSON at trace level, and its banner). */
  logs: string[];
  /** A REST call with the key, as any client makes it. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** SIGTERM (feather-serve saves and exits), then waits for the exit. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts the built feather-serve on a fresh store with the local embedder and a random key (passed in the
 * environment, as FEATHER_API_KEY, so it is not even in the process list), logging at trace level, and waits
 * until /health answers. With `dev`, no auth and no embedder.
 */
export async function startServe(options: { dev?: boolean } = {}): Promise<ServeProcess> {
  const dir = tempDir();
  const key = `admin-e2e-${randomBytes(18).toString('base64url')}`;
  const port = await freePort();
  const logs: string[] = [];
  // --dev: no auth, and no model either (vectors only, 4-d), to start fast.
  const flags = options.dev === true ? ['--dev', '--embed', 'none', '--dim', '4'] : [];
  const child = spawn(
    process.execPath,
    [kServeBin, join(dir, 'admin.feather'), '--port', String(port), '--threads', '1', '--log-level', 'trace', ...flags],
    {
      env: { ...process.env, FEATHER_API_KEY: key, FEATHER_EMBED_PROVIDER: 'local' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let pending = { out: '', err: '' };
  const collect = (which: 'out' | 'err') => (chunk: Buffer) => {
    const text = pending[which] + chunk.toString('utf8');
    const lines = text.split('\n');
    pending = { ...pending, [which]: lines.pop() ?? '' };
    logs.push(...lines);
  };
  child.stdout.on('data', collect('out'));
  child.stderr.on('data', collect('err'));
  const url = `http://127.0.0.1:${port}`;
  // Loading the local model takes a few seconds on a busy machine: up to 60 s, then give up with the logs.
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`feather-serve exited with ${child.exitCode}:\n${logs.join('\n')}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (attempt >= 300) {
      child.kill('SIGKILL');
      throw new Error(`feather-serve did not answer /health within 60 s:\n${logs.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    key,
    logs,
    async call(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      if (pending.out !== '') logs.push(pending.out);
      if (pending.err !== '') logs.push(pending.err);
    },
  };
}

const kDay = 86_400_000;

/** Memories of two people's agent, with entities, attributes and a few edges. */
const kHome = [
  { id: 'tea', text: 'I drink green tea every morning before work.', entity: 'food', attributes: { source: 'chat' } },
  { id: 'dog', text: 'My dog Biscuit is a golden retriever who loves the beach.', entity: 'pets', attributes: { source: 'chat' } },
  { id: 'flight', text: 'Booked a flight to Lisbon for the conference in March.', entity: 'travel', attributes: { source: 'email' } },
  { id: 'allergy', text: 'I am allergic to peanuts and shellfish.', entity: 'food', attributes: { source: 'doctor', severe: true } },
  { id: 'car', text: 'The car needs new winter tyres before December.', entity: 'chores', attributes: { source: 'chat' } },
  { id: 'vet', text: 'Biscuit has a vet appointment for vaccinations next Tuesday.', entity: 'pets', attributes: { source: 'email' } },
];
const kWork = [
  { id: 'report', text: 'The quarterly revenue report is due on Friday.', entity: 'deadlines', attributes: { source: 'email' } },
  { id: 'standup', text: 'Daily standup moved to 9:30 in room B.', entity: 'meetings', attributes: { source: 'chat' } },
];

/**
 * Seeds the store through the REST API: `home` (with timestamps a day apart, newest last, relative to now so
 * that ages hold at any date), `work`, and `bulk` (30 memories, more than a page of 25). Edges: tea → dog
 * (mentions), vet → dog (about).
 */
async function seed(server: ServeProcess): Promise<void> {
  const now = Date.now();
  const home = kHome.map((m, i) => ({ ...m, timestamp: now - (kHome.length - i) * kDay }));
  const added = [
    await server.call('POST', '/api/v1/namespaces/home/memories:batch', { memories: home }),
    await server.call('POST', '/api/v1/namespaces/work/memories:batch', { memories: kWork }),
    await server.call('POST', '/api/v1/namespaces/bulk/memories:batch', {
      memories: Array.from({ length: 30 }, (_, i) => ({
        id: `b${String(i).padStart(2, '0')}`,
        text: `Bulk note number ${i} about nothing in particular.`,
        timestamp: now - (30 - i) * 60_000,
      })),
    }),
    await server.call('POST', '/api/v1/namespaces/home/memories/tea/links', { to: 'dog', type: 'mentions' }),
    await server.call('POST', '/api/v1/namespaces/home/memories/vet/links', { to: 'dog', type: 'about', weight: 2 }),
  ];
  for (const { status, body } of added) if (status !== 201) throw new Error(`seeding failed: ${status} ${JSON.stringify(body)}`);
}

/** Debian's chromium, headless, with a fresh profile (playwright makes a temp --user-data-dir per launch). */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(kChromium)) {
    throw new Error(
      `${kChromium} is missing: the admin page's browser tests need Debian's chromium. Install it with: sudo apt-get install -y chromium (pnpm test does it when run as root)`,
    );
  }
  return chromium.launch({
    ...headlessChromium(),
    // Without libfaketime (pnpm test:clock moves the clock with LD_PRELOAD): chromium's zygote breaks under it.
    // The server keeps the moved clock; the page reads every time from the server's answers.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'LD_PRELOAD' && !name.startsWith('FAKETIME'))),
    timeout: 60_000,
  });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested or navigated to. */
  urls: string[];
  /** Uncaught errors in the page. */
  errors: string[];
}

/** A new context (its own storage) and page at 1280×800 unless told otherwise. */
export async function openTab(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Tab> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  page.on('framenavigated', (frame) => urls.push(frame.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, urls, errors };
}

const kAxeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules and best
 * practices). Page-side code is passed as text here and below: the tests compile without the DOM's types.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, not as an inline <script>: the page's CSP forbids those.
  await page.evaluate(kAxeSource);
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** What a browser test file works with: feather-serve over the seeded store, chromium, and one tab on the page. */
export interface AdminSession {
  server: ServeProcess;
  browser: Browser;
  tab: Tab;
}

export async function openAdminSession(): Promise<AdminSession> {
  const [server, browser] = await Promise.all([startServe(), launchChromium()]);
  await seed(server);
  return { server, browser, tab: await openTab(browser) };
}

/** Closes what openAdminSession started (either may be missing when it failed). */
export async function closeAdminSession(session: Partial<AdminSession>): Promise<void> {
  await session.browser?.close();
  await session.server?.stop();
}

/** How many keys the page keeps in sessionStorage and in localStorage. */
export function storedKeys(page: Page): Promise<{ session: number; local: number }> {
  return page.evaluate('({ session: sessionStorage.length, local: localStorage.length })');
}

/** How far the page is wider than the window (> 0: the page scrolls sideways). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(kScreenshotDir, { recursive: true });
  await page.screenshot({ path: join(kScreenshotDir, `${name}.png`), fullPage: true });
}

/** Opens the page and signs in with the key (typed into the form, as a person does). */
export async function signIn(page: Page, server: ServeProcess, options: { remember?: boolean } = {}): Promise<void> {
  await page.goto(`${server.url}/admin/`);
  await page.getByLabel('API key').fill(server.key);
  if (options.remember === true) await page.getByLabel(/Remember on this device/).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/** Goes to a view through the navigation bar. */
export async function openView(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}
