// An import killed with SIGKILL at a seeded moment, then run again, ends equal to an import never interrupted.
// FEATHER_IMPORT_KILL_SEED fixes the moments; without it a seed is drawn and printed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusteredVectors, row, seededRandom, tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';
import { jsonOf, runCli } from './run-cli.js';
import { expectSameStore } from './same-store.js';

const dim = 16;
const n = 6000;
const trials = Number(process.env['FEATHER_IMPORT_KILL_TRIALS'] ?? 3);
const seed = Number(process.env['FEATHER_IMPORT_KILL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const kNow = Date.UTC(2026, 6, 1);

interface Summary {
  totals: { read: number; inserted: number; skipped: number; failed: number; linksAdded: number; linksFailed: number };
}

describe('feather import, killed and run again', () => {
  it(
    `equals an uninterrupted import (seed ${seed}, FEATHER_IMPORT_KILL_SEED to repeat)`,
    { timeout: 60_000 + trials * 30_000 },
    async () => {
      console.log(`import-resume: FEATHER_IMPORT_KILL_SEED=${seed}`);
      const dir = tempDir();
      const data = clusteredVectors({ n: n + 10, dim, seed: 1604 });
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        // Every row without an id (stable ids), a timestamp (so records compare), a link to the row before, and a
        // bad line now and then.
        if (i % 1000 === 500) lines.push('{"vector": [oops');
        lines.push(
          JSON.stringify({
            vector: Array.from(row(data, dim, i)),
            text: `row ${i}`,
            namespace: `ns${i % 5}`,
            attributes: { i },
            timestamp: Date.UTC(2026, 0, 1) + i,
            links: i % 10 === 0 ? undefined : [{ to: `data.jsonl:${lines.length}`, type: 'after' }],
          }),
        );
      }
      const source = join(dir, 'data.jsonl');
      writeFileSync(source, `${lines.join('\n')}\n`);
      const args = (path: string): string[] => ['import', path, source, '--json', '--batch-size', '400'];

      const reference = join(dir, 'reference.feather');
      const started = performance.now();
      const whole = await runCli(args(reference));
      const durationMs = performance.now() - started;
      expect(whole.code, whole.stderr).toBe(1);
      const expected = jsonOf<Summary>(whole).totals;
      expect(expected).toMatchObject({ read: lines.length, inserted: n, failed: lines.length - n, linksFailed: 0 });

      const rand = seededRandom(seed);
      let killedMidway = 0;
      const ref = await Feather.open(reference, { readOnly: true, threads: 1 });
      try {
        for (let t = 0; t < trials; t++) {
          const path = join(dir, `trial-${t}.feather`);
          // Trial 0 is killed as its first progress line arrives (a batch is stored, most are not), so at least one
          // kill lands inside the import however fast or slow the machine; the others at a seeded moment between
          // the process start and the end of the uninterrupted run.
          const killAtMs = t === 0 ? undefined : 0.15 * durationMs + rand() * 0.8 * durationMs;
          const killed = await runCli(args(path), {
            onSpawn: (child) => {
              if (killAtMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAtMs);
              else child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('progress ') && child.kill('SIGKILL'));
            },
          });
          const moment =
            killAtMs === undefined ? 'at its first progress line' : `at ${Math.round(killAtMs)} ms of ${Math.round(durationMs)}`;
          const context = `trial ${t}, kill ${moment} (FEATHER_IMPORT_KILL_SEED=${seed})`;
          let survived = 0;
          if (killed.signal === 'SIGKILL') {
            const crashed = await Feather.open(path, { readOnly: true, threads: 1 }).catch(() => undefined);
            survived = crashed?.count() ?? 0;
            await crashed?.close();
            if (survived > 0 && survived < n) killedMidway++;
          }
          const rerun = await runCli(args(path));
          expect(rerun.code, `${context}: ${rerun.stderr}`).toBe(1);
          const totals = jsonOf<Summary>(rerun).totals;
          expect(totals.read, context).toBe(lines.length);
          expect(totals.inserted + totals.skipped, context).toBe(n);
          expect(totals.skipped, context).toBeGreaterThanOrEqual(survived);
          expect((await runCli(['verify', path])).code, context).toBe(0);
          const db = await Feather.open(path, { readOnly: true, threads: 1 });
          try {
            expect(
              await expectSameStore(
                ref,
                db,
                Array.from({ length: 5 }, (_, q) => row(data, dim, n + q)),
                kNow,
              ),
              context,
            ).toBe(n);
          } finally {
            await db.close();
          }
        }
      } finally {
        await ref.close();
      }
      // A kill landed inside the import (not before the first batch or after the end) at least once: trial 0's.
      expect(killedMidway, `seed ${seed}`).toBeGreaterThan(0);
    },
  );

  it('Ctrl-C stops reading, saves what is stored, exits 130; the same command then completes the import', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const data = clusteredVectors({ n, dim, seed: 1605 });
    const source = join(dir, 'rows.jsonl');
    writeFileSync(
      source,
      `${Array.from({ length: n }, (_, i) => JSON.stringify({ vector: Array.from(row(data, dim, i)), timestamp: i })).join('\n')}\n`,
    );
    const path = join(dir, 'interrupted.feather');
    // Small batches: the import runs long enough to be interrupted after its first progress line.
    const args = ['import', path, source, '--json', '--batch-size', '100'];
    const stopped = await runCli(args, {
      onSpawn: (child) => {
        let err = '';
        let sent = false;
        child.stderr!.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          // One Ctrl-C (a second one exits at once).
          if (!sent && err.includes('progress ')) sent = child.kill('SIGINT');
        });
      },
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    const partial = jsonOf<Summary & { interrupted: boolean; saved: { bytes: number } | null }>(stopped);
    expect(partial.interrupted).toBe(true);
    expect(partial.saved).not.toBeNull();
    expect(partial.totals.inserted).toBeGreaterThan(0);
    expect(partial.totals.inserted).toBeLessThan(n);
    const rest = await runCli(args);
    expect(rest.code, rest.stderr).toBe(0);
    expect(jsonOf<Summary>(rest).totals).toMatchObject({
      read: n,
      skipped: partial.totals.inserted,
      inserted: n - partial.totals.inserted,
    });
  });
});
