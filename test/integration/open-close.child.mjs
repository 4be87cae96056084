// Child process for feather-db.test.ts: opens a store, uses it, closes it, and must then exit on its own
// (the parent fails on a timeout). Prints what the parent checks.
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';

try {
  // FEATHER_CHILD_CYCLES=n: open and close n fresh stores at once, while their reader threads still boot.
  const cycles = Number(process.env['FEATHER_CHILD_CYCLES'] ?? 0);
  for (let i = 0; i < cycles; i++) await (await Feather.open(tempStorePath(`quick-${i}.feather`), { dim: 3 })).close();
  const db = await Feather.open(tempStorePath('child.feather'), { dim: 3 });
  await db.addBatch(Array.from({ length: 20 }, (_, i) => [i + 1, 1, 0]));
  const [hit] = await db.search([8, 1, 0], { k: 1 });
  const readerThreads = db.readerThreads;
  await db.close();
  process.stdout.write(`${JSON.stringify({ threads: db.threads, readerThreads, found: hit.id })}\n`);
} catch (error) {
  process.stdout.write(`${error.code ?? error.message}\n`);
}
