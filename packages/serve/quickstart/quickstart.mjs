// The README's Quick start: feather-serve on a default store with the local (offline) embedder. On the first
// run it seeds namespace "default" with 778 real documentation passages (the SAP Fiori tools docs shipped in
// an npm package), embedded here by the local model, so a search answers something. It listens first and
// seeds after, so /health answers within seconds; the curl line is printed once the seed is in.
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalEmbedder } from '@feather-db/embed';
import { curlLine, startServer, startupBanner, stopOnSignals } from '@feather-db/serve';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const path = join(root, '.quickstart', 'memory.feather');
mkdirSync(dirname(path), { recursive: true });
const port = Number(process.env.FEATHER_PORT ?? 7700);
const query = 'How do I migrate a Neo app to Cloud Foundry?';
const say = (line) => process.stdout.write(`${line}\n`);

// Two model threads: the seed embeds on both cores.
const embedder = await LocalEmbedder.create({ concurrency: 2 });
const server = await startServer({
  path,
  port,
  embedder,
  host: process.env.FEATHER_HOST ?? '127.0.0.1',
  embed: 'local',
  logLevel: process.env.FEATHER_LOG_LEVEL ?? 'warn',
  apiKey: process.env.FEATHER_API_KEY || undefined,
});
stopOnSignals(server, say);
for (const line of startupBanner(server, query)) say(line);

/** A passage's title and the first sentence of its introduction: short texts embed fast. */
function summary(record) {
  const intro = /\*\*INTRODUCTION\*\*:\s*([^\n]*?[.!?])(\s|$)/.exec(record.content ?? '')?.[1] ?? '';
  return `${record.title}. ${intro}`.trim().slice(0, 160);
}

const { service } = server;
const require = createRequire(import.meta.url);
const corpus = join(dirname(require.resolve('@sap-ux/fiori-docs-embeddings/package.json')), 'data', 'embeddings', 'records.jsonl');
// The passages not in the store yet: all on the first run, the rest after a run stopped while seeding.
const records = readFileSync(corpus, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
  .filter((r) => service.db.get(r.id) === undefined);

/** Seeds the store; a Ctrl-C meanwhile closes the store, which ends the seed quietly (what is in stays in). */
async function seed() {
  say(`seeding ${records.length} documentation passages into namespace "default", embedded by the local model…`);
  const started = performance.now();
  const batch = 64;
  for (let i = 0; i < records.length; i += batch) {
    const memories = records.slice(i, i + batch).map((r) => ({
      id: r.id,
      text: summary(r),
      entity: r.category || null,
      attributes: { document: r.document_id, chunk: r.chunk_index },
    }));
    await service.addBatch('default', memories);
  }
  await service.save();
  say(`seeded ${service.db.count()} memories in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
if (records.length > 0) {
  try {
    await seed();
  } catch (error) {
    if (error?.code === 'FEATHER_ERR_CLOSED') await new Promise(() => undefined); // shutting down: the signal handler exits
    throw error;
  }
}
say(`ready: ${curlLine(server, query)}`);
