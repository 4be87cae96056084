// A local HTTP server on 127.0.0.1 that speaks a provider's request and response shapes, for the OpenAI and
// Gemini embedders' tests. Each test scripts its answers; the server records what it received.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';
/** The answer to the `n`th request (from 0); a promise holds the request open until it settles. */
export type Script = (request: Received, n: number) => Answer | Promise<Answer>;

export interface FakeProvider {
  baseUrl: string;
  received: Received[];
  /** Most requests that were open at the same time. */
  maxInFlight: number;
  script: Script;
  close(): Promise<void>;
}

/** A deterministic vector per text (so tests can check order): [len, code of first char, index-free bits]. */
export function vectorOf(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  for (let i = 0; i < text.length; i++) v[i % dim] += text.charCodeAt(i) / 1000;
  v[0] = text.length;
  return v;
}

export async function startFakeProvider(script: Script): Promise<FakeProvider> {
  let inFlight = 0;
  const hanging: ServerResponse[] = [];
  const fake: FakeProvider = {
    baseUrl: '',
    received: [],
    maxInFlight: 0,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    inFlight++;
    fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: Received = {
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      };
      fake.received.push(received);
      void Promise.resolve(fake.script(received, fake.received.length - 1)).then((answer) => {
        if (answer === 'hang') {
          hanging.push(res);
          res.on('close', () => inFlight--);
          return;
        }
        // A short delay keeps concurrent requests overlapping, so the in-flight bound is observable.
        setTimeout(() => {
          inFlight--;
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
        }, 5);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** Runs `fn` and returns the FeatherError it rejects with as `{ code, message }` (fails if it resolves). */
export async function errorOf(fn: () => Promise<unknown>): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await fn();
  } catch (error) {
    const e = error as { code: string; message: string; details?: unknown };
    return { code: e.code, message: e.message, details: e.details };
  }
  throw new Error('expected a rejection');
}
