// One round of the cold-open comparison, in a fresh plain-node process (a fresh heap, no TypeScript loader
// hooks in the workers): reads the file with fs.readFileSync and opens it with Feather.open, in the order
// given, then runs one search. Prints { readMs, openMs, loadMs, ids } as JSON: openMs runs from the call of
// Feather.open until the first search has answered (what a user waits for; loadMs is db.loadTimeMs, the load
// alone). Run by persistence.ts once per round.
//   node macro/open-cold.mjs <file.feather> <read-first|open-first> <query as JSON>
import { readFileSync } from 'node:fs';
import { Feather } from 'feather-db';

const [path, order, query] = process.argv.slice(2);
const read = () => {
  const t = performance.now();
  readFileSync(path);
  return performance.now() - t;
};
const readFirst = order === 'read-first';
const readMs = readFirst ? read() : undefined;
const opening = performance.now();
const db = await Feather.open(path);
const ids = (await db.search(JSON.parse(query), { k: 10, track: false })).map((h) => h.id);
const openMs = performance.now() - opening;
const loadMs = db.loadTimeMs;
const afterMs = readFirst ? readMs : read();
await db.close();
process.stdout.write(`${JSON.stringify({ readMs: afterMs, openMs, loadMs, ids })}\n`);
