// One side of one round of the cold-open comparison, in a fresh plain-node process (a fresh heap, no
// TypeScript loader hooks in the workers): `read` reads the file with fs.readFileSync and prints { readMs };
// `open` opens it with Feather.open, runs one search and prints { openMs, loadMs, ids }: openMs runs from the
// call of Feather.open until the first search has answered (what a user waits for; loadMs is db.loadTimeMs,
// the load alone). Each side has a fresh process of its own, as issue 13's goal states it: neither runs beside
// the other's heap, buffers or mapped shared memory (before, one process did both, the second side after the
// first's 200 MB were still held). Run by persistence.ts twice per round, the two sides in alternating order.
//   node macro/open-cold.mjs <file.feather> read
//   node macro/open-cold.mjs <file.feather> open <query as JSON>
import { readFileSync } from 'node:fs';
import { Feather } from 'feather-db';

const [path, side, query] = process.argv.slice(2);
if (side === 'read') {
  const t = performance.now();
  readFileSync(path);
  process.stdout.write(`${JSON.stringify({ readMs: performance.now() - t })}\n`);
} else if (side === 'open') {
  const opening = performance.now();
  const db = await Feather.open(path);
  const ids = (await db.search(JSON.parse(query), { k: 10, track: false })).map((h) => h.id);
  const openMs = performance.now() - opening;
  const loadMs = db.loadTimeMs;
  await db.close();
  process.stdout.write(`${JSON.stringify({ openMs, loadMs, ids })}\n`);
} else {
  throw new Error(`usage: open-cold.mjs <file.feather> read | open <query as JSON>; got side ${side}`);
}
