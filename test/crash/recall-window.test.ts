// A crash loses at most the recall window (design.md §2; feather-db's recall-log.ts): a child searches, waits for
// a flush to reach the WAL, searches again and dies by SIGKILL. After reopening, every memory's recall count is at
// least what the child saw when the flush had landed and at most what it saw when it died, and the store passes
// its integrity check.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusteredVectors, tempDir, tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';
import { runChild as runLogged } from './child-run.js';

const child = fileURLToPath(new URL('./recall-window.child.mjs', import.meta.url));
const dim = 8;
const queries = 40;

async function runChild(
  path: string,
  flushMs: number,
): Promise<{ a: Record<string, number>; b: Record<string, number>; signal: NodeJS.Signals | null; stderr: string }> {
  const log = join(tempDir('recall-log-'), 'events.log');
  const run = await runLogged(child, [path, String(flushMs), String(dim), String(queries)], { log, timeoutMs: 30_000 });
  const line = (tag: string): Record<string, number> =>
    JSON.parse(run.lines.find((l) => l.startsWith(`${tag} `))?.slice(2) ?? '{}') as Record<string, number>;
  return { a: line('A'), b: line('B'), signal: run.signal, stderr: run.stderr };
}

describe('recall counts across a crash', () => {
  for (const flushMs of [20, 1000]) {
    it(`lose at most the bumps after the last flush (recallFlushMs ${flushMs})`, { timeout: 60_000 }, async () => {
      const path = tempStorePath('recall-crash.feather');
      const db = await Feather.open(path, { dim, threads: 1 });
      await db.addBatch(clusteredVectors({ n: 300, dim, seed: 5 }), { ids: Array.from({ length: 300 }, (_, i) => `r${i}`) });
      await db.close();
      const run = await runChild(path, flushMs);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      const idsA = Object.keys(run.a);
      expect(idsA.length, run.stderr).toBe(300);
      // The phases bumped something, else the test could not fail.
      expect(Object.values(run.a).some((c) => c > 0)).toBe(true);
      expect(idsA.some((id) => run.b[id] > run.a[id])).toBe(true);
      const after = await Feather.open(path, { threads: 1 });
      try {
        for (const id of idsA) {
          const count = after.get(id)!.recallCount;
          expect(count, id).toBeGreaterThanOrEqual(run.a[id]);
          expect(count, id).toBeLessThanOrEqual(run.b[id]);
        }
        expect((await after.checkIntegrity()).problems).toEqual([]);
      } finally {
        await after.close();
      }
    });
  }
});
