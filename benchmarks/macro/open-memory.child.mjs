// One round of open-memory.ts, in a fresh plain-node process: opens the store, answers one search, then
// reports the time to that answer and the process RSS (after a collection and a pause, so the threads' boot
// garbage is gone), then does one write (a forget) and reports RSS again, with stats().
//   node --expose-gc macro/open-memory.child.mjs <file.feather> <query as JSON> <id to forget>
import { Feather } from 'feather-db';

const [path, query, forgetId] = process.argv.slice(2);
const settle = async () => {
  await new Promise((resolve) => setTimeout(resolve, 500));
  globalThis.gc?.();
  return process.memoryUsage().rss;
};
const opening = performance.now();
const db = await Feather.open(path);
await db.search(JSON.parse(query), { k: 10, track: false });
const openMs = performance.now() - opening;
const rssOpen = await settle();
const { memoryBytes, records } = db.stats();
await db.forget(forgetId);
const rssWrite = await settle();
await db.close();
process.stdout.write(`${JSON.stringify({ openMs, rssOpen, rssWrite, memoryBytes, records })}\n`);
