// Child process for feather-db.test.ts: opens a store, uses it, closes it, and must then exit on its own
// (the parent fails on a timeout). Prints what the parent checks.
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';

try {
  const db = await Feather.open(tempStorePath('child.feather'), { dim: 3 });
  await db.addBatch(Array.from({ length: 20 }, (_, i) => [i + 1, 1, 0]));
  const [hit] = await db.search([8, 1, 0], { k: 1 });
  const readerThreads = db.readerThreads;
  await db.close();
  process.stdout.write(`${JSON.stringify({ threads: db.threads, readerThreads, found: hit.id })}\n`);
} catch (error) {
  process.stdout.write(`${error.code ?? error.message}\n`);
}
