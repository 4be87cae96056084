// feather-serve with the OpenAI embedder, against a local server speaking OpenAI's shapes: text is embedded
// there, the store records the model, and a refused key is the provider's failure (502), not the caller's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

let provider: Server;
let acceptKey = 'sk-good';
const seen: { input: string[]; authorization: string | undefined }[] = [];

/** 1536-d vectors: the text's length, then its characters' codes. */
function embedding(text: string): number[] {
  const v = new Array<number>(1536).fill(0.001);
  v[0] = text.length;
  for (let i = 0; i < text.length && i + 1 < 1536; i++) v[i + 1] = text.charCodeAt(i) / 100;
  return v;
}

beforeAll(async () => {
  provider = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { input } = JSON.parse(body) as { input: string[] };
      seen.push({ input, authorization: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== `Bearer ${acceptKey}`) {
        res.writeHead(401).end(JSON.stringify({ error: { message: 'Incorrect API key provided.', code: 'invalid_api_key' } }));
        return;
      }
      res.end(JSON.stringify({ data: input.map((text, index) => ({ index, embedding: embedding(text) })) }));
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  process.env['OPENAI_BASE_URL'] = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  process.env['OPENAI_API_KEY'] = 'sk-good';
});
afterAll(async () => {
  delete process.env['OPENAI_BASE_URL'];
  delete process.env['OPENAI_API_KEY'];
  await new Promise((resolve) => provider.close(resolve));
});

describe('feather-serve --embed openai', () => {
  let t: TestServer;

  it('embeds text through the provider and records the model in the store', async () => {
    t = await startTestServer({ embed: 'openai' });
    try {
      expect(t.server.service.db.embeddingModel).toBe('openai:text-embedding-3-small');
      expect(t.server.service.db.dim).toBe(1536);
      expect((await t.call('POST', '/api/v1/namespaces/n/memories', { id: 'm', text: 'hello provider' })).status).toBe(201);
      expect(seen.at(-1)).toEqual({ input: ['hello provider'], authorization: 'Bearer sk-good' });
      const { body } = await t.call('POST', '/api/v1/namespaces/n/search', { query: 'hello provider', k: 1, track: false });
      expect(body.hits[0].id).toBe('m');
      expect(body.hits[0].similarity).toBeCloseTo(1, 5);
      // The provider now refuses the key: a 502 naming the variable to fix; nothing was stored.
      acceptKey = 'sk-rotated';
      const refused = await t.call('POST', '/api/v1/namespaces/n/memories', { id: 'x', text: 'not stored' });
      expect(refused.status).toBe(502);
      expect(refused.body).toEqual({
        code: 'FEATHER_ERR_EMBEDDER',
        message: 'OpenAI refused the API key (401: Incorrect API key provided.); set OPENAI_API_KEY (or options.apiKey) to a valid key',
        details: { provider: 'openai', status: 401, reason: 'bad-key' },
      });
      expect(t.server.service.db.get('x')).toBeUndefined();
    } finally {
      await t.server.close();
    }
  });
});
